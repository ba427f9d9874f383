/** What a phone or a browser loads: no node: module, no Math.random, one WebCrypto path. */
import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

describe('phone-safe sources', () => {
  it('no source file imports node: modules or uses Math.random', () => {
    const dir = new URL('../src/', import.meta.url);
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      expect(/from ['"]node:|require\(/.test(text), f).toBe(false);
      expect(/Math\.random/.test(text), f).toBe(false);
      expect(/\bBuffer\b/.test(text), f).toBe(false);
    }
  });

  it("imports only @pinhole/core's phone-safe entries and @noble/hashes from outside the package", () => {
    const dir = new URL('../src/', import.meta.url);
    for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const text = readFileSync(new URL(f, dir), 'utf8');
      for (const m of text.matchAll(/from '([^.][^']*)'/g)) expect(m[1], f).toMatch(/^(@pinhole\/core(\/(?!seeded$|testing$)[a-z]+)?|@noble\/hashes\/sha3-addons\.js)$/);
    }
  });
});
