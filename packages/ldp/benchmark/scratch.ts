import { seededRng } from '@pinhole/core/testing';
import { cryptoRng } from '@pinhole/core';
import { ORACLES, ORACLE_NAMES, NUMERIC_MECHANISMS, NUMERIC_NAMES } from '../src/index.js';
import { localHashSupportFast, localHashSupportReference } from '../src/server.js';
const rng = seededRng(1);
for (const name of ORACLE_NAMES) {
  const o = ORACLES[name]({ epsilon: 1, domainSize: 16, allowInsecureRng: true });
  const t = o.createTally();
  const reps = [];
  for (let i = 0; i < 20000; i++) reps.push(o.perturb(i % 4, rng));
  t.addBatch(reps);
  const est = o.estimate(t);
  const sim = o.simulateTally([5000,5000,5000,5000,0,0,0,0,0,0,0,0,0,0,0,0], rng);
  console.log(name, Array.from(est.slice(0, 6)).map(x=>x.toFixed(3)).join(' '), '| sim', Array.from(o.estimate(sim).slice(0,6)).map(x=>x.toFixed(3)).join(' '), 'sd', Math.sqrt(o.variance(20000, 0.25)).toFixed(3));
  const b = o.encodeReport(reps[0]); const back = o.decodeReport(b); console.log('  bytes', b.length, JSON.stringify(back)===JSON.stringify(reps[0]) || (reps[0] instanceof Uint8Array));
}
for (const name of NUMERIC_NAMES) {
  const m = NUMERIC_MECHANISMS[name]({ epsilon: 1, allowInsecureRng: true });
  const t = m.createTally();
  for (let i = 0; i < 100000; i++) t.add(m.perturb(0.3, rng));
  console.log(name, m.estimate(t).toFixed(4), 'sd', Math.sqrt(m.variance(100000, 0.3)).toFixed(4));
}
// perf
const crng = cryptoRng();
const oue = ORACLES.oue({ epsilon: 1, domainSize: 1024 });
let t0 = performance.now();
for (let i = 0; i < 20000; i++) oue.encodeReport(oue.perturb(i % 1024, crng));
console.log('oue perturb+encode us', ((performance.now() - t0) / 20000 * 1000).toFixed(2));
t0 = performance.now();
for (let i = 0; i < 20000; i++) oue.perturb(i % 1024, crng);
console.log('oue perturb us', ((performance.now() - t0) / 20000 * 1000).toFixed(2));
const olh = ORACLES.olh({ epsilon: 1, domainSize: 1024, allowInsecureRng: true });
const reps = []; for (let i = 0; i < 100000; i++) reps.push(olh.perturb(i % 1024, rng));
t0 = performance.now(); const f = localHashSupportFast(reps, 1024, olh.g); console.log('olh fast 100k ms', (performance.now() - t0).toFixed(1));
t0 = performance.now(); const r = localHashSupportReference(reps, 1024, olh.g); console.log('olh ref 100k ms', (performance.now() - t0).toFixed(1));
console.log('equal', f.every((x, i) => x === r[i]));
const grr = ORACLES.grr({ epsilon: 1, domainSize: 1024, allowInsecureRng: true });
const g = []; for (let i = 0; i < 1000000; i++) g.push(grr.perturb(i % 1024, rng));
t0 = performance.now(); let tt = grr.createTally(); tt.addBatch(g); grr.estimate(tt); console.log('grr tally 1M ms', (performance.now() - t0).toFixed(1));
const ou = []; for (let i = 0; i < 200000; i++) ou.push(oue.perturb(i % 1024, crng));
t0 = performance.now(); tt = oue.createTally(); for (let k = 0; k < 5; k++) tt.addBatch(ou); oue.estimate(tt); console.log('oue tally 1M ms', (performance.now() - t0).toFixed(1));
