/** What a phone loads: no node: module and no tfjs anywhere but the server-only entry point. */
import { describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { seededRng } from '@pinhole/core/seeded';
import { SecAggClient, makeRoundConfig } from '../src/index.js';
import { failure, nodeCrypto } from './helpers.js';

describe('phone-safe sources', () => {
  it('only src/node.ts imports node: modules; nothing imports tfjs or uses Math.random', () => {
    const dir = new URL('../src/', import.meta.url);
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      if (f !== 'node.ts') expect(/from ['"]node:/.test(text), f).toBe(false);
      expect(/tensorflow/.test(text), f).toBe(false);
      expect(/Math\.random/.test(text), f).toBe(false);
    }
    expect(readFileSync(new URL('index.ts', dir), 'utf8')).not.toMatch(/node\.js/);
  });
});

describe('one call at a time', () => {
  it('a second call while one is running is invalid_state, and the first completes', async () => {
    const cfg = makeRoundConfig({ roundId: 'busy', cohortSize: 3, threshold: 2, bits: 8, vectorLength: 2, threatModel: 'honest_but_curious' });
    const c = new SecAggClient(cfg, 1, { rng: seededRng('busy'), allowInsecureRng: true, crypto: nodeCrypto, honestButCurious: true });
    const first = c.advertiseKeys();
    expect(await failure(() => c.advertiseKeys())).toMatchObject({ code: 'invalid_state', param: 'phase' });
    expect((await first).length).toBeGreaterThan(64);
    expect(c.phase).toBe('share');
  });
});
