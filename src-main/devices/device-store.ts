// Devices in SQLite: the site files the app ran with (whole, by hash), when each came into use and by whom,
// the hardware of each run as it stood at its start, and the append-only device log (state changes and
// operators' actions on devices).
import type { Db } from '../archive/database';
import type { DeviceLogEntry, DeviceStatus, RunSite } from '../shared/api/devices';
import type { Session } from '../shared/auth';
import type { LoadedSite } from './site-file';

interface RunDeviceRow {
  device: string;
  plugin: string;
  kind: string;
  address: string;
  state: string;
  model: string | null;
  serial: string | null;
  firmware: string | null;
  detail: string | null;
  options: string | null;
}

export class DeviceStore {
  private readonly q;

  constructor(private readonly db: Db) {
    this.q = {
      siteByHash: db.prepare<[string], { id: number }>(`SELECT id FROM sites WHERE hash = ?`),
      insertSite: db.prepare<[string, string, string, string, string, string, number]>(
        `INSERT INTO sites (hash, name, file, format, text, setup, seen_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      insertUse: db.prepare<[number, number, string, string, string]>(`INSERT INTO site_uses (at, site, how, user, role) VALUES (?, ?, ?, ?, ?)`),
      lastUse: db.prepare<[], { at: number; user: string; site: number }>(`SELECT at, user, site FROM site_uses ORDER BY seq DESC LIMIT 1`),
      setRunSite: db.prepare<[number, number]>(`UPDATE runs SET site = ? WHERE number = ?`),
      insertRunDevice: db.prepare(
        `INSERT INTO run_devices (run, device, plugin, kind, address, state, model, serial, firmware, detail, options)
         VALUES (@run, @device, @plugin, @kind, @address, @state, @model, @serial, @firmware, @detail, @options)`,
      ),
      runSite: db.prepare<[number], { name: string; file: string; hash: string; setup: string; text: string }>(
        `SELECT s.name, s.file, s.hash, s.setup, s.text FROM runs r JOIN sites s ON s.id = r.site WHERE r.number = ?`,
      ),
      runDevices: db.prepare<[number], RunDeviceRow>(`SELECT * FROM run_devices WHERE run = ? ORDER BY rowid`),
      insertLog: db.prepare(
        `INSERT INTO device_log (at, device, event, state, detail, user, role) VALUES (@at, @device, @event, @state, @detail, @user, @role)`,
      ),
      log: db.prepare<[string | null, string | null, number], DeviceLogEntry>(
        `SELECT seq, at, device, event, state, detail, user, role FROM device_log WHERE (? IS NULL OR device = ?) ORDER BY seq DESC LIMIT ?`,
      ),
    };
  }

  /** Keep the site's text (once per version) and that it came into use now: at start-up or loaded by `session`. */
  siteInUse(site: LoadedSite, how: 'start' | 'load', session: Pick<Session, 'user' | 'role'>, at: number): number {
    return this.db.transaction(() => {
      const id =
        this.q.siteByHash.get(site.hash)?.id ??
        Number(this.q.insertSite.run(site.hash, site.name, site.file, site.format, site.text, site.setup.name, at).lastInsertRowid);
      this.q.insertUse.run(at, id, how, session.user, session.role);
      return id;
    })();
  }

  lastUse(): { at: number; user: string; site: number } | null {
    return this.q.lastUse.get() ?? null;
  }

  /** The hardware of a run at its start; call inside the run's start transaction. */
  saveRunDevices(run: number, site: number, devices: readonly DeviceStatus[]): void {
    this.q.setRunSite.run(site, run);
    for (const d of devices) {
      this.q.insertRunDevice.run({
        run,
        device: d.id,
        plugin: d.plugin,
        kind: d.kind,
        address: d.address,
        state: d.state,
        model: d.identity?.model ?? null,
        serial: d.identity?.serial ?? null,
        firmware: d.identity?.firmware ?? null,
        detail: d.identity?.detail ?? null,
        options: d.options,
      });
    }
  }

  runSite(run: number): RunSite {
    const site = this.q.runSite.get(run) ?? null;
    const devices = this.q.runDevices.all(run).map((r) => ({
      device: r.device,
      plugin: r.plugin,
      kind: r.kind,
      address: r.address,
      options: r.options,
      state: r.state,
      identity: r.model === null && r.detail === null ? null : { model: r.model ?? '', serial: r.serial, firmware: r.firmware, detail: r.detail ?? '' },
    }));
    return { run, site, devices };
  }

  log(entry: Omit<DeviceLogEntry, 'seq'>): void {
    this.q.insertLog.run(entry);
  }

  list(device: string | null, limit: number): DeviceLogEntry[] {
    return this.q.log.all(device, device, limit);
  }
}
