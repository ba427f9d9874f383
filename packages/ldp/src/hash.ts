/**
 * The seeded hash family of local hashing (BLH, OLH): Dietzfelbinger's multiply-add-shift
 *   h_{a,b}(x) = ((a·x + b) mod 2^32) >> 16,    a, b uniform in [0, 2^32), x in [0, 2^16),
 * which is strongly universal (pairwise independent) onto 16-bit outputs (Dietzfelbinger, STACS
 * 1996; Thorup, "High speed hashing for integers and strings", 2015, multiply-add-shift with
 * w̄ = 32 >= w + l - 1 = 31). The 16-bit output is mapped to [0, g) by bucket = (h·g) >> 16.
 * For x ≠ x', P[bucket(x) = bucket(x')] = κ = Σ_i s_i² / 2^32 exactly, where s_i is the number of
 * 16-bit outputs that map to bucket i (κ = 1/g when g divides 2^16, and 1/g + O(g/2^34) otherwise).
 * The server evaluates it for all x of a report by repeated addition: t(x+1) = t(x) + a mod 2^32.
 */

export const HASH_DOMAIN_LIMIT = 65536;
export const HASH_RANGE_LIMIT = 65536;

/** The bucket in [0, g) of value x under seed (a, b). */
export function hashBucket(a: number, b: number, x: number, g: number): number {
  const h = ((Math.imul(a, x) + b) >>> 0) >>> 16;
  return (h * g) >>> 16;
}

/** How many of the 2^16 hash outputs fall in each of the g buckets. */
export function bucketSizes(g: number): Float64Array {
  const s = new Float64Array(g);
  for (let h = 0; h < 65536; h++) s[(h * g) >>> 16]! += 1;
  return s;
}

/** κ = P[two distinct values collide], exactly, for the strongly universal family above. */
export function collisionProbability(g: number): number {
  const s = bucketSizes(g);
  let sum = 0;
  for (let i = 0; i < g; i++) sum += (s[i] as number) * (s[i] as number);
  return sum / TWO_32_SQ;
}
const TWO_32_SQ = 4294967296;

/**
 * The range of t = (a·x + b) mod 2^32 whose bucket is y: t in [lo, lo + width) as unsigned words.
 * bucket = ((t >>> 16)·g) >>> 16 = y  ⟺  t >>> 16 in [ceil(y·2^16/g), ceil((y+1)·2^16/g)).
 */
export function bucketInterval(y: number, g: number): { lo: number; width: number } {
  const L = Math.ceil((y * 65536) / g);
  const R = Math.ceil(((y + 1) * 65536) / g);
  return { lo: L * 65536, width: (R - L) * 65536 };
}
