/**
 * One round in process: a server and simulated clients exchanging the real wire bytes, with
 * dropouts injected per phase. For tests, the bench and capacity planning; the timings it
 * reports are wall-clock on this machine, the clients run one after another.
 */
import { type Rng } from '@pinhole/core';
import { checkObject, invalid } from '@pinhole/core/validate';
import { type SecAggClient as Client, SecAggClient } from './client.js';
import { type SecAggRoundConfig } from './config.js';
import { type SecAggCrypto } from './crypto.js';
import { type KeyDirectory, pinnedKeyDirectory } from './directory.js';
import { signingKeyFromSecret } from './identity.js';
import { type SecAggResult, SecAggServer } from './server.js';

export const SIMULATION_PHASES = ['advertise', 'share', 'masked', 'consistency', 'unmask'] as const;
export type SimulationPhase = (typeof SIMULATION_PHASES)[number];

export interface SimulationParams {
  config: SecAggRoundConfig;
  /** input of client id at index id - 1 */
  inputs: readonly (Uint32Array | readonly number[])[];
  /** the phase in which a client goes silent (it sends nothing from that phase on) */
  dropouts?: ReadonlyMap<number, SimulationPhase>;
  /** randomness of client id */
  clientRng: (id: number) => Rng;
  allowInsecureRng?: boolean;
  clientCrypto?: SecAggCrypto;
  serverCrypto?: SecAggCrypto;
  /**
   * key-directory rounds: the directory the clients ask. Omitted, every client's signing key is
   * drawn from its rng and pinned (identity `device-<id>`).
   */
  directory?: KeyDirectory;
  /** key-directory rounds with a given directory: each client's identity and signing secret key */
  signingKeys?: (id: number) => { identity: string; secretKey: Uint8Array };
  /** what the timings read, in ms; performance.now by default (a benchmark may pass a CPU clock) */
  clock?: () => number;
}

export interface SimulationReport {
  readonly result: SecAggResult;
  /** total compute time of each client over the round, ms, for clients that finished */
  readonly clientMs: number[];
  /** server compute time over the round, ms */
  readonly serverMs: number;
  /** bytes sent by each client that finished, summed over phases */
  readonly clientUpBytes: number[];
  /** bytes received by each client that finished */
  readonly clientDownBytes: number[];
}

/** Runs one round; throws what the server throws (e.g. invalid_state when below threshold). */
export async function simulateRound(params: SimulationParams): Promise<SimulationReport> {
  checkObject('params', params);
  const { config } = params;
  if (!Array.isArray(params.inputs) || params.inputs.length !== config.cohortSize) throw invalid('inputs', `an array of ${config.cohortSize} vectors`, params.inputs);
  if (typeof params.clientRng !== 'function') throw invalid('clientRng', 'a function from id to Rng', params.clientRng);
  if (params.clock !== undefined && typeof params.clock !== 'function') throw invalid('clock', 'a function returning milliseconds', params.clock);
  const dropouts = params.dropouts ?? new Map<number, SimulationPhase>();
  const server = new SecAggServer(config, params.serverCrypto ? { crypto: params.serverCrypto } : {});
  const now = params.clock ?? (() => performance.now());
  const n = config.cohortSize;
  const clients = new Map<number, Client>();
  const ms = new Float64Array(n + 1);
  const up = new Float64Array(n + 1);
  const down = new Float64Array(n + 1);
  let serverMs = 0;
  const rngs = new Map<number, Rng>();
  const identity = new Map<number, { identity: string; secretKey: Uint8Array }>();
  for (let id = 1; id <= n; id++) {
    const rng = params.clientRng(id);
    rngs.set(id, rng);
    if (config.threatModel === 'key_directory') identity.set(id, params.signingKeys ? params.signingKeys(id) : { identity: `device-${id}`, secretKey: rng.bytes(32) });
  }
  let directory = params.directory;
  if (config.threatModel === 'key_directory' && directory === undefined) {
    directory = pinnedKeyDirectory([...identity.values()].map((k) => [k.identity, signingKeyFromSecret(k.secretKey).publicKey] as const));
  }
  for (let id = 1; id <= n; id++) {
    const key = identity.get(id);
    clients.set(
      id,
      new SecAggClient(config, id, {
        rng: rngs.get(id) as Rng,
        ...(params.allowInsecureRng ? { allowInsecureRng: true } : {}),
        ...(params.clientCrypto ? { crypto: params.clientCrypto } : {}),
        ...(key ? { identity: key.identity, signingKey: key.secretKey, directory: directory as KeyDirectory } : { honestButCurious: true }),
      }),
    );
  }
  const active = (id: number, phase: SimulationPhase): boolean => {
    const d = dropouts.get(id);
    return d === undefined || SIMULATION_PHASES.indexOf(d) > SIMULATION_PHASES.indexOf(phase);
  };
  const deliver = async (bytes: Uint8Array, id: number): Promise<void> => {
    up[id] = (up[id] as number) + bytes.length;
    const t0 = now();
    await server.receive(bytes, id);
    serverMs += now() - t0;
  };
  const close = async <T>(f: () => T | Promise<T>): Promise<T> => {
    const t0 = now();
    const out = await f();
    serverMs += now() - t0;
    return out;
  };
  const runPhase = async (phase: SimulationPhase, inbox: Map<number, Uint8Array> | null, act: (c: Client, msg: Uint8Array) => Promise<Uint8Array>): Promise<void> => {
    for (const [id, client] of clients) {
      if (!active(id, phase)) continue;
      const msg = inbox === null ? new Uint8Array(0) : inbox.get(id);
      if (msg === undefined) continue;
      if (inbox !== null) down[id] = (down[id] as number) + msg.length;
      const t0 = now();
      const reply = await act(client, msg);
      ms[id] = (ms[id] as number) + now() - t0;
      await deliver(reply, id);
    }
  };
  await runPhase('advertise', null, (c) => c.advertiseKeys());
  const { roster, keys } = await close(() => server.closeAdvertiseKeys());
  for (const id of keys.keys()) if (active(id, 'share')) down[id] = (down[id] as number) + roster.length;
  await runPhase('share', keys, (c, m) => c.shareKeys(roster, m));
  const inboxes = await close(() => server.closeShareKeys());
  await runPhase('masked', inboxes, (c, m) => c.maskInput(m, params.inputs[c.id - 1] as Uint32Array));
  const survivors = await close(() => server.closeMaskedInputCollection());
  await runPhase('consistency', survivors, (c, m) => c.consistencyCheck(m));
  const requests = await close(() => server.closeConsistencyCheck());
  await runPhase('unmask', requests, (c, m) => c.unmask(m));
  const result = await close(() => server.closeUnmasking());
  const finished = [...clients.values()].filter((c) => c.phase === 'done').map((c) => c.id);
  return {
    result,
    clientMs: finished.map((id) => ms[id] as number),
    serverMs,
    clientUpBytes: finished.map((id) => up[id] as number),
    clientDownBytes: finished.map((id) => down[id] as number),
  };
}
