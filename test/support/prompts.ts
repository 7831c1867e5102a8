// Answers to the run-start prompts (setups/run-prompts/run-prompts.json) for tests that start runs through the
// API or the CLI: a physics or calibration run needs its beam and (physics) its crew.
import type { RunType } from '../../src-main/shared/api/schemas';

export const PHYSICS_PROMPTS = { beamEnergy: 100, beamParticle: 'e-', trigger: 'physics', crew: ['Test Crew'] };
export const CALIBRATION_PROMPTS = { beamEnergy: 100, beamParticle: 'e-' };

/** The answers a run type needs, for `api.run.start({ …, prompts })`. */
export function promptsFor(type: RunType): Record<string, number | string | string[]> {
  return type === 'physics' ? PHYSICS_PROMPTS : type === 'calibration' ? CALIBRATION_PROMPTS : {};
}

/** The same as `na64rc ctl run start TYPE` options: --prompt key=value … */
export function promptArgs(type: RunType): string[] {
  return Object.entries(promptsFor(type)).flatMap(([k, v]) => ['--prompt', `${k}=${Array.isArray(v) ? v.join(', ') : v}`]);
}
