/**
 * Every numeric primitive is defined once, in @pinhole/core (samplers, privacy maps, small
 * statistics): a definition of one of these names, or of a private re-implementation under a
 * name a review found before (`maxRho`, `poissonOfMass`), anywhere else in the sources fails.
 * Until dependency-cruiser rules cover it, this scan is the check.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HOME = 'packages/core/src/';
const NAMES = [
  'normalQuantile',
  'clopperPearson',
  'betaQuantile',
  'incompleteBeta',
  'bernoulliExact',
  'sampleBinomial',
  'sampleBinomialUnchecked',
  'binomial',
  'binomialPmf',
  'sampleUniformMultinomial',
  'multinomialUniform',
  'uniformMultinomial',
  'addSkellamVector',
  'poissonOfMass',
  'zcdpRhoFor',
  'maxRho',
  'zcdpDelta',
  'zcdpToEpsilon',
  'rdpToEpsilon',
  'skellamRdp',
  'skellamPrivacy',
  'ddgTau',
  'ddgRdp',
  'ddgPrivacy',
  'discreteGaussianDelta',
  'discreteGaussianSwapDelta',
  'discreteGaussianSigma',
  'discreteGaussianSwapSigma',
];
const DEFINITION = new RegExp(`(?:function\\s+|(?:const|let)\\s+)(${NAMES.join('|')})\\b\\s*[=(<]`, 'g');

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sources(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

describe('one home per numeric primitive', () => {
  const roots = ['packages', 'datasets/src', 'bench/src'].map((d) => join(ROOT, d));
  const files = roots.flatMap((r) => sources(r)).filter((f) => relative(ROOT, f).split('/').includes('src'));

  it('scans the sources (a scan of nothing would pass)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(files.some((f) => relative(ROOT, f) === `${HOME}privacy-maps.ts`)).toBe(true);
  });

  it('defines each primitive only in @pinhole/core', () => {
    const found: string[] = [];
    for (const f of files) {
      const rel = relative(ROOT, f);
      for (const m of readFileSync(f, 'utf8').matchAll(DEFINITION)) found.push(`${m[1]} in ${rel}`);
    }
    expect(found.filter((d) => !d.split(' in ')[1]!.startsWith(HOME))).toEqual([]);
    // and each is defined there exactly once
    const home = found.filter((d) => d.split(' in ')[1]!.startsWith(HOME)).map((d) => d.split(' in ')[0]);
    expect(home.length).toBe(new Set(home).size);
  });
});
