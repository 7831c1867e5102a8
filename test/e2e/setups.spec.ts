// Each experiment setup served from an empty data directory (`na64rc serve --sim --setup X`), a physics run
// taken, and its own Shift view: what it counts on target (MOT for the M2 muon beam, POT for the π⁻ beam, EOT
// for the visible mode), its beam panel (the muon beam's composition without an SRD, the π⁻ beam's electron
// tagging with one), the visible mode's dump energy; its Reach view's search; and its Runs view, whose count
// on target is headed with the setup's unit (a KOT column beside the hadron run's POT). Screenshots kept.
import { expect } from '@playwright/test';
import type { SpillSummary } from '../../src-main/shared/api/schemas';
import { api, runCli, waitFor } from '../support/serve-process';
import { open, test } from '../support/e2e-fixtures';
import { promptArgs } from '../support/prompts';

const SETUPS = [
  { setup: 'muon', unit: 'MOT', title: 'Muons on target (MOT)', epi: 'Beam composition (muon beam, no SRD)', reach: 'Z_μ (L_μ − L_τ) → invisible', plot: 'momentum' },
  { setup: 'hadron', unit: 'POT', title: 'Pions on target (POT)', epi: 'e/π (SRD)', reach: 'M⁰ → invisible', plot: 'ecal' },
  { setup: 'visible-e', unit: 'EOT', title: 'Electrons on target (EOT)', epi: 'e/π (SRD)', reach: 'A′ / X(17) → e⁺e⁻ (visible mode)', plot: 'wcal' },
] as const;

for (const s of SETUPS) {
  test.describe(`setup ${s.setup}`, () => {
    test.use({ serveArgs: ['--setup', s.setup] });

    test(`serves ${s.setup} from empty, takes a run and shows its own panels`, async ({ page, server, problems }, info) => {
      test.setTimeout(150_000);
      expect((await runCli(['ctl', '--data', server.info.dataDir, 'run', 'start', 'physics', '--comment', `first ${s.setup} run`, ...promptArgs('physics')])).code).toBe(0);
      await waitFor(
        '2 judged spills of run 1',
        async () => {
          const r = await api<SpillSummary[]>(server.info, '/api/v1/runs/1/spills');
          return r.status === 200 && r.body.filter((x) => x.dq).length >= 2;
        },
        90_000,
      );
      await open(page, server);
      await expect(page.getByTestId('eot-title')).toHaveText(s.title);
      // The run's count is positive: the setup counts its own beam particle.
      await expect(page.getByTestId('eot-run')).toHaveText(/\d\.\d\d×10/, { timeout: 30_000 });
      // The hadron beam counts its kaons (the CEDAR's tag) beside the pions, against Table 1's 5×10¹¹ KOT.
      if (s.setup === 'hadron') {
        await expect(page.getByTestId('kot-title')).toHaveText('Kaons on target (KOT, CEDAR)');
        await expect(page.getByTestId('kot-run')).toHaveText(/\d\.\d\d×10/);
        await expect(page.getByTestId('eot-panel')).toContainText('5.00×10¹¹');
      } else await expect(page.getByTestId('kot-title')).toHaveCount(0);
      await expect(page.getByTestId('epi-title')).toHaveText(s.epi);
      await expect(page.locator(`[data-plot="${s.plot}"] canvas`)).toBeVisible({ timeout: 30_000 });
      await page.screenshot({ path: info.outputPath(`shift-${s.setup}.png`), fullPage: true });
      await page.getByTestId('nav-reach').click();
      await expect(page.getByTestId('reach-summary')).toContainText(s.reach);
      await expect(page.getByTestId('reach-summary')).toContainText(`setup ${s.setup}`);
      await page.screenshot({ path: info.outputPath(`reach-${s.setup}.png`), fullPage: true });

      // The Runs view heads the run's count with the setup's unit; the hadron run's kaons have their own column.
      await page.getByTestId('nav-runs').click();
      const table = page.getByTestId('runs-table');
      await expect(table.locator('tbody tr[data-run="1"]')).toBeVisible();
      await expect(table.getByRole('columnheader', { name: s.unit, exact: true })).toBeVisible();
      await expect(page.getByTestId('filter-eot-label')).toHaveText(s.unit);
      await expect(table.getByRole('columnheader', { name: 'EOT', exact: true })).toHaveCount(s.unit === 'EOT' ? 1 : 0);
      await expect(table.getByRole('columnheader', { name: 'KOT', exact: true })).toHaveCount(s.setup === 'hadron' ? 1 : 0);
      if (s.setup === 'hadron') await expect(table.getByTestId('runs-kot')).toHaveText(/\d\.\d\d×10/);
      await table.locator('tr[data-run="1"]').click();
      await expect(page.getByTestId('run-eot-label')).toHaveText(`${s.unit} counted`);
      await expect(page.getByTestId('run-kot')).toHaveCount(s.setup === 'hadron' ? 1 : 0);
      await page.screenshot({ path: info.outputPath(`runs-${s.setup}.png`), fullPage: true });
      expect(problems).toEqual([]);
    });
  });
}
