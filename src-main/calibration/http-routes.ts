// Read-only HTTP routes of the ECAL calibration (token checked by the caller):
//   GET /api/v1/calibration/sets                          → the setup's sets, newest first, with status
//   GET /api/v1/calibration/sets/:version[?format=csv]    → one set with its per-cell values (JSON or CSV)
import type { ServerResponse } from 'node:http';
import type { Core } from '../core/core';
import { HttpError, sendCsv, sendJson } from '../api/http-api';
import { CalibrationError } from './calibration-sets';

export function handleCalibrationHttp(core: Core, res: ServerResponse, url: URL, parts: string[]): void {
  const [what, version, ...extra] = parts;
  if (what !== 'sets' || extra.length) throw new HttpError(404, 'NOT_FOUND', `no such resource: ${url.pathname}`);
  const calibration = core.calibration;
  if (version === undefined) return sendJson(res, 200, calibration.list());
  const format = url.searchParams.get('format') ?? 'json';
  if (format !== 'json' && format !== 'csv') throw new HttpError(400, 'BAD_REQUEST', `unknown format "${format.slice(0, 32)}"; use json or csv`);
  try {
    if (format === 'csv') {
      const file = calibration.exportSet(version, 'csv');
      return sendCsv(res, file.content, file.filename.replace(/[^A-Za-z0-9._-]/g, '_'));
    }
    return sendJson(res, 200, calibration.detail(version));
  } catch (error) {
    if (error instanceof CalibrationError) throw new HttpError(error.code === 'NOT_FOUND' ? 404 : 400, error.code, error.message);
    throw error;
  }
}
