/**
 * XofTurboShake128 (draft-irtf-cfrg-vdaf-20 §6.2.1): TurboSHAKE128 with domain byte 1 over
 * le16(len(dst)) ‖ dst ‖ u8(len(seed)) ‖ seed ‖ binder, and the derived `next_vec` /
 * `expand_into_vec` (rejection sampling of little-endian field elements, §6.2).
 */
import { turboshake128 } from '@noble/hashes/sha3-addons.js';
import type { Field } from './field.js';

export const SEED_SIZE = 32;

/** The TurboSHAKE128 rate: squeezing whole blocks wastes no permutation. */
const RATE = 168;

export class Xof {
  private readonly h: ReturnType<typeof turboshake128.create>;
  private buf = new Uint8Array(0);
  private pos = 0;

  constructor(seed: Uint8Array, dst: Uint8Array, binder: Uint8Array) {
    this.h = turboshake128.create({ D: 1 });
    const head = new Uint8Array(3 + dst.length);
    head[0] = dst.length & 0xff;
    head[1] = dst.length >>> 8;
    head.set(dst, 2);
    head[2 + dst.length] = seed.length;
    this.h.update(head);
    this.h.update(seed);
    if (binder.length) this.h.update(binder);
  }

  /** The next `n` bytes of the stream. */
  next(n: number): Uint8Array {
    const have = this.buf.length - this.pos;
    if (have === 0) return this.h.xof(n);
    const out = new Uint8Array(n);
    const k = Math.min(n, have);
    out.set(this.buf.subarray(this.pos, this.pos + k));
    this.pos += k;
    if (k < n) out.set(this.h.xof(n - k), k);
    return out;
  }

  /**
   * Fills elements [oi, oi + n) of `out` with field elements drawn from the stream; with
   * `encoded`, also writes their encoding there (the accepted bytes themselves).
   */
  nextVecInto(field: Field, out: Uint32Array, oi: number, n: number, encoded?: Uint8Array): void {
    const size = field.encodedSize;
    let k = 0;
    while (k < n) {
      if (this.buf.length - this.pos < size) {
        const rest = this.buf.subarray(this.pos);
        const want = Math.ceil(((n - k) * size - rest.length) / RATE) * RATE;
        const fresh = this.h.xof(want);
        if (rest.length) {
          const joined = new Uint8Array(rest.length + fresh.length);
          joined.set(rest);
          joined.set(fresh, rest.length);
          this.buf = joined;
        } else this.buf = fresh;
        this.pos = 0;
      }
      if (field.sampleInto(out, oi + k, this.buf, this.pos)) {
        if (encoded) encoded.set(this.buf.subarray(this.pos, this.pos + size), k * size);
        k++;
      }
      this.pos += size;
    }
  }

  nextVec(field: Field, n: number): Uint32Array {
    const out = field.vec(n);
    this.nextVecInto(field, out, 0, n);
    return out;
  }

  static deriveSeed(seed: Uint8Array, dst: Uint8Array, binder: Uint8Array): Uint8Array {
    return new Xof(seed, dst, binder).next(SEED_SIZE);
  }

  static expandIntoVec(field: Field, seed: Uint8Array, dst: Uint8Array, binder: Uint8Array, n: number, encoded?: Uint8Array): Uint32Array {
    const out = field.vec(n);
    new Xof(seed, dst, binder).nextVecInto(field, out, 0, n, encoded);
    return out;
  }
}
