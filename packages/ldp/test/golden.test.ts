/** Golden vectors: seeded client outputs (reports and wire bytes) of every mechanism are pinned. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NUMERIC_MECHANISMS, ORACLES, type OracleName } from '../src/index.js';
import { type GoldenFile, buildGolden } from './golden.js';

const file = JSON.parse(readFileSync(new URL('./vectors/client-outputs.json', import.meta.url), 'utf8')) as GoldenFile;
const now = buildGolden();
// bit-set reports as msgpackr wrote them under Node before the encoder switch (its typed-array extension, not bin)
const nodeForm = JSON.parse(readFileSync(new URL('./vectors/client-outputs-msgpackr-node.json', import.meta.url), 'utf8')) as {
  oracles: Record<string, { epsilon: number; domainSize: number; wire: string[] }[]>;
};

describe('golden vectors', () => {
  it('pin every oracle and every numeric mechanism, each with reports and wire bytes', () => {
    expect(Object.keys(file.oracles).sort()).toEqual(Object.keys(ORACLES).sort());
    expect(Object.keys(file.numeric).sort()).toEqual(Object.keys(NUMERIC_MECHANISMS).sort());
    expect(Object.keys(now.oracles).sort()).toEqual(Object.keys(ORACLES).sort());
    expect(Object.keys(now.numeric).sort()).toEqual(Object.keys(NUMERIC_MECHANISMS).sort());
    for (const cfgs of Object.values(file.oracles)) {
      expect(cfgs.length).toBeGreaterThan(0);
      for (const cfg of cfgs) expect(cfg.wire.length).toBeGreaterThan(0);
    }
    for (const n of Object.values(file.numeric)) {
      expect(n.wire.length).toBeGreaterThan(0);
      expect(n.reports.length).toBe(n.wire.length);
    }
  });
  for (const name of Object.keys(file.oracles)) {
    it(`${name}: seeded reports and wire bytes are unchanged, and the bytes decode back`, () => {
      expect(now.oracles[name]).toEqual(file.oracles[name]);
      for (const cfg of file.oracles[name]!) {
        const o = ORACLES[name as OracleName]({ epsilon: cfg.epsilon, domainSize: cfg.domainSize });
        for (const w of cfg.wire) expect(Buffer.from(o.encodeReport(o.decodeReport(Buffer.from(w, 'hex')))).toString('hex')).toBe(w);
      }
    });
  }
  for (const name of Object.keys(file.numeric)) {
    it(`${name}: seeded reports and wire bytes are unchanged`, () => {
      expect(now.numeric[name]).toEqual(file.numeric[name]);
      const m = NUMERIC_MECHANISMS[name as 'duchi']({ epsilon: 1 });
      file.numeric[name]!.wire.forEach((w, i) => expect(m.decodeReport(new Uint8Array(Buffer.from(w, 'hex')))).toBe(file.numeric[name]!.reports[i]));
    });
  }
  for (const [name, cfgs] of Object.entries(nodeForm.oracles)) {
    it(`${name}: reports in the earlier Node form still decode to the same reports`, () => {
      for (const cfg of cfgs) {
        const o = ORACLES[name as OracleName]({ epsilon: cfg.epsilon, domainSize: cfg.domainSize });
        const current = file.oracles[name]!.find((c) => c.epsilon === cfg.epsilon && c.domainSize === cfg.domainSize)!;
        expect(cfg.wire).not.toEqual(current.wire);
        cfg.wire.forEach((w, i) => expect(o.decodeReport(Buffer.from(w, 'hex'))).toEqual(o.decodeReport(Buffer.from(current.wire[i]!, 'hex'))));
      }
    });
  }
});
