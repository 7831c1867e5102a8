// The Electron shell, tested in plain Node with `electron` mocked (the Electron binary is not available on
// development and CI machines). The mock records what the shell asks of Electron; the core behind it is real.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MessagePort } from 'node:worker_threads';
import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/message-port';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { appProtocolResponse, APP_ORIGIN } from '../../src-main/shell/app-protocol';
import { externalLinkAllowed, isAppUrl, lockDownWebContents, SECURE_WEB_PREFERENCES } from '../../src-main/shell/window';
import type { ApiClient } from '../../src-main/shared/api/contract';
import { rendererDir } from '../../src-main/cli/paths';

type Listener = (...args: unknown[]) => void;

const electron = vi.hoisted(() => {
  const listeners = (target: Map<string, Listener[]>) => ({
    on: (event: string, fn: Listener) => target.set(event, [...(target.get(event) ?? []), fn]),
    once: (event: string, fn: Listener) => target.set(event, [...(target.get(event) ?? []), fn]),
  });
  const appEvents = new Map<string, Listener[]>();
  const contentsEvents = new Map<string, Listener[]>();
  const state = {
    dataDir: '',
    windows: [] as { options: Record<string, unknown>; loaded: string[]; posted: { channel: string; ports: unknown[] }[] }[],
    privileged: [] as unknown[],
    handlers: new Map<string, (request: { url: string }) => Promise<Response>>(),
    permissionRequest: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void) => void),
    permissionCheck: null as null | (() => boolean),
    windowOpen: null as null | ((details: { url: string }) => unknown),
    opened: [] as string[],
    appEvents,
    contentsEvents,
    ready: null as null | Promise<void>,
    quitCalls: 0,
  };
  const webContents = {
    ...listeners(contentsEvents),
    setWindowOpenHandler: (fn: (details: { url: string }) => unknown) => (state.windowOpen = fn),
    postMessage: (channel: string, _message: unknown, ports: unknown[]) => state.windows.at(-1)!.posted.push({ channel, ports }),
  };
  class BrowserWindow {
    webContents = webContents;
    constructor(options: Record<string, unknown>) {
      state.windows.push({ options, loaded: [], posted: [] });
    }
    once() {}
    show() {}
    async loadURL(url: string) {
      state.windows.at(-1)!.loaded.push(url);
    }
  }
  return { state, BrowserWindow, listeners };
});

vi.mock('electron', async () => {
  const { MessageChannel: NodeChannel } = await import('node:worker_threads');
  const { state, BrowserWindow, listeners } = electron;
  let resolveReady!: () => void;
  state.ready = new Promise<void>((r) => (resolveReady = r));
  return {
    app: {
      ...listeners(state.appEvents),
      enableSandbox: vi.fn(),
      getPath: () => state.dataDir,
      whenReady: () => {
        setTimeout(resolveReady, 0);
        return state.ready;
      },
      quit: () => (state.quitCalls += 1),
      exit: vi.fn(),
    },
    BrowserWindow,
    shell: {
      openExternal: async (url: string) => {
        state.opened.push(url);
      },
    },
    MessageChannelMain: class {
      port1: MessagePort;
      port2: MessagePort;
      constructor() {
        const c = new NodeChannel();
        this.port1 = c.port1;
        this.port2 = c.port2;
      }
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => state.privileged.push(...schemes),
      handle: (scheme: string, fn: (request: { url: string }) => Promise<Response>) => state.handlers.set(scheme, fn),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (fn: typeof state.permissionRequest) => (state.permissionRequest = fn),
        setPermissionCheckHandler: (fn: typeof state.permissionCheck) => (state.permissionCheck = fn),
      },
    },
  };
});

const { state } = electron;

beforeAll(async () => {
  state.dataDir = mkdtempSync(join(tmpdir(), 'na64rc-shell-'));
  process.env['NA64RC_TIME_SCALE'] = '50';
  await import('../../src-main/shell/main');
  await vi.waitFor(() => expect(state.windows[0]?.loaded).toHaveLength(1), { timeout: 10_000 });
});

afterAll(async () => {
  const quit = state.appEvents.get('before-quit')?.[0];
  quit?.({ preventDefault() {} });
  await vi.waitFor(() => expect(state.quitCalls).toBe(1), { timeout: 10_000 });
  rmSync(state.dataDir, { recursive: true, force: true });
});

describe('Electron shell', () => {
  it('registers app:// as a privileged, secure scheme and loads the window from it (not file://)', () => {
    expect(state.privileged).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true } }]);
    expect(state.handlers.has('app')).toBe(true);
    expect(state.windows[0]!.loaded).toEqual([`${APP_ORIGIN}/index.html`]);
  });

  it('opens the window sandboxed and context-isolated, without Node, with the bundled preload', () => {
    const prefs = state.windows[0]!.options['webPreferences'] as Record<string, unknown>;
    expect(prefs).toMatchObject(SECURE_WEB_PREFERENCES);
    expect(prefs['contextIsolation']).toBe(true);
    expect(prefs['sandbox']).toBe(true);
    expect(prefs['nodeIntegration']).toBe(false);
    expect(String(prefs['preload'])).toMatch(/preload\.cjs$/);
  });

  it('denies every permission request and check', () => {
    const answers: boolean[] = [];
    for (const permission of ['media', 'geolocation', 'notifications', 'openExternal']) {
      state.permissionRequest!(null, permission, (ok) => answers.push(ok));
    }
    expect(answers).toEqual([false, false, false, false]);
    expect(state.permissionCheck!()).toBe(false);
  });

  it('blocks navigation away from the app, new windows and webviews', () => {
    const nav = state.contentsEvents.get('will-navigate')![0]!;
    const attempt = (url: string) => {
      const event = { prevented: false, preventDefault() { this.prevented = true; } };
      nav(event, url);
      return event.prevented;
    };
    expect(attempt('https://evil.example/')).toBe(true);
    expect(attempt('file:///etc/passwd')).toBe(true);
    expect(attempt('app://na64rc.evil/index.html')).toBe(true);
    expect(attempt(`${APP_ORIGIN}/index.html#/runs`)).toBe(false);
    expect(state.windowOpen!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    const webview = { prevented: false, preventDefault() { this.prevented = true; } };
    state.contentsEvents.get('will-attach-webview')![0]!(webview);
    expect(webview.prevented).toBe(true);
    expect(isAppUrl('not a url')).toBe(false);
  });

  it('opens external links from the app only in the system browser, and only to allow-listed https hosts', () => {
    state.opened.length = 0;
    const allowed = ['https://home.cern/science', 'https://indico.cern.ch/event/1', 'https://gitlab.cern.ch/P348/p348-daq/-/issues/205', 'https://arxiv.org/abs/2305.00001'];
    const refused = [
      'http://home.cern/',
      'https://evil.example/',
      'https://cern.ch.evil.example/',
      'https://evilcern.ch/',
      'https://user:pw@indico.cern.ch/',
      'https://indico.cern.ch:8443/',
      'javascript:alert(1)',
      'file:///etc/passwd',
      'app://na64rc/index.html',
      'data:text/html,<script>alert(1)</script>',
      'not a url',
    ];
    for (const url of [...allowed, ...refused]) expect(state.windowOpen!({ url }), url).toEqual({ action: 'deny' });
    expect(state.opened).toEqual(allowed);
    expect(externalLinkAllowed('https://HOME.CERN/x')).toBe(true);
  });

  it('applies the same lock-down to every web contents created later', () => {
    const created = state.appEvents.get('web-contents-created')![0]!;
    const on = vi.fn();
    const setWindowOpenHandler = vi.fn();
    created({}, { on, setWindowOpenHandler });
    expect(on.mock.calls.map((c) => c[0])).toEqual(['will-navigate', 'will-redirect', 'will-attach-webview']);
    expect(setWindowOpenHandler).toHaveBeenCalled();
    expect(lockDownWebContents).toBeTypeOf('function');
  });

  it('serves the API over one MessagePort, handed to the main window after each load', async () => {
    expect(state.windows[0]!.posted).toHaveLength(0);
    state.contentsEvents.get('did-finish-load')![0]!();
    const posted = state.windows[0]!.posted;
    expect(posted).toHaveLength(1);
    expect(posted[0]!.channel).toBe('na64rc:port');
    const port = posted[0]!.ports[0] as MessagePort;
    const api = createORPCClient<ApiClient>(new RPCLink({ port }));
    port.start();
    const status = await api.status();
    expect(status).toMatchObject({ setup: 'invisible-e', simulation: true, run: { state: 'idle' } });
    // A reload gets a fresh channel.
    state.contentsEvents.get('did-finish-load')![0]!();
    expect(posted).toHaveLength(2);
    port.close();
  });
});

describe('app:// protocol handler', () => {
  const root = rendererDir();

  it('serves the build with the CSP', async () => {
    const res = await appProtocolResponse(root, `${APP_ORIGIN}/index.html`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    expect(await res.text()).toContain('<div id="app">');
  });

  it('never serves outside the build or for another host', async () => {
    for (const url of [
      `${APP_ORIGIN}/../package.json`,
      `${APP_ORIGIN}/%2e%2e/%2e%2e/package.json`,
      `${APP_ORIGIN}/..%2f..%2fpackage.json`,
      'app://other/index.html',
      'file:///etc/passwd',
      'garbage',
      `${APP_ORIGIN}/missing.js`,
    ]) {
      expect((await appProtocolResponse(root, url)).status, url).not.toBe(200);
    }
  });
});
