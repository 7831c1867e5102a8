// Entry point of the `na64rc` command (built to out/main/cli.js, started by bin/na64rc.js).
import { CliError } from './errors';
import { buildProgram } from './program';

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  if (!(error instanceof CliError)) throw error;
  console.error(`na64rc: ${error.message}`);
  // Let open streams (the log file) finish instead of exiting under them; force it if something lingers.
  process.exitCode = error.exitCode;
  setTimeout(() => process.exit(error.exitCode), 2000).unref();
}
