/** Golden vectors: seeded client outputs (reports and wire bytes) of every mechanism are pinned. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NUMERIC_MECHANISMS, ORACLES, type OracleName } from '../src/index.js';
import { type GoldenFile, buildGolden } from './golden.js';

const file = JSON.parse(readFileSync(new URL('./vectors/client-outputs.json', import.meta.url), 'utf8')) as GoldenFile;
const now = buildGolden();

describe('golden vectors', () => {
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
});
