// Finds Debian's Chromium (or another Chromium/Chrome) for the browser and end-to-end tests, and, where
// it can (root with apt-get), installs Debian's `chromium` package. Playwright's own browser download
// cannot work on these machines (no internet beyond npm and Debian).
import { accessSync, constants } from 'node:fs';
import { aptInstall, canInstall } from './debian-packages.js';

const CANDIDATES = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
].filter(Boolean);

/** Flags for a headless Chromium on a closed network, possibly as root. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export function findChromium() {
  for (const path of CANDIDATES) {
    try {
      accessSync(path, constants.X_OK);
      return path;
    } catch {
      // try the next one
    }
  }
  return null;
}

/** The path of a usable Chromium, installing Debian's package when possible; throws with instructions otherwise. */
export function ensureChromium(log = console.log) {
  const found = findChromium();
  if (found) return found;
  if (canInstall()) {
    log('Chromium not found: installing Debian package "chromium" (apt-get) for the browser and end-to-end tests…');
    aptInstall('chromium');
    const installed = findChromium();
    if (installed) return installed;
  }
  throw new Error(
    'The browser and end-to-end tests need Chromium, and none was found.\n' +
      '  On Debian/Ubuntu install it with:   sudo apt-get install -y chromium\n' +
      '  or point CHROMIUM_PATH at a Chromium or Chrome binary.',
  );
}
