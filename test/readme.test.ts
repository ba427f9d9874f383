import { describe, expect, it } from 'vitest';
import { PinholeError, PrivacyAccountant, cryptoRng, sampleDiscreteGaussian, validateNetworkSample } from '@pinhole/core';
import { makeOue } from '@pinhole/ldp';

// The README's API taste, run as written, then carried one step further: the report crosses the
// wire and lands in a server-side tally.
describe('README: a taste of the API', () => {
  it('runs as documented', () => {
    const sample = validateNetworkSample({
      networkType: '5g-nsa',
      operator: '460-00',
      cell: 'guangdong/shenzhen',
      downlinkMbps: 312,
      rttMs: 28,
      deviceClass: 'phone-high',
      timestamp: Date.now(),
    });
    expect(sample.downlinkMbps).toBe(312);
    let err: unknown;
    try {
      validateNetworkSample({ ...sample, rttMs: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PinholeError);
    expect(err).toMatchObject({ code: 'invalid_argument', param: 'sample.rttMs' });

    const rng = cryptoRng();
    const oracle = makeOue({ epsilon: 1, domainSize: 6 });
    const report = oracle.encodeReport(oracle.perturb(3, rng));
    expect(report).toBeInstanceOf(Uint8Array);

    const ledger = new PrivacyAccountant({ budget: { epsilon: 1, delta: 1e-6 } });
    ledger.spend({ epsilon: 0.5, delta: 0 }, 'network-type share');
    ledger.spend({ rho: 0.002 }, 'central counts');
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(1);
    expect(Number.isInteger(sampleDiscreteGaussian(10, rng))).toBe(true);

    const tally = oracle.createTally();
    tally.add(oracle.decodeReport(report));
    expect(tally.n).toBe(1);
  });
});
