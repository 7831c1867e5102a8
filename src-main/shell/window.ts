// The main window and the rules every web contents lives by: sandboxed, context-isolated, no Node, no
// navigation away from the app, no new windows, no webviews, every permission request denied.
import type { BrowserWindow as BrowserWindowType, Session, WebContents } from 'electron';
import { APP_HOST, APP_SCHEME } from './app-protocol';

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  spellcheck: false,
} as const;

/** Scheme and host, not `origin`: a WHATWG URL gives custom schemes the opaque origin "null". */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST;
  } catch {
    return false;
  }
}

export function lockDownWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

export function lockDownSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function createMainWindow(
  BrowserWindow: typeof BrowserWindowType,
  preload: string,
): BrowserWindowType {
  const win = new BrowserWindow({
    width: 1600,
    height: 1000,
    minWidth: 1024,
    minHeight: 700,
    backgroundColor: '#0d1117',
    title: 'NA64 Run Control',
    show: false,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  });
  lockDownWebContents(win.webContents);
  win.once('ready-to-show', () => win.show());
  return win;
}
