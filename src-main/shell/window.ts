// The main window and the rules every web contents lives by: sandboxed, context-isolated, no Node, no
// navigation away from the app, no new windows, no webviews, every permission request denied. Links to the
// outside (from logbook entries) open in the system browser, and only to the hosts of the allow-list.
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

/**
 * Hosts (and their subdomains) that links in the app may open in the system browser: CERN's sites (Indico,
 * GitLab, TWiki, e-groups, the SPS pages) and where papers and code live. Everything else stays unopened.
 */
export const EXTERNAL_LINK_HOSTS = ['cern.ch', 'home.cern', 'arxiv.org', 'doi.org', 'inspirehep.net', 'github.com'] as const;

/** https only, to a listed host or its subdomain, on the default port, without credentials in the URL. */
export function externalLinkAllowed(raw: string): boolean {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' || url.username || url.password || url.port) return false;
  const host = url.hostname.toLowerCase();
  return EXTERNAL_LINK_HOSTS.some((allowed) => host === allowed || host.endsWith(`.${allowed}`));
}

export type OpenExternal = (url: string) => Promise<void> | void;

export function lockDownWebContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>, openExternal: OpenExternal): void {
  contents.on('will-navigate', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!isAppUrl(url)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  // No window is ever opened by the app itself; an allowed external link goes to the system browser.
  contents.setWindowOpenHandler(({ url }) => {
    if (externalLinkAllowed(url)) void Promise.resolve(openExternal(url)).catch(() => undefined);
    return { action: 'deny' };
  });
}

export function lockDownSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

export function createMainWindow(
  BrowserWindow: typeof BrowserWindowType,
  preload: string,
  openExternal: OpenExternal,
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
  lockDownWebContents(win.webContents, openExternal);
  win.once('ready-to-show', () => win.show());
  return win;
}
