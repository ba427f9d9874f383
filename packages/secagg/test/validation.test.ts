/** Bad-input sweeps for every public constructor and function not covered elsewhere. */
import { describe, expect, it } from 'vitest';
import { cryptoRng } from '@pinhole/core';
import { BAD_INTEGERS } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { SecAggClient, SecAggServer, decodeRoundConfig, encodeRoundConfig, makeRoundConfig, pinnedKeyDirectory, simulateRound } from '../src/index.js';
import { Harness, config, failure } from './helpers.js';

const good = { roundId: 'r', cohortSize: 10, threshold: 6, bits: 16, vectorLength: 4, threatModel: 'key_directory' as const };
const seed = new Uint8Array(32).fill(7);
const directory = pinnedKeyDirectory([]);
const signingKey = new Uint8Array(32).fill(3);

describe('makeRoundConfig', () => {
  it('accepts good parameters and normalises a dense Harary graph to the complete graph', () => {
    expect(makeRoundConfig(good).graph).toEqual({ kind: 'complete' });
    expect(makeRoundConfig({ ...good, threshold: 3, graph: { kind: 'harary', degree: 4 } }).graph.kind).toBe('harary');
    expect(makeRoundConfig({ ...good, graph: { kind: 'harary', degree: 10 } }).graph).toEqual({ kind: 'complete' });
    expect(makeRoundConfig(good).minContributors).toBe(6);
    expect(makeRoundConfig(good).assumptions).toEqual({ dropoutRate: 0, corruptFraction: 0, securityBits: 40 });
  });
  it('refuses every bad value with the parameter named', () => {
    const cases: [string, Record<string, unknown>][] = [];
    for (const v of BAD_INTEGERS) for (const p of ['cohortSize', 'threshold', 'bits', 'vectorLength']) cases.push([p, { [p]: v }]);
    for (const v of BAD_INTEGERS) if (v !== undefined) cases.push(['minContributors', { minContributors: v }]);
    for (const v of [NaN, -0.1, 1, Infinity, '0.1', null]) for (const p of ['dropoutRate', 'corruptFraction']) cases.push([`assumptions.${p}`, { assumptions: { [p]: v } }]);
    for (const v of [NaN, 0, -1, 1001, '40', null]) cases.push(['assumptions.securityBits', { assumptions: { securityBits: v } }]);
    cases.push(
      ['roundId', { roundId: '' }],
      ['roundId', { roundId: 5 }],
      ['roundId', { roundId: 'x'.repeat(129) }],
      ['cohortSize', { cohortSize: 1 }],
      ['cohortSize', { cohortSize: 2 ** 20 + 1 }],
      ['threshold', { threshold: 5 }], // not > n/2
      ['threshold', { threshold: 11 }],
      ['threshold', { cohortSize: 2, threshold: 1 }],
      ['bits', { bits: 0 }],
      ['bits', { bits: 33 }],
      ['vectorLength', { vectorLength: 0 }],
      ['vectorLength', { vectorLength: 2 ** 24 + 1 }],
      ['graph', { graph: 'harary' }],
      ['graph', { graph: null }],
      ['graph.kind', { graph: { kind: 'ring' } }],
      ['graph.degree', { graph: { kind: 'harary', degree: 3 } }],
      ['graph.degree', { graph: { kind: 'harary', degree: 0 } }],
      ['graph.degree', { graph: { kind: 'harary', degree: NaN } }],
      // the seed is derived from the signed advertisements: a chosen one, even all zero, is refused
      ['graph.seed', { graph: { kind: 'harary', degree: 4, seed } }],
      ['graph.seed', { graph: { kind: 'harary', degree: 4, seed: new Uint8Array(32) } }],
      ['threshold', { threshold: 2, graph: { kind: 'harary', degree: 4 } }], // holders 5: t must be > 2.5
      ['threatModel', { threatModel: undefined }],
      ['threatModel', { threatModel: 'malicious' }],
      ['threatModel', { threatModel: null }],
      ['minContributors', { minContributors: 1 }],
      ['minContributors', { minContributors: 11 }],
      ['assumptions', { assumptions: 'strict' }],
      // weaker than the stated assumptions: n = 1,000, k = 2, t = 2 under 10 % dropout, 5 % corrupt
      ['graph.degree', { cohortSize: 1000, threshold: 2, graph: { kind: 'harary', degree: 2 }, assumptions: { dropoutRate: 0.1, corruptFraction: 0.05 } }],
      ['threshold', { cohortSize: 100, threshold: 51, assumptions: { corruptFraction: 0.05 } }], // C = 5 >= 2t - n = 2
    );
    for (const [param, change] of cases) {
      expect(() => makeRoundConfig({ ...good, ...change }), `${param} ${JSON.stringify(change, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).toThrow(
        expect.objectContaining({ code: 'invalid_argument', param }),
      );
    }
    expect(() => makeRoundConfig(null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'params' }));
  });
  it('round-trips through the wire and refuses garbage', () => {
    const c = makeRoundConfig({ ...good, threshold: 3, graph: { kind: 'harary', degree: 4 }, assumptions: { dropoutRate: 0.01, securityBits: 8 }, minContributors: 7 });
    expect(decodeRoundConfig(encodeRoundConfig(c))).toEqual(c);
    expect(() => decodeRoundConfig(new Uint8Array([1, 2, 3]))).toThrow(expect.objectContaining({ code: 'decode_failed', param: 'bytes' }));
    expect(() => decodeRoundConfig(encodeRoundConfig(c).subarray(0, 20))).toThrow(expect.objectContaining({ code: 'decode_failed' }));
    expect(() => decodeRoundConfig('x' as never)).toThrow(expect.objectContaining({ code: 'decode_failed' }));
    expect(() => encodeRoundConfig({ ...c, bits: 40 })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'bits' }));
  });
});

describe('constructors', () => {
  const cfg = makeRoundConfig(good);
  it('SecAggClient validates id, rng, crypto and options', () => {
    const ok = { directory, signingKey, identity: 'device-1' };
    for (const id of [0, 11, NaN, 1.5, -0, '1', null]) expect(() => new SecAggClient(cfg, id as never, ok)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'id' }));
    expect(() => new SecAggClient(cfg, 1, { ...ok, rng: seededRng(1) })).toThrow(expect.objectContaining({ code: 'insecure_rng', param: 'rng' }));
    expect(() => new SecAggClient(cfg, 1, { ...ok, rng: {} as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'rng' }));
    expect(() => new SecAggClient(cfg, 1, { ...ok, crypto: {} as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'crypto' }));
    expect(() => new SecAggClient(cfg, 1, null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'options' }));
    expect(() => new SecAggClient({ ...cfg, threshold: 1 }, 1, ok)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'threshold' }));
    // key-directory rounds need a directory, the device's signing key and its identity
    expect(() => new SecAggClient(cfg, 1, {})).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'directory' }));
    expect(() => new SecAggClient(cfg, 1, { ...ok, directory: { verify: 5 } as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'directory' }));
    expect(() => new SecAggClient(cfg, 1, { directory, identity: 'device-1' })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'signingKey' }));
    expect(() => new SecAggClient(cfg, 1, { ...ok, signingKey: new Uint8Array(31) })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'secretKey' }));
    expect(() => new SecAggClient(cfg, 1, { directory, signingKey })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'identity' }));
    for (const identity of ['', 'a b', 'x'.repeat(129), 5])
      expect(() => new SecAggClient(cfg, 1, { ...ok, identity: identity as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'identity' }));
    for (const [k, v] of [
      ['dropoutRate', 1],
      ['corruptFraction', NaN],
      ['securityBits', -1],
      ['contributors', 1.5],
    ] as const) {
      expect(() => new SecAggClient(cfg, 1, { ...ok, minimums: { [k]: v } })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: `minimums.${k}` }));
    }
    expect(new SecAggClient(cfg, 10, { ...ok, rng: cryptoRng() }).phase).toBe('advertise');
    expect(new SecAggClient(cfg, 1, { ...ok, rng: seededRng(1), allowInsecureRng: true }).phase).toBe('advertise');
  });
  it('honest-but-curious rounds need the explicit opt-in, and a client with a directory refuses the downgrade', () => {
    const hbc = makeRoundConfig({ ...good, threatModel: 'honest_but_curious' });
    expect(() => new SecAggClient(hbc, 1, {})).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'honestButCurious' }));
    expect(() => new SecAggClient(hbc, 1, { honestButCurious: 'yes' as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'honestButCurious' }));
    expect(() => new SecAggClient(hbc, 1, { honestButCurious: true, directory })).toThrow(expect.objectContaining({ code: 'protocol_violation', param: 'threatModel' }));
    expect(new SecAggClient(hbc, 1, { honestButCurious: true }).identity).toBe('slot-1');
  });
  it('SecAggServer validates config, crypto and options', () => {
    expect(() => new SecAggServer({ ...cfg, cohortSize: NaN })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'cohortSize' }));
    expect(() => new SecAggServer(cfg, { crypto: 5 as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'crypto' }));
    expect(() => new SecAggServer(cfg, 'x' as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'options' }));
    expect(() => new SecAggServer(cfg, { directory: {} as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'directory' }));
    expect(new SecAggServer(cfg).phase).toBe('advertise');
  });
});

describe('maskInput input', () => {
  it('refuses entries outside [0, 2^bits), wrong lengths and types, and keeps the client usable', async () => {
    const h = new Harness(config({ roundId: 'input', cohortSize: 3, threshold: 2, bits: 4, vectorLength: 3 }), 'input');
    await h.advertise();
    await h.share(h.closeAdvertise());
    const inbox = h.server.closeShareKeys();
    const c = h.client(1);
    const cases: [unknown, string][] = [
      [[1, 2], 'input'],
      [[1, 2, 3, 4], 'input'],
      ['abc', 'input'],
      [null, 'input'],
      [new Float64Array(3), 'input'],
      [new Int32Array(3), 'input'],
      [[1, 16, 0], 'input[1]'],
      [[1, -1, 0], 'input[1]'],
      [[NaN, 0, 0], 'input[0]'],
      [[0, 0, 1.5], 'input[2]'],
      [[0, -0, 0], 'input[1]'],
      [[0, Infinity, 0], 'input[1]'],
      [[0, '1', 0], 'input[1]'],
      [Uint32Array.from([0, 0, 16]), 'input[2]'],
    ];
    for (const [input, param] of cases) {
      expect(await failure(() => c.maskInput(inbox.get(1) as Uint8Array, input as never)), String(input)).toMatchObject({ code: 'invalid_argument', param });
    }
    expect(c.phase).toBe('masked');
    await h.mask(inbox, [Uint32Array.from([15, 0, 1]), Uint32Array.from([1, 0, 1]), [0, 0, 1] as never]);
    await h.check(h.server.closeMaskedInputCollection());
    await h.unmask(h.server.closeConsistencyCheck());
    expect(Array.from((await h.server.closeUnmasking()).sum)).toEqual([0, 0, 3]); // 16 mod 2^4
  });
});

describe('simulateRound', () => {
  it('validates its parameters', async () => {
    const cfg = makeRoundConfig({ ...good, cohortSize: 3, threshold: 2, threatModel: 'honest_but_curious' });
    const inputs = [new Uint32Array(4), new Uint32Array(4), new Uint32Array(4)];
    const clientRng = () => seededRng(1);
    expect(await failure(() => simulateRound(null as never))).toMatchObject({ code: 'invalid_argument', param: 'params' });
    expect(await failure(() => simulateRound({ config: cfg, inputs: inputs.slice(1), clientRng, allowInsecureRng: true }))).toMatchObject({ code: 'invalid_argument', param: 'inputs' });
    expect(await failure(() => simulateRound({ config: cfg, inputs, clientRng: 5 as never }))).toMatchObject({ code: 'invalid_argument', param: 'clientRng' });
    expect(await failure(() => simulateRound({ config: cfg, inputs, clientRng }))).toMatchObject({ code: 'insecure_rng', param: 'rng' });
    expect(await failure(() => simulateRound({ config: { ...cfg, bits: 0 }, inputs, clientRng, allowInsecureRng: true }))).toMatchObject({ code: 'invalid_argument', param: 'bits' });
  });
});
