/** Builds the golden client outputs: seeded reports and their wire bytes for every mechanism. */
import { seededRng } from '@pinhole/core/seeded';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES } from '../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function plain(report: unknown): unknown {
  if (report instanceof Uint8Array) return { bits: hex(report) };
  return report;
}

export interface GoldenFile {
  readonly description: string;
  readonly oracles: Record<string, { epsilon: number; domainSize: number; seed: string; inputs: number[]; reports: unknown[]; wire: string[] }[]>;
  readonly numeric: Record<string, { epsilon: number; seed: string; inputs: number[]; reports: number[]; wire: string[] }>;
}

export function buildGolden(): GoldenFile {
  const oracles: GoldenFile['oracles'] = {};
  for (const name of ORACLE_NAMES) {
    const cases: [epsilon: number, domainSize: number, inputs: number[]][] = [
      [1, 16, [0, 1, 5, 9, 15, 3]],
      [2, 1024, [0, 511, 1023]],
    ];
    oracles[name] = cases.map(([epsilon, domainSize, inputs]) => {
      const o = ORACLES[name]({ epsilon, domainSize, allowInsecureRng: true });
      const seed = `golden/${name}/${epsilon}/${domainSize}`;
      const rng = seededRng(seed);
      const reports = inputs.map((v) => o.perturb(v, rng));
      return { epsilon, domainSize, seed, inputs, reports: reports.map(plain), wire: reports.map((r) => hex(o.encodeReport(r))) };
    });
  }
  const numeric: GoldenFile['numeric'] = {};
  for (const name of NUMERIC_NAMES) {
    const m = NUMERIC_MECHANISMS[name]({ epsilon: 1, allowInsecureRng: true });
    const seed = `golden/${name}`;
    const rng = seededRng(seed);
    const inputs = [-1, -0.3, 0, 0.7, 1];
    const reports = inputs.map((t) => m.perturb(t, rng));
    numeric[name] = { epsilon: 1, seed, inputs, reports, wire: reports.map((r) => hex(m.encodeReport(r))) };
  }
  return {
    description:
      'Seeded client outputs of every @pinhole/ldp mechanism (seededRng(seed), perturb over inputs in order). Regenerate only on an intended change: node --conditions=pinhole-source --import tsx packages/ldp/test/vectors/generate.ts',
    oracles,
    numeric,
  };
}
