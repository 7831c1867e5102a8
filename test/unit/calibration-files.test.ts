// Calibration sets as files come from outside (other tools, e-mail, a USB stick): a set survives the round
// trip through JSON and CSV exactly, and every malformed or hostile file is refused with a sentence that
// names the line or the cell.
import { describe, expect, it } from 'vitest';
import { CalibrationError } from '../../src-main/calibration/calibration-sets';
import { MAX_SET_FILE_BYTES, parseSetFile, serializeSet, SET_FILE_FORMAT } from '../../src-main/calibration/set-files';

const ecal = Array.from({ length: 4 }, (_, i) => `ECAL1-0-${i}`);
const known = new Set([...ecal, 'HCAL0-0-0']);
const values = ecal.map((cell, i) => ({ cell, gevPerAdc: 0.0374531835 + i * 1e-4, uncertainty: 1.2e-4 }));
const file = { setup: 'invisible-e', version: 'scan-r12', author: 'erin', sourceRuns: '12', comment: 'beam scan, "all" cells,\nsecond line', createdAt: 1_790_000_000_000, values };

function refusal(content: string, format: 'json' | 'csv'): string {
  try {
    parseSetFile(content, format, known, ecal);
  } catch (error) {
    expect(error).toBeInstanceOf(CalibrationError);
    expect((error as CalibrationError).code).toBe('BAD_REQUEST');
    return (error as Error).message;
  }
  throw new Error('the file was accepted');
}

const csv = (...rows: string[]) => ['cell,gev_per_adc,uncertainty', ...rows].join('\n');
const goodRows = values.map((v) => `${v.cell},${v.gevPerAdc},${v.uncertainty}`);

describe('calibration set files', () => {
  it('round-trips a set through JSON and CSV exactly (metadata too; line breaks in a comment flattened in CSV)', () => {
    for (const format of ['json', 'csv'] as const) {
      const parsed = parseSetFile(serializeSet(file, format), format, known, ecal);
      expect([...parsed.values.values()]).toEqual(values);
      expect(parsed).toMatchObject({ setup: 'invisible-e', version: 'scan-r12', author: 'erin', sourceRuns: '12', createdAt: 1_790_000_000_000 });
      expect(parsed.comment).toBe(format === 'json' ? file.comment : 'beam scan, "all" cells, second line');
    }
    // Windows line ends, blank lines and spaces around fields are fine.
    const crlf = `# ${SET_FILE_FORMAT}\r\n\r\n${csv(...goodRows.map((r) => r.replace(/,/g, ' , '))).replace(/\n/g, '\r\n')}\r\n`;
    expect(parseSetFile(crlf, 'csv', known, ecal).values.size).toBe(4);
  });

  it('refuses malformed and hostile JSON with a sentence', () => {
    expect(refusal('{"format": "na64rc-calibration-set", "cells": [', 'json')).toMatch(/^the file is not JSON: /);
    expect(refusal('[1, 2, 3]', 'json')).toMatch(/expected object|the file/);
    expect(refusal(JSON.stringify({ format: 'something-else', cells: values }), 'json')).toBe(`format: not a calibration set file (its "format" must be "${SET_FILE_FORMAT}")`);
    expect(refusal(JSON.stringify({ format: SET_FILE_FORMAT, cells: [] }), 'json')).toBe('cells: the file lists no cells');
    expect(refusal(JSON.stringify({ format: SET_FILE_FORMAT, cells: [{ ...values[0], extra: '<script>' }] }), 'json')).toMatch(/^cells\.0: /);
    expect(refusal(JSON.stringify({ format: SET_FILE_FORMAT, cells: [{ ...values[0], gevPerAdc: '0.04' }] }), 'json')).toMatch(/^cells\.0\.gevPerAdc: /);
    expect(refusal(JSON.stringify({ format: SET_FILE_FORMAT, comment: 'x'.repeat(5000), cells: values }), 'json')).toMatch(/^comment: /);
    const proto = `{"format": "${SET_FILE_FORMAT}", "__proto__": {"admin": true}, "cells": ${JSON.stringify(values)}}`;
    const parsed = parseSetFile(proto, 'json', known, ecal);
    expect((parsed as unknown as { admin?: boolean }).admin).toBeUndefined();
    expect(({} as { admin?: boolean }).admin).toBeUndefined();
  });

  it('refuses malformed and hostile CSV naming the line', () => {
    expect(refusal('cell;gev;unc\nECAL1-0-0;1;0', 'csv')).toBe('line 1: expected the header "cell,gev_per_adc,uncertainty"');
    expect(refusal('# only a comment\n', 'csv')).toBe('the file has no "cell,gev_per_adc,uncertainty" header');
    expect(refusal(csv(goodRows[0]!, 'ECAL1-0-1,0.03'), 'csv')).toBe('line 3: expected 3 fields (cell, GeV per ADC, uncertainty), found 2');
    expect(refusal(csv(goodRows[0]!, '=HYPERLINK("http://x"),0.03,0'), 'csv')).toBe('line 3: "=HYPERLINK("http://x")" is not a cell of this setup');
    expect(refusal(csv(...goodRows, goodRows[1]!), 'csv')).toBe('line 6: ECAL1-0-1 is listed twice');
    for (const bad of ['-0.03', '0', 'NaN', 'Infinity', '0x10', '1e999', '', '3.5.1']) {
      expect(refusal(csv(`ECAL1-0-0,${bad},0`), 'csv')).toBe('line 2: the constant of ECAL1-0-0 must be a positive number of GeV per ADC count');
    }
    expect(refusal(csv('ECAL1-0-0,0.03,-1'), 'csv')).toBe('line 2: the uncertainty of ECAL1-0-0 must be a number ≥ 0');
  });

  it('refuses a file that lacks ECAL cells or is far too large, and takes a set with extra known cells', () => {
    expect(refusal(csv(goodRows[0]!, goodRows[1]!), 'csv')).toBe('the file lacks 2 ECAL cells (ECAL1-0-2, ECAL1-0-3): a set must give every ECAL cell');
    expect(refusal(`${csv(...goodRows)}\n${'#'.repeat(MAX_SET_FILE_BYTES)}`, 'csv')).toBe(`the file is larger than ${MAX_SET_FILE_BYTES / 1024} kB: not a calibration set`);
    expect(parseSetFile(csv(...goodRows, 'HCAL0-0-0,0.2,0.01'), 'csv', known, ecal).values.get('HCAL0-0-0')).toEqual({ cell: 'HCAL0-0-0', gevPerAdc: 0.2, uncertainty: 0.01 });
  });
});
