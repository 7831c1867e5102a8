// An error meant for the person at the terminal: printed as one line, exit code 1, no stack trace.
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Run a command line: a CliError is one line on stderr and its exit code; anything else is a bug and throws. */
export async function runProgram(program: { parseAsync(argv: readonly string[]): Promise<unknown> }): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (error) {
    if (!(error instanceof CliError)) throw error;
    console.error(`na64rc: ${error.message}`);
    // Let open streams (the log file) finish instead of exiting under them; force it if something lingers.
    process.exitCode = error.exitCode;
    setTimeout(() => process.exit(error.exitCode), 2000).unref();
  }
}
