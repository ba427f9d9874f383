/** Issue 17, slow part: the split-view attack on the SecAgg+ configuration secAggPlusParameters gives for n = 1,000. */
import { describe, expect, it } from 'vitest';
import { secAggPlusParameters } from '../src/index.js';
import { expectRefusedWithoutRecovery, splitViewAttack } from './attacks.js';
import { config } from './helpers.js';

describe('split views on SecAgg+ end in a refusal, never in x_u', () => {
  it('n = 1,000 with the degree and threshold of secAggPlusParameters (10 % dropout, 5 % corrupt)', async () => {
    const p = secAggPlusParameters({ n: 1000, dropoutRate: 0.1, corruptFraction: 0.05 });
    expect([p.degree, p.threshold]).toEqual([98, 63]);
    const cfg = config({
      roundId: 'split-1000',
      cohortSize: 1000,
      threshold: p.threshold,
      bits: 16,
      vectorLength: 8,
      graph: { kind: 'harary', degree: p.degree },
      assumptions: { dropoutRate: 0.1, corruptFraction: 0.05 },
    });
    const o = await splitViewAttack(cfg, 42, 'split');
    expectRefusedWithoutRecovery(o, p.threshold);
    expect(o.refusals.some((r) => r.phase === 'unmask')).toBe(true);
    const codes = new Map<string, number>();
    for (const r of o.refusals) codes.set(`${r.phase}/${r.code}/${r.param.replace(/\[\d+\]/, '[i]')}`, (codes.get(`${r.phase}/${r.code}/${r.param.replace(/\[\d+\]/, '[i]')}`) ?? 0) + 1);
    console.log(
      `split view n=1000 k=${p.degree} t=${p.threshold}: recovered ${o.recovered === null ? 'null' : 'x_u'}; b_u shares ${o.bShares}, fewest key shares ${o.fewestKeyShares}; refusals`,
      Object.fromEntries(codes),
    );
  }, 900_000);
});
