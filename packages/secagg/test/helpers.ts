import { seededRng } from '@pinhole/core/testing';
import { type SecAggRoundConfig, type SimulationPhase, makeRoundConfig, simulateRound, nobleProvider } from '../src/index.js';
import { nodeCryptoProvider } from '../src/node.js';

export const nodeCrypto = nodeCryptoProvider();
export const noble = nobleProvider();

export function randomInputs(seed: string, n: number, length: number, bits: number, maxValue = 2 ** bits - 1): Uint32Array[] {
  const rng = seededRng(seed);
  return Array.from({ length: n }, () => Uint32Array.from({ length }, () => rng.int(maxValue + 1)));
}

export function plainSum(inputs: readonly Uint32Array[], bits: number, ids?: readonly number[]): Uint32Array {
  const length = (inputs[0] as Uint32Array).length;
  const out = new Uint32Array(length);
  for (const id of ids ?? inputs.map((_, i) => i + 1)) {
    const x = inputs[id - 1] as Uint32Array;
    for (let i = 0; i < length; i++) out[i] = (out[i] as number) + (x[i] as number);
  }
  if (bits < 32) for (let i = 0; i < length; i++) out[i] = (out[i] as number) & (2 ** bits - 1);
  return out;
}

export function hararySeed(label: string): Uint8Array {
  return seededRng(`graph-${label}`).bytes(32);
}

export function config(over: Partial<Parameters<typeof makeRoundConfig>[0]> & { cohortSize: number; threshold: number }): SecAggRoundConfig {
  return makeRoundConfig({ roundId: 'round-1', bits: 32, vectorLength: 8, ...over });
}

export async function run(cfg: SecAggRoundConfig, inputs: Uint32Array[], dropouts: Map<number, SimulationPhase> = new Map(), seed = 'clients') {
  const base = seededRng(seed);
  return simulateRound({ config: cfg, inputs, dropouts, clientRng: (id) => base.stream(id), allowInsecureRng: true, clientCrypto: nodeCrypto, serverCrypto: nodeCrypto });
}
