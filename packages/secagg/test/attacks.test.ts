/**
 * Issue 17: a deviating server (test/attacks.ts) against the real client. Before the fix each
 * attack recovered x_u exactly (output in the closing note); now each ends in a typed refusal from
 * an honest client and the server cannot reconstruct the input. The SecAgg+ n = 1,000 split view
 * is in attacks.slow.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeRoundConfig } from '../src/index.js';
import { attackDirectory, expectRefusedWithoutRecovery, keySubstitutionAttack, splitViewAttack } from './attacks.js';
import { config, failure } from './helpers.js';

describe('split views end in a refusal, never in x_u', () => {
  for (const [n, t] of [
    [5, 3],
    [100, 51],
  ] as const) {
    for (const strategy of ['split', 'consistent'] as const) {
      it(`complete graph n = ${n}, t = ${t}, ${strategy} survivor sets`, async () => {
        const cfg = config({ roundId: `split-${n}-${strategy}`, cohortSize: n, threshold: t, bits: 16, vectorLength: 8 });
        const o = await splitViewAttack(cfg, 2, strategy);
        expectRefusedWithoutRecovery(o, t);
        if (strategy === 'split') expect(o.refusals.some((r) => r.phase === 'unmask')).toBe(true);
        // a consistent set without F is refused by the target itself: its holders outside F sent it nothing
        else expect(o.refusals).toContainEqual(expect.objectContaining({ id: 2, phase: 'consistency', code: 'protocol_violation', param: 'survivors' }));
      });
    }
  }
});

describe('key substitution', () => {
  it('with a directory: the target refuses the substituted keys (verify_failed), nothing is shared', async () => {
    const cfg = config({ roundId: 'subst-dir', cohortSize: 5, threshold: 3, bits: 16, vectorLength: 8 });
    const o = await keySubstitutionAttack(cfg, 2);
    expect(o.recovered).toBeNull();
    expect(o.bShares).toBe(0);
    expect(o.refusals).toEqual([expect.objectContaining({ id: 2, phase: 'share', code: 'verify_failed', param: 'vks[0]' })]);
    expect(o.refusals[0]?.message).toMatch(/directory does not vouch/);
  });

  it('with a directory on the server too: the same', async () => {
    const cfg = config({ roundId: 'subst-dir2', cohortSize: 20, threshold: 11, bits: 16, vectorLength: 8 });
    const o = await keySubstitutionAttack(cfg, 7, attackDirectory(cfg));
    expect(o.recovered).toBeNull();
    expect(o.refusals).toEqual([expect.objectContaining({ id: 7, phase: 'share', code: 'verify_failed' })]);
  });

  it('without a directory a client refuses the round unless it opts in to honest-but-curious, where the attack works and the result says so', async () => {
    const hbc = makeRoundConfig({ roundId: 'subst-hbc', cohortSize: 5, threshold: 3, bits: 16, vectorLength: 8, threatModel: 'honest_but_curious' });
    const { SecAggClient } = await import('../src/index.js');
    expect(await failure(() => new SecAggClient(hbc, 2, {}))).toMatchObject({ code: 'invalid_argument', param: 'honestButCurious' });
    // Opted in (no one vouches for keys), a deviating server reads the input: the mode exists only
    // for a server trusted to follow the protocol, and every result carries it.
    const o = await keySubstitutionAttack(hbc, 2);
    expect(o.refusals).toEqual([]);
    expect(Array.from(o.recovered ?? [])).toEqual(Array.from(o.input));
  });
});
