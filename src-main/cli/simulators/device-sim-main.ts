// Entry point of `na64rc device-sim` (built to out/main/device-sim.js; bin/na64rc.js starts it for that
// command): a simulator process loads its simulator, not the core, the API contract or the other commands.
import { Command } from 'commander';
import { VERSION } from '../../version';
import { runProgram } from '../errors';
import { addDeviceSimCommand } from './device-sim-command';

const program = new Command('na64rc').version(VERSION).showHelpAfterError();
addDeviceSimCommand(program, (line) => console.log(line));
await runProgram(program);
