// The setup's section of a run's conditions: its name, beam, trigger and monitoring settings, which channel
// map and HV map were in force (version, size, SHA-256), and a hash of the whole configuration, so that any
// change to the setup's files shows in the diff of two runs even where it is not spelled out here.
import { createHash } from 'node:crypto';
import type { Setup } from '../../setups/load';
import type { HvMap } from '../../setups/hv-map';
import type { SetupConditions } from '../shared/api/conditions';

function sha256(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

export function setupConditions(setup: Setup, hvMap: HvMap): SetupConditions {
  const { name, description, beam, trigger, detectors, monitor } = setup;
  return {
    name,
    beam: { line: beam.line, particle: beam.particle, energyGeV: beam.energyGeV, particlesPerSpill: beam.particlesPerSpill },
    trigger,
    monitor,
    // The entries without their line numbers: a comment added to the file is not a new map.
    channelMap: {
      version: setup.channelMapVersion,
      channels: setup.channelMap.length,
      sha256: sha256(setup.channelMap.map(({ line: _line, ...e }) => e)),
    },
    hvMap: {
      file: hvMap.file,
      channels: hvMap.channels.length,
      sha256: sha256(hvMap.channels.map(({ line: _line, ...c }) => c)),
    },
    configSha256: sha256({ name, description, beam, trigger, detectors, monitor }),
  };
}
