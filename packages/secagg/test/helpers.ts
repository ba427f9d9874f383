import { decodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { configDigest } from '../src/config.js';
import { Neighbourhoods } from '../src/graph.js';
import { graphSeed } from '../src/transcript.js';
import {
  type AdvertiseKeysOutcome,
  type KeyDirectory,
  type SecAggClientOptions,
  type SecAggRoundConfig,
  type SimulationPhase,
  makeRoundConfig,
  simulateRound,
  pinnedKeyDirectory,
  signingKeyFromSecret,
} from '../src/index.js';
import { nodeCryptoProvider } from '../src/node.js';

export const nodeCrypto = nodeCryptoProvider();

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

export function config(over: Partial<Parameters<typeof makeRoundConfig>[0]> & { cohortSize: number; threshold: number }): SecAggRoundConfig {
  return makeRoundConfig({ roundId: 'round-1', bits: 32, vectorLength: 8, threatModel: 'key_directory', ...over });
}

/** Long-term signing keys of a simulated fleet (seeded: tests only) and a pinned directory of them. */
export function fleet(n: number, seed = 'fleet'): { secret: (id: number) => Uint8Array; identity: (id: number) => string; directory: KeyDirectory } {
  const rng = seededRng(`signing-${seed}`);
  const secrets = Array.from({ length: n }, () => rng.bytes(32));
  const identity = (id: number): string => `device-${id}`;
  const directory = pinnedKeyDirectory(secrets.map((s, i) => [identity(i + 1), signingKeyFromSecret(s).publicKey] as const));
  return { secret: (id) => secrets[id - 1] as Uint8Array, identity, directory };
}

export async function run(cfg: SecAggRoundConfig, inputs: Uint32Array[], dropouts: Map<number, SimulationPhase> = new Map(), seed = 'clients') {
  const base = seededRng(seed);
  return simulateRound({ config: cfg, inputs, dropouts, clientRng: (id) => base.stream(id), allowInsecureRng: true, clientCrypto: nodeCrypto, serverCrypto: nodeCrypto });
}

import { SecAggClient, SecAggServer } from '../src/index.js';

/** The options of simulated client `id` of a fleet: its key and the fleet's directory, or honest-but-curious. */
export function clientOptions(cfg: SecAggRoundConfig, id: number, f: ReturnType<typeof fleet>, rng: ReturnType<typeof seededRng>): SecAggClientOptions {
  const base: SecAggClientOptions = { rng, allowInsecureRng: true, crypto: nodeCrypto };
  return cfg.threatModel === 'key_directory' ? { ...base, identity: f.identity(id), signingKey: f.secret(id), directory: f.directory } : { ...base, honestButCurious: true };
}

/** Drives a round by hand, phase by phase, so tests can tamper with messages in between. */
export class Harness {
  readonly server: SecAggServer;
  readonly clients = new Map<number, SecAggClient>();
  readonly fleet: ReturnType<typeof fleet>;
  /** the last replies each client sent */
  readonly sent = new Map<number, Uint8Array>();
  roster: Uint8Array = new Uint8Array(0);

  constructor(
    readonly cfg: SecAggRoundConfig,
    seed = 'harness',
  ) {
    this.server = new SecAggServer(cfg, { crypto: nodeCrypto });
    this.fleet = fleet(cfg.cohortSize, seed);
    const base = seededRng(seed);
    for (let id = 1; id <= cfg.cohortSize; id++) this.clients.set(id, new SecAggClient(cfg, id, clientOptions(cfg, id, this.fleet, base.stream(id))));
  }

  client(id: number): SecAggClient {
    return this.clients.get(id) as SecAggClient;
  }

  private async each(ids: Iterable<number>, act: (c: SecAggClient) => Promise<Uint8Array>, deliver = true): Promise<void> {
    for (const id of ids) {
      const reply = await act(this.client(id));
      this.sent.set(id, reply);
      if (deliver) await this.server.receive(reply, id);
    }
  }

  all(): number[] {
    return Array.from({ length: this.cfg.cohortSize }, (_, i) => i + 1);
  }

  advertise(ids = this.all()): Promise<void> {
    return this.each(ids, (c) => c.advertiseKeys());
  }

  /** closeAdvertiseKeys, remembering the roster; returns the keys messages */
  closeAdvertise(): Map<number, Uint8Array> {
    const out: AdvertiseKeysOutcome = this.server.closeAdvertiseKeys();
    this.roster = out.roster;
    return out.keys;
  }

  share(msgs: Map<number, Uint8Array>, ids = [...msgs.keys()]): Promise<void> {
    return this.each(ids, (c) => c.shareKeys(this.roster, msgs.get(c.id) as Uint8Array));
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

/** The neighbour graph of a harness's round, derived from its roster as the clients derive it. */
export function graphOf(h: Harness): Neighbourhoods {
  const p = decodeEnvelope(h.roster).payload as Record<string, WireValue>;
  const seed = graphSeed(configDigest(h.cfg), p.advertised as Uint32Array, p.digests as Uint8Array);
  const spec = h.cfg.graph;
  return new Neighbourhoods(h.cfg.cohortSize, spec.kind === 'complete' ? spec : { kind: 'harary', degree: spec.degree, seed });
}
