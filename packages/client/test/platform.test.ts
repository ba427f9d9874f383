/**
 * What a phone or a browser loads. Each entry is bundled with esbuild for the browser platform
 * from the sources of every package it reaches (a `node:` import anywhere in the graph fails the
 * build), and the bundle's inputs are checked: no tfjs, no seeded generators, no Math.random, and
 * an app that uses local DP only does not load secure aggregation, its crypto or the noise plans.
 * Each bundle's gzipped size stays within its ceiling (scripts/bundle.mjs), which falls toward the
 * goals as the bundles shrink.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error the bundling script is plain JavaScript
import { APPS, SIZE_CEILINGS, bundle, bundleSizes } from '../scripts/bundle.mjs';

type Bundled = {
  code: Uint8Array;
  metafile: { inputs: Record<string, { imports: { path: string; external?: boolean }[] }>; outputs: Record<string, { inputs: Record<string, { bytesInOutput: number }> }> };
};

describe('client entries run on phones and in browsers', () => {
  // the package's own sources: .dependency-cruiser.cjs (client-runs-on-phones) and ESLint's Math.random ban
  for (const [name, contents] of Object.entries(APPS as Record<string, string>)) {
    it(`${name}: bundles for the browser with nothing node-only, no tfjs and no seeded randomness`, async () => {
      const { code, metafile } = (await bundle(contents)) as Bundled;
      const inputs = Object.keys(metafile.inputs);
      const external = Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external).map((x) => x.path));
      expect(external).toEqual([]);
      expect(inputs.filter((f) => /@tensorflow|seedrandom|core\/src\/testing|\/node\.ts$|tf-backend/.test(f))).toEqual([]);
      expect(new TextDecoder().decode(code)).not.toMatch(/Math\.random/);
      if (name === 'ldp') expect(inputs.filter((f) => /packages\/(secagg|gate)\/|@noble\/curves|@noble\/ciphers/.test(f))).toEqual([]);
      else expect(inputs.some((f) => f.includes('packages/secagg/src/client.ts'))).toBe(true);
      // curve code only for an app that passes the pure-JavaScript provider (inputs that esbuild dropped have no bytes in the output)
      const shipped = Object.entries(Object.values(metafile.outputs)[0]!.inputs)
        .filter(([, i]) => i.bytesInOutput > 0)
        .map(([f]) => f);
      if (name === 'secagg') expect(shipped.filter((f) => /@noble\/curves|secagg\/src\/noble\.ts/.test(f))).toEqual([]);
      // a local-DP device encodes and perturbs only: no decoder, no hash code, no mechanism's server parts
      if (name === 'ldp') expect(shipped.filter((f) => /msgpackr|@noble\/|codec-decode\.ts|ldp\/src\/(oracle|registry|simulate|post-process|audit)\.ts|plan-modes\.ts/.test(f))).toEqual([]);
      if (name === 'secagg-noble') expect(shipped.some((f) => f.includes('@noble/curves'))).toBe(true);
    }, 60_000);
  }

  it('each bundle stays within its size ceiling, gzipped (the goals: 30 kB local DP, 60 kB with secure aggregation)', async () => {
    const sizes = (await bundleSizes()) as Record<string, { gzipped: number }>;
    const ceilings = SIZE_CEILINGS as Record<string, number>;
    for (const name of Object.keys(APPS as Record<string, string>)) expect(sizes[name]!.gzipped, name).toBeLessThanOrEqual(ceilings[name]!);
  }, 60_000);
});
