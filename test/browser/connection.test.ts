// The access token travels in the URL fragment once, then lives in this tab's session storage only; a
// session the server ends (token revoked, role changed) is shown with the reason, not retried forever.
import { mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { SESSION_CLOSE } from '@shared/auth';
import { connectSocket, takeToken } from '../../src-renderer/api/connection';
import StatusBar from '../../src-renderer/components/StatusBar.vue';
import { connectionLook } from '../../src-renderer/presentation';
import { useConnectionStore } from '../../src-renderer/stores/connection';

function fakeLocation(hash: string) {
  return { hash, pathname: '/', search: '' } as Location;
}

describe('takeToken', () => {
  it('takes the token from the fragment, stores it for the tab, and cleans the address bar', () => {
    sessionStorage.clear();
    const replaced: string[] = [];
    const history = { replaceState: (_s: unknown, _t: string, url: string) => replaced.push(url) } as unknown as History;
    expect(takeToken(fakeLocation('#token=abc_DEF-123'), sessionStorage, history)).toBe('abc_DEF-123');
    expect(replaced).toEqual(['/#/']);
    expect(takeToken(fakeLocation('#/shift'), sessionStorage, history)).toBe('abc_DEF-123');
  });

  it('ignores anything that is not a token', () => {
    sessionStorage.clear();
    const history = { replaceState: () => {} } as unknown as History;
    expect(takeToken(fakeLocation('#/runs'), sessionStorage, history)).toBeNull();
    expect(takeToken(fakeLocation('#token=<script>'), sessionStorage, history)).toBeNull();
  });
});

/** A WebSocket that never reaches a server: the test closes it as the server would. */
class FakeSocket extends EventTarget {
  static opened: FakeSocket[] = [];
  constructor(readonly url: string | URL) {
    super();
    FakeSocket.opened.push(this);
  }
  close(): void {}
  send(): void {}
  /** The server closes the socket with a code and a reason. */
  serverCloses(code: number, reason: string): void {
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: true }));
  }
}

describe('a session the server ended', () => {
  beforeEach(() => {
    FakeSocket.opened = [];
    vi.stubGlobal('WebSocket', FakeSocket);
    setActivePinia(createPinia());
  });
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('says the token was revoked, on screen, and does not reconnect', async () => {
    sessionStorage.setItem('na64rc.token', 'tok_revoked');
    const connection = useConnectionStore();
    connection.start();
    expect(FakeSocket.opened).toHaveLength(1);
    FakeSocket.opened[0]!.serverCloses(SESSION_CLOSE.revoked, 'your access token was revoked');
    expect(connection.state).toBe('revoked');
    expect(connection.detail).toBe('your access token was revoked: ask an administrator for a new link');
    const bar = mount(StatusBar);
    await nextTick();
    expect(bar.get('[data-testid="connection"]').text()).toContain('TOKEN REVOKED');
    expect(bar.get('[data-testid="connection"]').element.closest('[title]')!.getAttribute('title')).toMatch(/your access token was revoked/);
    // A reconnecting client would have opened another socket within its first backoff (0.5 s).
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(FakeSocket.opened).toHaveLength(1);
    bar.unmount();
  });

  it('says the role changed and reconnects only when asked, with the same token', async () => {
    const states: [string, string][] = [];
    const socket = connectSocket({ state: (s, d) => states.push([s, d]), connected: () => {} }, 'tok_role');
    FakeSocket.opened[0]!.serverCloses(SESSION_CLOSE.roleChanged, 'your role changed to viewer: reconnect');
    expect(states.at(-1)).toEqual(['role-changed', 'your role changed to viewer: reconnect']);
    expect(connectionLook('role-changed').label).toBe('ROLE CHANGED');
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(FakeSocket.opened).toHaveLength(1);
    socket.reconnect();
    expect(FakeSocket.opened).toHaveLength(2);
    expect(String(FakeSocket.opened[1]!.url)).toMatch(/\/rpc\?token=tok_role$/);
    expect(states.at(-1)![0]).toBe('connecting');
  });

  it('still reconnects after any other close (a restart, a dropped network)', async () => {
    const states: string[] = [];
    connectSocket({ state: (s) => states.push(s), connected: () => {} }, 'tok_other');
    FakeSocket.opened[0]!.serverCloses(1006, '');
    await vi.waitFor(() => expect(FakeSocket.opened).toHaveLength(2), { timeout: 3000 });
    expect(states).toContain('reconnecting');
  });
});
