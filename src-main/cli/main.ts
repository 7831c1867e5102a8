// Entry point of the `na64rc` command (built to out/main/cli.js, started by bin/na64rc.js).
import { runProgram } from './errors';
import { buildProgram } from './program';

await runProgram(buildProgram());
