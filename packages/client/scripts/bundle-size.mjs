#!/usr/bin/env node
/**
 * The client's bundle size, minified + gzipped (esbuild, browser platform), for an app that uses
 * local DP only, for one that also uses secure aggregation, and for that one with nobleProvider(). `--json` prints JSON; `--top N`
 * lists the N largest inputs of each bundle.
 */
import { bundle, bundleSizes, APPS, SIZE_CEILINGS, SIZE_GOALS } from './bundle.mjs';

const args = process.argv.slice(2);
const sizes = await bundleSizes();
if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify(Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, { minified: v.minified, gzipped: v.gzipped }])), null, 2)}\n`);
} else {
  const goals = SIZE_GOALS;
  const kb = (n) => `${(n / 1000).toFixed(1)} kB`;
  process.stdout.write('app                      minified     gzipped   ceiling   goal (gzipped)\n');
  for (const [name, s] of Object.entries(sizes)) {
    const label = { ldp: 'local DP (main entry)', secagg: '+ secure aggregation', 'secagg-noble': '  with nobleProvider' }[name] ?? name;
    process.stdout.write(
      `${label.padEnd(24)} ${kb(s.minified).padStart(9)} ${kb(s.gzipped).padStart(11)} ${kb(SIZE_CEILINGS[name]).padStart(9)}   < ${kb(goals[name])} ${s.gzipped < goals[name] ? 'ok' : 'OVER'}\n`,
    );
  }
}
const topAt = args.indexOf('--top');
if (topAt >= 0) {
  const n = Number(args[topAt + 1] ?? 15);
  for (const [name, contents] of Object.entries(APPS)) {
    const { metafile } = await bundle(contents);
    const out = Object.values(metafile.outputs)[0];
    const rows = Object.entries(out.inputs)
      .sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput)
      .slice(0, n);
    process.stdout.write(`\n${name}: largest inputs (minified bytes in the output)\n`);
    for (const [file, info] of rows) process.stdout.write(`  ${String(info.bytesInOutput).padStart(8)}  ${file.replace(/^.*node_modules\//, 'node_modules/')}\n`);
  }
}
