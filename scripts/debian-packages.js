// Installing what the tests need from Debian's packages where that is possible (root with apt-get), and
// saying exactly what to install where it is not. The machines reach only npm and Debian.
import { execFileSync, spawnSync } from 'node:child_process';

export function canInstall() {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) return false;
  return spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
}

export function aptInstall(pkg) {
  execFileSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], { stdio: 'inherit' });
}

export function hasCommand(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Make sure `command` exists, installing Debian's `pkg` when possible; throws with instructions otherwise. */
export function ensureCommand(command, pkg, why, log = console.log) {
  if (hasCommand(command)) return;
  if (canInstall()) {
    log(`${command} not found: installing Debian package "${pkg}" (apt-get): ${why}…`);
    aptInstall(pkg);
    if (hasCommand(command)) return;
  }
  throw new Error(`${why}, and ${command} was not found.\n  On Debian/Ubuntu install it with:   sudo apt-get install -y ${pkg}`);
}
