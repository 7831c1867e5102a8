// The run-start prompts in the core: the versioned file (setups/run-prompts/run-prompts.json, checked completely
// when loaded: a bad file stops the start with the file and the field named), the answers of the last run of a
// type to start the next one with, and the check of a start's answers before the run number is given (a refused
// start leaves nothing behind). The fields and the check itself are in src-main/shared/run-prompts.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setupsDir } from '../../setups/load';
import type { RunType } from '../shared/api/schemas';
import type { Json } from '../shared/json-diff';
import { checkPrompts, RunPromptsFile, type PromptField, type RunPromptsAnswer } from '../shared/run-prompts';
import { RunInputError, type StartPrompts } from './run-control';

export function defaultPromptsFile(): string {
  return join(setupsDir(), 'run-prompts', 'run-prompts.json');
}

export class PromptsFileError extends Error {
  override name = 'PromptsFileError';
}

/** A start refused for its prompt answers: `field` is the key of the field it is about ('' for the whole). */
export class RunPromptError extends RunInputError {
  override name = 'RunPromptError';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function loadPromptsFile(file = defaultPromptsFile()): RunPromptsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PromptsFileError(`${file}: ${(error as Error).message}`);
  }
  const parsed = RunPromptsFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new PromptsFileError(`${file}: ${issue.path.join('.') || 'the file'}: ${issue.message}`);
  }
  return parsed.data;
}

/** What the prompts need of the rest of the core. */
export interface PromptsContext {
  /** The setup's beam, for fields whose default is the setup's. */
  beam(): { energyGeV: number; particle: string };
  /** The answers of the last run of this type (of this setup) that recorded its conditions. */
  lastAnswers(type: RunType): { run: number; answers: Record<string, Json> } | null;
}

export class RunPrompts {
  constructor(
    readonly file: RunPromptsFile,
    private readonly context: PromptsContext,
  ) {}

  fields(type: RunType): PromptField[] {
    return this.file.types[type] ?? [];
  }

  /** The defaults of a type's fields (the file's, or the setup's beam), where they fit the field. */
  defaults(type: RunType): Record<string, Json> {
    const beam = this.context.beam();
    const out: Record<string, unknown> = {};
    for (const f of this.fields(type)) {
      const value = f.defaultFrom === 'setup beam energy' ? beam.energyGeV : f.defaultFrom === 'setup beam particle' ? beam.particle : f.default;
      if (value !== undefined) out[f.key] = value;
    }
    return this.fitting(type, out);
  }

  /** Of these answers, the ones that still fit the fields (the file may have changed since). */
  private fitting(type: RunType, answers: Record<string, unknown>): Record<string, Json> {
    const out: Record<string, Json> = {};
    for (const f of this.fields(type)) {
      if (!Object.hasOwn(answers, f.key)) continue;
      const r = checkPrompts(type, [f], { [f.key]: answers[f.key] }, { required: false });
      if (r.ok && r.answers[f.key] !== undefined) out[f.key] = r.answers[f.key]!;
    }
    return out;
  }

  /** The fields of a type, the last run's answers, and what the form starts with (those, else the defaults). */
  answer(type: RunType): RunPromptsAnswer {
    const last = this.context.lastAnswers(type);
    const initial = { ...this.defaults(type), ...(last ? this.fitting(type, last.answers) : {}) };
    return { type, version: this.file.version, fields: this.fields(type), last: last as RunPromptsAnswer['last'], initial: initial as RunPromptsAnswer['initial'] };
  }

  /**
   * The answers a start is taken with. Given answers (a person's, a script's) must answer every required field;
   * 'remembered' (a start no person answered: --start-run, a calibration scan) takes the last run's answers and
   * the defaults, leaves unanswered what has neither, and says so.
   */
  check(type: RunType, given: Record<string, unknown> | 'remembered'): StartPrompts {
    const version = this.file.version;
    if (given !== 'remembered') {
      const r = checkPrompts(type, this.fields(type), given);
      if (!r.ok) throw new RunPromptError(r.field, `cannot start a ${type} run: ${r.problem}`);
      return { answers: r.answers, version, source: 'entered' };
    }
    const last = this.context.lastAnswers(type);
    const fromLast = last ? this.fitting(type, last.answers) : {};
    const answers = { ...this.defaults(type), ...fromLast };
    const missing = this.fields(type).filter((f) => f.required && answers[f.key] === undefined).map((f) => f.key);
    const whence = [Object.keys(fromLast).length ? `the answers of run ${last!.run}` : '', Object.keys(answers).length > Object.keys(fromLast).length ? `the defaults of prompts v${version}` : '']
      .filter(Boolean)
      .join(' and ');
    const source = `started without prompts${whence ? `: ${whence}` : ''}${missing.length ? `; not answered: ${missing.join(', ')}` : ''}`;
    return { answers, version, source };
  }
}
