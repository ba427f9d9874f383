import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkCalibration, readCalibration } from '../src/calibration-file.js';
import { CALIBRATION_FILE } from '../src/data-dir.js';
import { CALIBRATION } from '../src/index.js';
import { expectPinholeError } from '@pinhole/core/testing';

const text = readFileSync(CALIBRATION_FILE, 'utf8');
/** A fresh, unfrozen copy of the shipped figures with one edit applied. */
function edited(edit: (c: Record<string, any>) => void): unknown {
  const c = JSON.parse(text) as Record<string, any>;
  edit(c);
  return c;
}

describe('the calibration figures file (data/calibration.json)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pinhole-calibration-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is what the package loads, deeply frozen, in the form scripts/calibrate.ts writes', () => {
    expect(CALIBRATION).toEqual(JSON.parse(text));
    expect(text).toBe(`${JSON.stringify(CALIBRATION, null, 2)}\n`);
    expect(Object.isFrozen(CALIBRATION.downlink['4g'].knots.p)).toBe(true);
    expect(Object.isFrozen(CALIBRATION.regionRows)).toBe(true);
  });

  it('refuses figures the generator cannot use, naming the field', () => {
    const cases: Array<[string, (c: Record<string, any>) => void]> = [
      ['calibration.downlink.5g', (c) => delete c.downlink['5g']],
      ['calibration.downlink.3g', (c) => (c.downlink['3g'] = c.downlink['4g'])],
      ['calibration.extra', (c) => (c.extra = 1)],
      ['calibration.downlink.4g.median', (c) => (c.downlink['4g'].median = '26.1')],
      ['calibration.downlink.4g.knots.p', (c) => (c.downlink['4g'].knots.p[0] = 0.0005)],
      ['calibration.downlink.4g.knots.p[3]', (c) => (c.downlink['4g'].knots.p[3] = 0.0001)],
      ['calibration.downlink.wifi.knots.x[0]', (c) => (c.downlink.wifi.knots.x[0] = 0)],
      ['calibration.downlink.5g.operatorKnots.460-01.x', (c) => c.downlink['5g'].operatorKnots['460-01'].x.pop()],
      ['calibration.downlink.4g.knots.scale', (c) => (c.downlink['4g'].knots.scale = 'exp')],
      ['calibration.downlink.4g.cityComponent', (c) => (c.downlink['4g'].cityComponent = -0.1)],
      ['calibration.downlink.4g.regionComponent', (c) => (c.downlink['4g'].regionComponent = c.downlink['4g'].cityComponent + 0.01)],
      ['calibration.rsrq4g.rankCorrelationWithRsrp', (c) => delete c.rsrq4g.rankCorrelationWithRsrp],
      ['calibration.rsrp4g.rankCorrelationWithDownlink', (c) => (c.rsrp4g.rankCorrelationWithDownlink = 1.5)],
      ['calibration.perDevice.mean', (c) => (c.perDevice.mean = c.perDevice.max + 1)],
      ['calibration.regionRows[1]', (c) => (c.regionRows[1] = c.regionRows[0] + 1)],
      ['calibration.cells', (c) => (c.cells = 0)],
    ];
    expect(() => checkCalibration(JSON.parse(text))).not.toThrow();
    for (const [param, edit] of cases) expectPinholeError(() => checkCalibration(edited(edit)), 'invalid_argument', param);
  });

  it('reads a valid file and refuses a missing or unparsable one', () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, text);
    expect(readCalibration(good)).toEqual(CALIBRATION);
    expectPinholeError(() => readCalibration(join(dir, 'missing.json')), 'invalid_state', 'calibration');
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, text.slice(0, 1000));
    expectPinholeError(() => readCalibration(bad), 'invalid_state', 'calibration');
  });
});
