// Why a run ended, as a choice from the run type's list (src-main/shared/run-end.ts), beside the free text
// in stop_reason. Older runs and the runs the system closed have none.
export default /* sql */ `
ALTER TABLE runs ADD COLUMN end_reason TEXT;
`;
