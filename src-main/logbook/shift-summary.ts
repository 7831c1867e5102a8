// The end-of-shift summary, generated on request from what the core knows. It is a list of sections; each
// domain contributes its own (the alarm system its alarm figures, the beam counters EOT, data quality the
// bad spills) by registering a section under the same id, which replaces the placeholder that says the
// figure does not exist yet.
import type { RunsArchive } from '../archive/runs-archive';
import type { EntryFacts } from '../shared/api/logbook';

export interface SummaryWindow {
  from: number;
  to: number;
}

export interface SummarySection {
  title: string;
  /** Markdown lines. */
  lines: string[];
  facts?: EntryFacts;
}

export type SummarySectionSource = (window: SummaryWindow) => SummarySection;

const time = (ms: number) => new Date(ms).toTimeString().slice(0, 5);
const count = (n: number) => (n >= 1e5 ? n.toExponential(2).replace('e+', 'e') : String(n));

/** Runs taken in the window, with the spills and events that fell inside it. */
export function runsSection(archive: RunsArchive): SummarySectionSource {
  return ({ from, to }) => {
    // A shift holds tens of runs at most; the newest thousand reach back well before any shift.
    const runs = archive.listRuns(1000).filter((r) => r.startedAt < to && (r.stoppedAt ?? Number.MAX_SAFE_INTEGER) >= from).reverse();
    let spills = 0;
    let events = 0;
    const lines = runs.map((r) => {
      const inside = archive.listSpills(r.number).filter((s) => s.endedAt >= from && s.endedAt < to);
      const ev = inside.reduce((sum, s) => sum + s.eventsSeen, 0);
      spills += inside.length;
      events += ev;
      const span = `${time(r.startedAt)}–${r.stoppedAt === null ? 'running' : time(r.stoppedAt)}`;
      const note = [r.startComment, r.stopReason].filter(Boolean).join(' · ');
      return `| ${r.number} | ${r.type} | ${span} | ${r.end} | ${inside.length} | ${count(ev)} | ${note.replace(/[|\n]/g, ' ')} |`;
    });
    if (!runs.length) return { title: 'Runs', lines: ['No runs were taken in this shift.'], facts: { spills: 0, events: 0 } };
    return {
      title: 'Runs',
      lines: [
        `${runs.length} run${runs.length === 1 ? '' : 's'}, ${spills} spills, ${count(events)} events.`,
        '',
        '| run | type | time | end | spills | events | comment |',
        '| ---: | --- | --- | --- | ---: | ---: | --- |',
        ...lines,
      ],
      facts: { spills, events },
    };
  };
}

/** Sections whose figures come from domains that do not exist yet: they say so instead of showing zero. */
export const PENDING_SECTIONS: Record<string, SummarySection> = {
  eot: { title: 'Electrons on target', lines: ['Not counted yet: the beam counters do not report EOT in this version.'] },
  'bad-spills': { title: 'Bad spills', lines: ['None flagged: per-spill quality flags do not exist in this version.'] },
};

export class ShiftSummary {
  private readonly sections = new Map<string, SummarySectionSource>();

  constructor(archive: RunsArchive) {
    this.sections.set('runs', runsSection(archive));
    for (const [id, section] of Object.entries(PENDING_SECTIONS)) this.sections.set(id, () => section);
  }

  /** A domain adds (or replaces) its section; sections keep the order they were first registered in. */
  register(id: string, source: SummarySectionSource): void {
    this.sections.set(id, source);
  }

  generate(window: SummaryWindow): { body: string; facts: EntryFacts } {
    const parts: string[] = [];
    let facts: EntryFacts = {};
    for (const source of this.sections.values()) {
      const section = source(window);
      parts.push(`## ${section.title}`, '', ...section.lines, '');
      facts = { ...facts, ...section.facts };
    }
    return { body: parts.join('\n').trimEnd(), facts };
  }
}
