/**
 * Per-device random streams for the simulation: xoshiro128** (Blackman & Vigna 2018) seeded by
 * hashing (key, device index) with Wellons' lowbias32 mixer. The key comes from a labelled
 * sub-stream of core's `seededRng`, so device i's data depend only on (seed, i): any device can be
 * generated alone, in any chunk, in any order. Creating a seedrandom stream per device would cost
 * microseconds each; this costs a few hashes. INSECURE by design: simulation only.
 */
import { type SeededRng } from '@pinhole/core/seeded';

function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

export type DeviceKey = readonly [number, number, number, number];

/** Four 32-bit words from a labelled sub-stream: the key of every device stream under it. */
export function deviceKey(stream: SeededRng): DeviceKey {
  return [stream.u32(), stream.u32(), stream.u32(), stream.u32()];
}

const TWO_32 = 4294967296;

export class DeviceRng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare = 0;
  private hasSpare = false;

  /** Re-seeds for device `index` (0 <= index < 2^53) under `key`. */
  reset(key: DeviceKey, index: number): void {
    const lo = index >>> 0;
    const hi = Math.floor(index / TWO_32) >>> 0;
    const h = mix32(key[0] ^ mix32(lo ^ mix32(hi ^ key[1])));
    this.s0 = mix32(h ^ key[2]);
    this.s1 = mix32(this.s0 ^ key[3]);
    this.s2 = mix32(this.s1 + 0x9e3779b9);
    this.s3 = mix32(this.s2 + 0x632be5ab);
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1; // xoshiro's one forbidden state
    this.hasSpare = false;
  }

  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return r;
  }

  /** Uniform in the open interval (0, 1). */
  uniform(): number {
    return (this.u32() + 0.5) / TWO_32;
  }

  /** Standard normal (Marsaglia's polar method; pairs are cached). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      const a = 2 * this.uniform() - 1;
      const b = 2 * this.uniform() - 1;
      const s = a * a + b * b;
      if (s < 1 && s > 0) {
        const f = Math.sqrt((-2 * Math.log(s)) / s);
        this.spare = b * f;
        this.hasSpare = true;
        return a * f;
      }
    }
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
