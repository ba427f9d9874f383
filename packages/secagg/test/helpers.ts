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

import { SecAggClient, SecAggServer } from '../src/index.js';

/** Drives a round by hand, phase by phase, so tests can tamper with messages in between. */
export class Harness {
  readonly server: SecAggServer;
  readonly clients = new Map<number, SecAggClient>();
  /** the last replies each client sent */
  readonly sent = new Map<number, Uint8Array>();

  constructor(readonly cfg: SecAggRoundConfig, seed = 'harness') {
    this.server = new SecAggServer(cfg, { crypto: nodeCrypto });
    const base = seededRng(seed);
    for (let id = 1; id <= cfg.cohortSize; id++) this.clients.set(id, new SecAggClient(cfg, id, { rng: base.stream(id), allowInsecureRng: true, crypto: nodeCrypto }));
  }

  client(id: number): SecAggClient {
    return this.clients.get(id) as SecAggClient;
  }

  private async each(ids: Iterable<number>, act: (c: SecAggClient) => Promise<Uint8Array>, deliver = true): Promise<void> {
    for (const id of ids) {
      const reply = await act(this.client(id));
      this.sent.set(id, reply);
      if (deliver) this.server.receive(reply);
    }
  }

  all(): number[] {
    return Array.from({ length: this.cfg.cohortSize }, (_, i) => i + 1);
  }

  advertise(ids = this.all()): Promise<void> {
    return this.each(ids, (c) => c.advertiseKeys());
  }

  share(msgs: Map<number, Uint8Array>, ids = [...msgs.keys()]): Promise<void> {
    return this.each(ids, (c) => c.shareKeys(msgs.get(c.id) as Uint8Array));
  }

  mask(msgs: Map<number, Uint8Array>, inputs: readonly Uint32Array[], ids = [...msgs.keys()], deliver = true): Promise<void> {
    return this.each(ids, (c) => c.maskInput(msgs.get(c.id) as Uint8Array, inputs[c.id - 1] as Uint32Array), deliver);
  }

  check(msgs: Map<number, Uint8Array>, ids = [...msgs.keys()]): Promise<void> {
    return this.each(ids, (c) => c.consistencyCheck(msgs.get(c.id) as Uint8Array));
  }

  unmask(msgs: Map<number, Uint8Array>, ids = [...msgs.keys()], deliver = true): Promise<void> {
    return this.each(ids, (c) => c.unmask(msgs.get(c.id) as Uint8Array), deliver);
  }
}

/** Runs the error-returning thunk and returns the PinholeError's code and param. */
export async function failure(f: () => unknown): Promise<{ code: string; param: string; message: string }> {
  try {
    await f();
  } catch (err) {
    const e = err as { code?: string; param?: string; message: string };
    return { code: e.code ?? 'not a PinholeError', param: e.param ?? '', message: e.message };
  }
  return { code: 'no error', param: '', message: '' };
}
