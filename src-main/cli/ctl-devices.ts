// The devices on the command line: `na64rc site check [--probe] FILE` (no server needed), and `na64rc ctl
// device list|reconnect|log`, `ctl site show|load`, `ctl run site N` against a running server.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { DeviceIdentity } from '../../drivers/sdk/index';
import { loadSiteFile, optionsLine, siteFormat, SiteError, type LoadedSite, type SiteDevice } from '../devices/site-file';
import type { DeviceStatus } from '../shared/api/devices';
import { output, time, withApi, type CtlContext } from './ctl';
import { CliError } from './errors';

/** How long `--probe` waits for each device to say what it is. */
export const PROBE_TIMEOUT_MS = 3000;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

function identityLine(id: DeviceIdentity | null): string {
  if (!id) return '—';
  return [id.model, id.serial ? `s/n ${id.serial}` : '', id.firmware ? `fw ${id.firmware}` : ''].filter(Boolean).join(', ');
}

/** The identity and, in brackets, what the device answered. */
function identityWithDetail(id: DeviceIdentity | null): string {
  return identityLine(id) + (id?.detail ? ` (${id.detail})` : '');
}

/** Connect to one device once and say what it is, or why not; the connection is closed again. */
async function probe(d: SiteDevice): Promise<{ identity: DeviceIdentity | null; error: string | null }> {
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let device;
  try {
    device = d.plugin.create({ id: d.id, transport: d.transport, options: d.options }, { now: Date.now, log: quiet });
  } catch (error) {
    return { identity: null, error: (error as Error).message };
  }
  try {
    return { identity: await device.identify(PROBE_TIMEOUT_MS), error: null };
  } catch (error) {
    return { identity: null, error: (error as Error).message };
  } finally {
    await device.close().catch(() => undefined);
  }
}

function siteHeader(site: LoadedSite): string {
  return (
    `site "${site.name}" (${site.file}): setup ${site.setup.name}, ${site.devices.length} devices, ` +
    `${site.hvMap.channels.length} HV channels (${site.hvMap.file})${site.simulation ? `, simulators at ×${site.simulation.timeScale}` : ''}`
  );
}

export async function siteCheck(file: string, o: { probe: boolean; json: boolean }, print: (line: string) => void, printError: (line: string) => void): Promise<void> {
  let site: LoadedSite;
  try {
    site = loadSiteFile(file);
  } catch (error) {
    if (!(error instanceof SiteError)) throw error;
    if (o.json) print(JSON.stringify({ ok: false, problems: error.problems }, null, 2));
    else for (const p of error.problems) printError(p);
    throw new CliError(`${file}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}; nothing was connected`);
  }
  const probes = o.probe ? await Promise.all(site.devices.map(probe)) : null;
  const devices = site.devices.map((d, i) => ({
    id: d.id,
    plugin: d.plugin.manifest.id,
    kind: d.kind,
    address: d.address,
    options: optionsLine(d.options),
    ...(probes ? { identity: probes[i]!.identity, error: probes[i]!.error } : {}),
  }));
  if (o.json) {
    print(JSON.stringify({ ok: true, name: site.name, setup: site.setup.name, hvMap: site.hvMap.file, hvChannels: site.hvMap.channels.length, devices }, null, 2));
  } else {
    print(siteHeader(site));
    const rows = [['id', 'plugin', 'kind', 'address', probes ? 'identity' : 'options']];
    for (const d of devices) rows.push([d.id, d.plugin, d.kind, d.address, probes ? (d.error ? `cannot connect: ${d.error}` : identityWithDetail(d.identity ?? null)) : d.options]);
    print(table(rows));
  }
  const failed = probes?.filter((p) => p.error).length ?? 0;
  if (failed) throw new CliError(`${failed} of ${site.devices.length} devices could not be reached`);
}

function deviceRows(devices: readonly DeviceStatus[]): string {
  const now = Date.now();
  const age = (ms: number | null) => (ms === null ? 'never' : `${((now - ms) / 1000).toFixed(1)} s ago`);
  const rows = [['id', 'plugin', 'address', 'state', 'last seen', 'reconnects', 'identity', 'why / last error']];
  for (const d of devices) {
    rows.push([d.id, d.plugin, d.address, d.state.toUpperCase(), age(d.lastSeenAt), String(d.reconnects), identityLine(d.identity), d.state === 'online' ? (d.lastError ? `last error ${time(d.lastErrorAt)}: ${d.lastError}` : '') : d.reason]);
  }
  return table(rows);
}

export async function ctlDeviceList(ctx: CtlContext): Promise<void> {
  const devices = await withApi(ctx, (api) => api.devices.list());
  output(ctx, devices, deviceRows(devices));
}

export async function ctlDeviceReconnect(ctx: CtlContext, id: string, reason: string): Promise<void> {
  const device = await withApi(ctx, (api) => api.devices.reconnect({ id, reason }));
  output(ctx, device, `${device.id}: reconnecting (${device.address})`);
}

export async function ctlDeviceLog(ctx: CtlContext, device: string | undefined, limit: number): Promise<void> {
  const log = await withApi(ctx, (api) => api.devices.log({ ...(device ? { device } : {}), limit }));
  const text = log.length
    ? log.map((e) => `${time(e.at)}  ${e.device.padEnd(12)} ${e.event.padEnd(9)} ${(e.state ?? '').padEnd(10)} ${e.detail}${e.user ? ` — ${e.user} (${e.role})` : ''}`).join('\n')
    : 'no device events';
  output(ctx, log, text);
}

export async function ctlSiteShow(ctx: CtlContext): Promise<void> {
  const site = await withApi(ctx, (api) => api.devices.site.get());
  output(
    ctx,
    site,
    `site "${site.name}" (${site.file}), setup ${site.setup}, ${site.hvChannels} HV channels (${site.hvMap})\n` +
      `  in use since ${time(site.since)} (${site.by}); sha256 ${site.hash.slice(0, 16)}…${site.simulation ? `; simulators at ×${site.simulation.timeScale}` : ''}`,
  );
}

export async function ctlSiteLoad(ctx: CtlContext, file: string, reason: string): Promise<void> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const result = await withApi(ctx, (api) => api.devices.site.load({ text, format: siteFormat(file), name: basename(file), reason }));
  const lines = result.changes.map((c) => `  ${c.device.padEnd(12)} ${c.action.padEnd(9)} ${c.result}${c.what ? `: ${c.what}` : ''}${c.message ? ` — ${c.message}` : ''}`);
  output(ctx, result, [`site "${result.site.name}" loaded`, ...lines].join('\n'));
}

export async function ctlRunSite(ctx: CtlContext, run: number): Promise<void> {
  const r = await withApi(ctx, (api) => api.devices.ofRun({ run }));
  const head = r.site ? `run ${r.run} was taken with site "${r.site.name}" (${r.site.file}, sha256 ${r.site.hash.slice(0, 16)}…), setup ${r.site.setup}` : `run ${r.run}: no site recorded (taken before sites were kept)`;
  const rows = [['device', 'plugin', 'address', 'state at start', 'identity']];
  for (const d of r.devices) rows.push([d.device, d.plugin, d.address, d.state, identityWithDetail(d.identity)]);
  output(ctx, r, r.devices.length ? `${head}\n${table(rows)}` : head);
}
