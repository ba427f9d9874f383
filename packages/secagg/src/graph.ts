/**
 * Who shares keys with whom. The complete graph is SecAgg (Bonawitz et al., CCS 2017): every
 * client masks with and holds shares for every other. SecAgg+ (Bell et al., CCS 2020, §3)
 * replaces it with a sparse k-regular graph; here the Harary graph H(n, k) (a ring where each
 * position links to the k/2 nearest on each side) under a uniformly random relabelling drawn from
 * a public 256-bit seed, so a client's neighbourhood is a uniform k-subset of the others. The seed
 * is the hash of every signed advertisement of the round (transcript.ts), so the server cannot
 * choose it; the AES-CTR words are read little-endian on every platform.
 */
import { ctr } from '@noble/ciphers/aes.js';

export type SecAggGraph = { readonly kind: 'complete' } | { readonly kind: 'harary'; readonly degree: number; readonly seed: Uint8Array };

/** A reproducible uniform permutation of 1..n (Fisher–Yates on an AES-256-CTR stream under `seed`). */
export function seededPermutation(n: number, seed: Uint8Array): Uint32Array {
  const words = 4096;
  let blockIndex = 0;
  let block = new Uint32Array(0);
  let pos = 0;
  const next = (): number => {
    if (pos === block.length) {
      // Block j runs CTR from counter j·2^96: the 1,024 AES blocks of one never reach the next.
      const iv = new Uint8Array(16);
      new DataView(iv.buffer).setUint32(0, blockIndex++);
      const bytes = ctr(seed, iv).encrypt(new Uint8Array(words * 4));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      block = new Uint32Array(words);
      for (let i = 0; i < words; i++) block[i] = view.getUint32(4 * i, true);
      pos = 0;
    }
    return block[pos++] as number;
  };
  const perm = new Uint32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i + 1;
  for (let i = n - 1; i > 0; i--) {
    const m = i + 1;
    const limit = 2 ** 32 - (2 ** 32 % m); // reject the top partial range: unbiased
    let r = next();
    while (r >= limit) r = next();
    const j = r % m;
    const tmp = perm[i] as number;
    perm[i] = perm[j] as number;
    perm[j] = tmp;
  }
  return perm;
}

/** Neighbour lists (sorted ids, self excluded) for a cohort of ids 1..n. */
export class Neighbourhoods {
  readonly n: number;
  readonly graph: SecAggGraph;
  private readonly ring: Uint32Array | undefined; // ring position -> id
  private readonly position: Uint32Array | undefined; // id -> ring position

  constructor(n: number, graph: SecAggGraph) {
    this.n = n;
    this.graph = graph;
    if (graph.kind === 'harary') {
      this.ring = seededPermutation(n, graph.seed);
      this.position = new Uint32Array(n + 1);
      for (let i = 0; i < n; i++) this.position[this.ring[i] as number] = i;
    }
  }

  /** Number of share holders of one client: its neighbours and itself. */
  get holders(): number {
    return this.graph.kind === 'complete' ? this.n : this.graph.degree + 1;
  }

  isNeighbour(u: number, v: number): boolean {
    if (u === v) return false;
    if (this.graph.kind === 'complete') return true;
    const pu = (this.position as Uint32Array)[u] as number;
    const pv = (this.position as Uint32Array)[v] as number;
    const d = Math.abs(pu - pv);
    return Math.min(d, this.n - d) <= this.graph.degree / 2;
  }

  /** Sorted neighbours of u. */
  of(u: number): number[] {
    if (this.graph.kind === 'complete') {
      const out: number[] = [];
      for (let v = 1; v <= this.n; v++) if (v !== u) out.push(v);
      return out;
    }
    const half = this.graph.degree / 2;
    const p = (this.position as Uint32Array)[u] as number;
    const out: number[] = [];
    for (let d = 1; d <= half; d++) {
      out.push((this.ring as Uint32Array)[(p + d) % this.n] as number, (this.ring as Uint32Array)[(p - d + this.n) % this.n] as number);
    }
    return out.sort((a, b) => a - b);
  }
}
