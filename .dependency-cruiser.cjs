/**
 * The layering of docs/ARCHITECTURE (shared): core at the bottom; ldp, secagg, gate, prio3 on core;
 * client and aggregator above them; bench on top; datasets on core only; directory (the key
 * directory service) on core and secagg. The client's entries run on phones and in browsers.
 * Run by `npm run layering` in .ci/run and by test/layering.test.ts.
 */
const upward = (from, to, why) => ({
  name: `no-${from}-to-${to.replace(/\|/g, '-')}`,
  comment: why,
  severity: 'error',
  from: { path: `^packages/${from}/src/` },
  to: { path: `^(packages/(${to})|bench|datasets)/` },
});

module.exports = {
  forbidden: [
    // a cycle through `import type` edges vanishes at compile time and fixes no order of evaluation
    { name: 'no-circular', comment: 'modules form a tree: a cycle hides an order of evaluation', severity: 'error', from: {}, to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } } },
    {
      name: 'core-is-the-bottom',
      comment: 'core imports no other Pinhole package',
      severity: 'error',
      from: { path: '^packages/core/src/' },
      to: { path: '^(packages/(?!core/)[^/]+|bench|datasets)/' },
    },
    upward('ldp', 'secagg|gate|prio3|client|aggregator|directory', 'ldp sits on core only'),
    upward('secagg', 'ldp|gate|prio3|client|aggregator|directory', 'secagg sits on core only'),
    upward('gate', 'ldp|secagg|prio3|client|aggregator|directory', 'gate sits on core only'),
    upward('prio3', 'ldp|secagg|gate|client|aggregator|directory', 'prio3 sits on core only'),
    upward('client', 'aggregator|directory', 'the device SDK never imports the server side'),
    upward('aggregator', 'client|directory', 'the server does not import the device SDK'),
    upward('directory', 'ldp|gate|prio3|client|aggregator', 'the key directory sits on core and secagg'),
    { name: 'datasets-on-core-only', comment: 'datasets depends on core only', severity: 'error', from: { path: '^datasets/(src|scripts)/' }, to: { path: '^(packages/(?!core/)[^/]+|bench)/' } },
    {
      name: 'client-runs-on-phones',
      comment: 'what a client entry reaches runs on a phone or in a browser: no node: module, no tfjs, no seeded generators, no test helpers',
      severity: 'error',
      from: { path: '^packages/client/src/' },
      to: { reachable: true, path: ['^node:', '@tensorflow', 'seedrandom', '^packages/core/src/testing(\\.ts$|/)', '^packages/ldp/src/(tf-backend|server)\\.ts$', '^packages/secagg/src/node\\.ts$'] },
    },
    { name: 'client-no-node-builtins', comment: 'no node: module anywhere a client entry reaches', severity: 'error', from: { path: '^packages/client/src/' }, to: { dependencyTypes: ['core'] } },
    {
      name: 'not-to-unlisted',
      comment: "every imported package is declared in the importing workspace's package.json",
      severity: 'error',
      from: { path: '^(packages/[^/]+|datasets|bench)/(src|bin)/', pathNot: '^packages/core/src/codec-decode\\.ts$' },
      to: { dependencyTypes: ['npm-no-pkg', 'npm-unknown'] },
    },
    // (core's `#msgpack-decoder` import alias maps to msgpackr, which core declares; the cruiser sees only the alias)
    {
      name: 'not-to-dev-dep',
      comment: 'shipped code imports no devDependency',
      severity: 'error',
      from: { path: '^(packages/[^/]+|datasets|bench)/src/' },
      to: { dependencyTypes: ['npm-dev'], dependencyTypesNot: ['type-only'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['^(packages/[^/]+|datasets|bench)/(dist|results)/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['pinhole-source', 'import', 'types', 'default'],
      mainFields: ['module', 'main', 'types'],
      extensions: ['.ts', '.js', '.mjs', '.json'],
    },
    combinedDependencies: false,
    reporterOptions: { text: { highlightFocused: true } },
  },
};
