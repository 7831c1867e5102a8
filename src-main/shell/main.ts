// The Electron main process: the only code that imports 'electron'. It opens the same core that
// `na64rc serve` runs, serves the renderer build over app://, and connects the window by a MessagePort.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, BrowserWindow, MessageChannelMain, protocol, session, shell } from 'electron';
import { createRouter } from '../api/router';
import { rendererDir } from '../cli/paths';
import { Core } from '../core/core';
import { loadSiteFile } from '../devices/site-file';
import { startSimulatedSite, type SimulatedSite } from '../cli/simulators/simulated-site';
import { createLogger } from '../log';
import { tightenDataDir } from '../security/private-files';
import { DEFAULT_SETUP } from '../../setups/load';
import { APP_ORIGIN, handleAppProtocol, registerAppScheme } from './app-protocol';
import { serveRendererPort } from './renderer-port';
import { createMainWindow, lockDownSession, lockDownWebContents } from './window';

registerAppScheme(protocol);
app.enableSandbox();

app.on('web-contents-created', (_event, contents) => lockDownWebContents(contents, (url) => shell.openExternal(url)));

let core: Core | null = null;
let simulated: SimulatedSite | null = null;

async function start(): Promise<void> {
  const dataDir = process.env['NA64RC_DATA'] ?? app.getPath('userData');
  const tightened = tightenDataDir(dataDir);
  const log = createLogger({ file: join(dataDir, 'na64rc.log') });
  if (tightened.length) log.warn({ dataDir, changed: tightened }, 'the data directory was open to other users; made owner-only');
  // The site file of the control room ($NA64RC_SITE); without one, the simulated NA64's devices.
  const sitePath = process.env['NA64RC_SITE'];
  if (!sitePath) {
    simulated = await startSimulatedSite({
      setup: process.env['NA64RC_SETUP'] ?? DEFAULT_SETUP,
      dataDir,
      seed: 64,
      timeScale: Number(process.env['NA64RC_TIME_SCALE'] ?? 1),
      log,
    });
  }
  core = await Core.open({ dataDir, site: loadSiteFile(sitePath ?? simulated!.file), log });
  lockDownSession(session.defaultSession);
  handleAppProtocol(protocol, rendererDir());
  const preload = fileURLToPath(new URL('../preload/preload.cjs', import.meta.url));
  const win = createMainWindow(BrowserWindow, preload, (url) => shell.openExternal(url));
  serveRendererPort(win, MessageChannelMain, createRouter(core), core.shellSession(), log, core.audit);
  await win.loadURL(`${APP_ORIGIN}/index.html`);
}

app.whenReady().then(start, (error: unknown) => {
  console.error('NA64 Run Control could not start:', error);
  app.exit(1);
});

app.on('window-all-closed', () => app.quit());

let quitting = false;
app.on('before-quit', (event) => {
  if (quitting || !core) return;
  event.preventDefault();
  quitting = true;
  void core
    .close('the application was closed')
    .then(() => simulated?.stop())
    .finally(() => app.quit());
});
