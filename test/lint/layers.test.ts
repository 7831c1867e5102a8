// The layer rule fires on the real lint configuration: a boundary crossing in any layer is an error.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT });

async function layerErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result!.messages.filter((m) => m.ruleId === 'na64/layers').map((m) => m.message);
}

describe('na64/layers', () => {
  it.each([
    ['src-main/core/core.ts', "import { app } from 'electron';", /only in src-main\/shell/],
    ['src-main/daq/x.ts', "const e = require('electron');", /only in src-main\/shell/],
    ['src-renderer/stores/x.ts', "import { Core } from '../../src-main/core/core';", /may not import src-main\/core\/core/],
    ['src-renderer/stores/x.ts', "import { readFileSync } from 'node:fs';", /Node built-in/],
    ['src-renderer/stores/x.ts', "import Database from 'better-sqlite3';", /Node-only package/],
    ['src-renderer/x.ts', "import('electron');", /only in src-main\/shell/],
    ['src-main/shared/x.ts', "import { join } from 'node:path';", /Node built-in/],
    ['src-main/shared/x.ts', "import { pino } from 'pino';", /environment-free/],
    ['src-main/shared/x.ts', "import DOMPurify from 'dompurify';", /environment-free/],
    ['src-renderer/x.ts', "import sharp from 'sharp';", /Node-only package/],
    ['src-main/shared/x.ts', "export * from '../core/core';", /may not import src-main\/core\/core/],
    ['src-main/monitor/monitor.worker.ts', "import { RunsArchive } from '../archive/runs-archive';", /may not import src-main\/archive/],
    ['drivers/twin/x.ts', "import { Core } from '../../src-main/core/core';", /may not import src-main/],
    ['drivers/twin/x.ts', "import { DateWriter } from '../na64-daq/format/writer';", /may not import drivers\/na64-daq/],
    ['src-main/monitor/monitor.worker.ts', "import { Na64Daq } from '../../drivers/na64-daq/driver';", /may not import drivers\/na64-daq\/driver/],
    ['src-main/monitor/monitor.worker.ts', "import { Random } from '../../drivers/twin/random';", /may not import drivers\/twin/],
    ['drivers/caen-n1470/x.ts', "import { twin } from '../iseg-scpi/driver';", /may not import drivers\/iseg-scpi/],
    ['drivers/sdk/index.ts', "import { Random } from '../twin/random';", /may not import drivers\/twin/],
    ['drivers/transports/tcp.ts', "import { Random } from '../twin/random';", /may not import drivers\/twin/],
    ['drivers/iseg-scpi/driver.ts', "import { HvService } from '../../src-main/hv/hv-service';", /may not import src-main/],
    ['db/migrations/0002-x.ts', "import { Core } from '../../src-main/core/core';", /may not import/],
    // The core knows the plugin contract and the registry, never a concrete driver, simulator or the twin.
    ['src-main/core/x.ts', "import { na64DaqPlugin } from '../../drivers/na64-daq/driver';", /may not import drivers\/na64-daq\/driver/],
    ['src-main/hv/x.ts', "import { CaenN1470Simulator } from '../../drivers/caen-n1470/simulator';", /may not import drivers\/caen-n1470\/simulator/],
    ['src-main/setup/x.ts', "import { ADC_PER_GEV } from '../../drivers/twin/defaults';", /may not import drivers\/twin/],
    ['src-main/shell/main.ts', "import { Twin } from '../../drivers/twin/twin';", /may not import drivers\/twin/],
    ['src-main/devices/x.ts', "import { linkFor } from '../../drivers/transports/index';", /may not import drivers\/transports/],
    ['drivers/registry.ts', "import { DaqSimulator } from './na64-daq/simulator';", /may not import drivers\/na64-daq\/simulator/],
    ['setups/x.ts', "import { Core } from '../src-main/core/core';", /may not import src-main/],
    ['setups/x.ts', "import { Twin } from '../drivers/twin/twin';", /may not import drivers\/twin/],
    // A simulator generates with its own detector truth, not the app's nominal physics (issue 17).
    ['drivers/twin/x.ts', "import { ECAL_PROFILE, SAMPLES } from '../../setups/nominal';", /not the app's nominal ECAL_PROFILE/],
    ['drivers/twin/x.ts', "import * as nominal from '../../setups/nominal';", /only SAMPLES/],
    ['drivers/na64-daq/x.ts', "import { pulseTemplate } from '../../setups/nominal';", /own detector truth/],
  ])('%s: %s is an error', async (file, code, message) => {
    const errors = await layerErrors(file, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(message);
  });

  it.each([
    ['src-main/shell/main.ts', "import { app } from 'electron';"],
    ['src-main/shell/main.ts', "import { Core } from '../core/core';"],
    ['src-renderer/stores/x.ts', "import { Hist1D } from '@shared/histogram';"],
    ['src-renderer/stores/x.ts', "import { contract } from '../../src-main/shared/api/contract';"],
    ['src-main/shared/x.ts', "import { z } from 'zod';"],
    ['src-main/shared/markdown.ts', "import MarkdownIt from 'markdown-it';"],
    ['src-main/monitor/monitor.worker.ts', "import { SpillHistograms } from './recon/spill-histograms';"],
    ['src-main/monitor/monitor.worker.ts', "import type { ToWorker } from './protocol';"],
    ['drivers/caen-n1470/x.ts', "import type { Device } from '../sdk/index';"],
    ['drivers/caen-n1470/x.ts', "import { Random } from '../twin/random';"],
    ['drivers/caen-n1470/x.ts', "import { RequestReply } from '../transports/request-reply';"],
    ['drivers/transports/x.ts', "import type { DriverState } from '../sdk/index';"],
    ['src-main/core/x.ts', "import { pluginById } from '../../drivers/registry';"],
    ['src-main/devices/x.ts', "import type { HvSupply } from '../../drivers/sdk/index';"],
    ['src-main/core/x.ts', "import { loadSetup } from '../../setups/load';"],
    ['src-main/calibration/x.ts', "import { EventType } from '../../drivers/na64-daq/format/date';"],
    ['src-main/cli/simulators/device-sim.ts', "import { DaqSimulator } from '../../../drivers/na64-daq/simulator';"],
    ['drivers/registry.ts', "import { caenN1470Plugin } from './caen-n1470/driver';"],
    ['drivers/twin/twin.ts', "import { setupCells } from '../../setups/cells';"],
    ['drivers/twin/digitizer.ts', "import { SAMPLES } from '../../setups/nominal';"],
    ['drivers/twin/x.ts', "import type { Cell } from '../../setups/cells';"],
    ['setups/load.ts', "import { parseChannelMap } from '../drivers/na64-daq/format/channel-map';"],
    ['src-main/monitor/monitor.worker.ts', "import { decodeMsadc } from '../../drivers/na64-daq/format/msadc';"],
    ['drivers/na64-daq/simulator.ts', "import { Twin } from '../twin/twin';"],
  ])('%s: %s is allowed', async (file, code) => {
    expect(await layerErrors(file, code)).toEqual([]);
  });
});
