// The access token travels in the URL fragment once, then lives in this tab's session storage only.
import { describe, expect, it } from 'vitest';
import { takeToken } from '../../src-renderer/api/connection';

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
