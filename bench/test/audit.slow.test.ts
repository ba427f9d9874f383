/**
 * The privacy auditor, full grid: every target (each LDP oracle and numeric mechanism, the central
 * discrete Gaussian, the distributed Skellam and discrete-Gaussian sums, the gate's DP selections,
 * every private pipeline of the bench on its collections, and every broken variant) at epsilon in
 * {0.5, 1, 2, 4}, with the CLI's quick preset (50,000 measurement runs per input for a cheap
 * mechanism; expensive targets divide by their cost).
 *
 * False failures: each audit runs at alpha = 1e-6 (audit.ts: a target that meets its claim fails
 * with probability <= alpha), so over the 156 audits of shipped targets the suite fails a correct
 * code base with probability <= 1.6e-4; seeds are pinned, so a run is reproducible.
 *
 * Power, the weakest cases of the grid (z = 5.03 for one feature, 5.16 for two):
 *  - sue-full-epsilon at epsilon 0.5 (N = 12,500): P = p(1-q) = 0.387 vs q(1-p) = 0.143 (ratio e^1);
 *    expected bound ln((0.387 - 0.022)/(0.143 + 0.016)) = 0.83, sd 0.025: below 0.5 with
 *    probability Φ(-13).
 *  - grr-binary-p at epsilon 0.5 (N = 50,000): p = 0.622 vs q = 0.054 (ratio 11.5): bound ≈ 2.3.
 *  - central-float-laplace and olh-seed-as-coin: events of probability 0 on x' and > 0.25 on x; with
 *    N >= 16,667 runs the bound is at least ln(0.25·16,667 / ln(8e6)) = 5.5 > 4.
 *  - secagg-ddp-no-clamp at epsilon 4 (N = 2,500, m = 6): the raw-mean event has probability
 *    ~0.96 on x and 0 on x': bound ln(0.93·2,500 / ln(1.2e7)) = 4.96 > 3.88 (the claimed loss).
 */
import { describe, expect, it } from 'vitest';
import { audit } from '../src/audit.js';
import { AUDIT_PRESETS } from '../src/audit-cli.js';
import { auditTarget, auditTargetIds } from '../src/audit-suite.js';

const { trials, epsilons } = AUDIT_PRESETS.quick;

describe.each(epsilons)('audit at epsilon = %s', (epsilon) => {
  for (const id of auditTargetIds()) {
    const broken = id.startsWith('broken/');
    it(`${id} ${broken ? 'is caught' : 'passes'}`, () => {
      const o = audit(auditTarget(id, epsilon), { trials, alpha: 1e-6, seed: 'pinhole-audit' });
      if (broken) {
        expect(o.verdict, `${id}: lower ${o.epsilonLower} <= claimed ${o.claimed.epsilon}`).toBe('fail');
        expect(o.caught).toBe(true);
      } else {
        expect(o.verdict, `${id}: lower ${o.epsilonLower} > claimed ${o.claimed.epsilon} (${o.best.description})`).toBe('pass');
      }
    });
  }
});
