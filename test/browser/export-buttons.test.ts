// The Runs view's export buttons in real Chromium: with a browser session's token they ask the HTTP API with
// the runs list's query and save the file under its name; in the desktop window (no token) they say where the
// same files are.
import { mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ExportButtons from '../../src-renderer/components/runs/ExportButtons.vue';

afterEach(() => {
  sessionStorage.clear();
  vi.restoreAllMocks();
});

describe('export buttons', () => {
  it('without a token: no buttons, the command line named instead', () => {
    sessionStorage.clear();
    const w = mount(ExportButtons, { props: { run: 3 } });
    expect(w.find('[data-testid="export-spills-parquet"]').exists()).toBe(false);
    expect(w.text()).toContain('na64rc ctl export');
  });

  it("with a token: the selected run's and the listed runs' files, with the list's query; an error is shown", async () => {
    sessionStorage.setItem('na64rc.token', 'tok');
    const asked: { url: string; auth: string | null }[] = [];
    vi.spyOn(window, 'fetch').mockImplementation(async (input, init) => {
      asked.push({ url: String(input), auth: new Headers(init?.headers).get('authorization') });
      return asked.length === 3 ? new Response('{"error":{}}', { status: 404 }) : new Response(new Uint8Array([80, 65, 82, 49]));
    });
    const saved: string[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    const w = mount(ExportButtons, { props: { run: 7, query: { limit: 200, setup: 'invisible-e', before: undefined } } });
    await w.get('[data-testid="export-spills-parquet"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="export-done"]').text()).toContain('run7-spills.parquet'));
    await w.get('[data-testid="export-runs-csv"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="export-done"]').text()).toContain('runs.csv'));
    await w.get('[data-testid="export-histograms"]').trigger('click');
    await vi.waitFor(() => expect(w.find('[data-testid="export-error"]').text()).toContain('HTTP 404'));
    expect(asked).toEqual([
      { url: '/api/v1/runs/7/spills?format=parquet', auth: 'Bearer tok' },
      { url: '/api/v1/runs?format=csv&limit=200&setup=invisible-e', auth: 'Bearer tok' },
      { url: '/api/v1/runs/7/histograms.zip', auth: 'Bearer tok' },
    ]);
    expect(saved).toEqual(['run7-spills.parquet', 'runs.csv']);
  });
});
