/** Bad-input sweeps for every public constructor and function not covered elsewhere. */
import { describe, expect, it } from 'vitest';
import { cryptoRng } from '@pinhole/core';
import { seededRng } from '@pinhole/core/testing';
import { SecAggClient, SecAggServer, decodeRoundConfig, encodeRoundConfig, makeRoundConfig, simulateRound } from '../src/index.js';
import { Harness, config, failure } from './helpers.js';

const good = { roundId: 'r', cohortSize: 10, threshold: 6, bits: 16, vectorLength: 4 };
const seed = new Uint8Array(32).fill(7);
const BAD_NUMBERS = [NaN, Infinity, -Infinity, -0, 1.5, '3', null, undefined, 2n];

describe('makeRoundConfig', () => {
  it('accepts good parameters and normalises a dense Harary graph to the complete graph', () => {
    expect(makeRoundConfig(good).graph).toEqual({ kind: 'complete' });
    expect(makeRoundConfig({ ...good, threshold: 3, graph: { kind: 'harary', degree: 4, seed } }).graph.kind).toBe('harary');
    expect(makeRoundConfig({ ...good, graph: { kind: 'harary', degree: 10, seed } }).graph).toEqual({ kind: 'complete' });
  });
  it('refuses every bad value with the parameter named', () => {
    const cases: [string, Record<string, unknown>][] = [];
    for (const v of BAD_NUMBERS) for (const p of ['cohortSize', 'threshold', 'bits', 'vectorLength']) cases.push([p, { [p]: v }]);
    cases.push(
      ['roundId', { roundId: '' }], ['roundId', { roundId: 5 }], ['roundId', { roundId: 'x'.repeat(129) }],
      ['cohortSize', { cohortSize: 1 }], ['cohortSize', { cohortSize: 2 ** 20 + 1 }],
      ['threshold', { threshold: 5 }], // not > n/2
      ['threshold', { threshold: 11 }], ['threshold', { cohortSize: 2, threshold: 1 }],
      ['bits', { bits: 0 }], ['bits', { bits: 33 }],
      ['vectorLength', { vectorLength: 0 }], ['vectorLength', { vectorLength: 2 ** 24 + 1 }],
      ['graph', { graph: 'harary' }], ['graph', { graph: null }],
      ['graph.kind', { graph: { kind: 'ring' } }],
      ['graph.degree', { graph: { kind: 'harary', degree: 3, seed } }], ['graph.degree', { graph: { kind: 'harary', degree: 0, seed } }],
      ['graph.degree', { graph: { kind: 'harary', degree: NaN, seed } }],
      ['graph.seed', { graph: { kind: 'harary', degree: 4, seed: new Uint8Array(31) } }], ['graph.seed', { graph: { kind: 'harary', degree: 4, seed: 'seed' } }],
      ['threshold', { threshold: 2, graph: { kind: 'harary', degree: 4, seed } }], // holders 5: t must be > 2.5
    );
    for (const [param, change] of cases) {
      expect(() => makeRoundConfig({ ...good, ...change } as never), `${param} ${JSON.stringify(change, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`).toThrow(expect.objectContaining({ code: 'invalid_argument', param }));
    }
    expect(() => makeRoundConfig(null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'params' }));
  });
  it('round-trips through the wire and refuses garbage', () => {
    const c = makeRoundConfig({ ...good, threshold: 3, graph: { kind: 'harary', degree: 4, seed } });
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
    for (const id of [0, 11, NaN, 1.5, -0, '1', null]) expect(() => new SecAggClient(cfg, id as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'id' }));
    expect(() => new SecAggClient(cfg, 1, { rng: seededRng(1) })).toThrow(expect.objectContaining({ code: 'insecure_rng', param: 'rng' }));
    expect(() => new SecAggClient(cfg, 1, { rng: {} as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'rng' }));
    expect(() => new SecAggClient(cfg, 1, { crypto: {} as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'crypto' }));
    expect(() => new SecAggClient(cfg, 1, null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'options' }));
    expect(() => new SecAggClient({ ...cfg, threshold: 1 }, 1)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'threshold' }));
    expect(new SecAggClient(cfg, 10, { rng: cryptoRng() }).phase).toBe('advertise');
    expect(new SecAggClient(cfg, 1, { rng: seededRng(1), allowInsecureRng: true }).phase).toBe('advertise');
  });
  it('SecAggServer validates config, crypto and options', () => {
    expect(() => new SecAggServer({ ...cfg, cohortSize: NaN })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'cohortSize' }));
    expect(() => new SecAggServer(cfg, { crypto: 5 as never })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'crypto' }));
    expect(() => new SecAggServer(cfg, 'x' as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'options' }));
    expect(new SecAggServer(cfg).phase).toBe('advertise');
  });
});

describe('maskInput input', () => {
  it('refuses entries outside [0, 2^bits), wrong lengths and types, and keeps the client usable', async () => {
    const h = new Harness(config({ roundId: 'input', cohortSize: 3, threshold: 2, bits: 4, vectorLength: 3 }), 'input');
    await h.advertise();
    await h.share(h.server.closeAdvertiseKeys());
    const inbox = h.server.closeShareKeys();
    const c = h.client(1);
    const cases: [unknown, string][] = [
      [[1, 2], 'input'], [[1, 2, 3, 4], 'input'], ['abc', 'input'], [null, 'input'], [new Float64Array(3), 'input'], [new Int32Array(3), 'input'],
      [[1, 16, 0], 'input[1]'], [[1, -1, 0], 'input[1]'], [[NaN, 0, 0], 'input[0]'], [[0, 0, 1.5], 'input[2]'], [[0, -0, 0], 'input[1]'],
      [[0, Infinity, 0], 'input[1]'], [[0, '1', 0], 'input[1]'], [Uint32Array.from([0, 0, 16]), 'input[2]'],
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
    const cfg = makeRoundConfig({ ...good, cohortSize: 3, threshold: 2 });
    const inputs = [new Uint32Array(4), new Uint32Array(4), new Uint32Array(4)];
    const clientRng = () => seededRng(1);
    expect(await failure(() => simulateRound(null as never))).toMatchObject({ code: 'invalid_argument', param: 'params' });
    expect(await failure(() => simulateRound({ config: cfg, inputs: inputs.slice(1), clientRng, allowInsecureRng: true }))).toMatchObject({ code: 'invalid_argument', param: 'inputs' });
    expect(await failure(() => simulateRound({ config: cfg, inputs, clientRng: 5 as never }))).toMatchObject({ code: 'invalid_argument', param: 'clientRng' });
    expect(await failure(() => simulateRound({ config: cfg, inputs, clientRng }))).toMatchObject({ code: 'insecure_rng', param: 'rng' });
    expect(await failure(() => simulateRound({ config: { ...cfg, bits: 0 }, inputs, clientRng, allowInsecureRng: true }))).toMatchObject({ code: 'invalid_argument', param: 'bits' });
  });
});
