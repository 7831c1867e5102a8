// A setup named on the command line: an unknown or broken setup file is one line for the person at the
// terminal (CliError), not a stack trace.
import { loadSetup, SetupError, type Setup } from '../../setups/load';
import { CliError } from './errors';

export function setupOf(name: string): Setup {
  try {
    return loadSetup(name);
  } catch (error) {
    if (error instanceof SetupError) throw new CliError(error.message);
    throw error;
  }
}
