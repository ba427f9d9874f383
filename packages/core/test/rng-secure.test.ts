/**
 * Only the platform CSPRNG is a secure Rng (issue 16, item 7): no public function labels an
 * arbitrary word source as secure, a hand-made object that claims `insecure: false` is refused
 * where privacy noise is drawn, and a cryptoRng() cannot be rewired to another source.
 */
import { describe, expect, it } from 'vitest';
import * as core from '@pinhole/core';
import * as seeded from '@pinhole/core/seeded';
import { type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { expectPinholeError } from '@pinhole/core/testing';

const constant = () => 4; // chosen by fair dice roll

describe('secure Rng', () => {
  it('rngFromU32 cannot wrap a word source as secure, whichever entry exports it', () => {
    const wraps = [(core as Record<string, unknown>).rngFromU32, (seeded as Record<string, unknown>).rngFromU32].filter((f): f is (...args: unknown[]) => Rng => typeof f === 'function');
    expect(wraps.length).toBeGreaterThan(0);
    for (const wrap of wraps) {
      let made: Rng | undefined;
      try {
        made = wrap(constant, false);
      } catch (err) {
        expect(err).toBeInstanceOf(core.PinholeError); // refusing the old "secure" flag is fine too
        continue;
      }
      expect(made.insecure).toBe(true);
      expectPinholeError(() => requireSecureRng(made, false), 'insecure_rng', 'rng');
    }
  });

  it('a hand-made object claiming to be secure is refused for privacy noise', () => {
    const forged: Rng = { insecure: false, u32: constant, float64: () => 0.5, int: () => 0, bytes: (n: number) => new Uint8Array(n) };
    expectPinholeError(() => requireSecureRng(forged, false), 'insecure_rng', 'rng');
    expectPinholeError(() => requireSecureRng({ ...cryptoRng() }, undefined), 'insecure_rng', 'rng');
    // with the explicit simulation opt-in it is accepted like any insecure generator
    expect(requireSecureRng(forged, true)).toBe(forged);
  });

  it('a cryptoRng cannot be rewired or relabelled', () => {
    const rng = cryptoRng();
    expect(Object.isFrozen(rng)).toBe(true);
    expect(() => {
      (rng as { u32: () => number }).u32 = constant;
    }).toThrow(TypeError);
    expect(requireSecureRng(rng, false)).toBe(rng);
  });
});
