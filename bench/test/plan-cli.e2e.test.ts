import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { makeReleaseEngine } from '@pinhole/aggregator';
import { type DeviceInput, deviceEntry, deviceMechanism } from '@pinhole/client';
import { deviceVector } from '@pinhole/client/secagg';
import { type Plan, checkPlan, encodeRoundReport, makeReportId } from '@pinhole/core';
import { planRoundLoss } from '@pinhole/core/plan';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { planOptionsFromArgs, runPlanCli } from '../src/plan-cli.js';

const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));
const DOMAINS = { operators: ['460-00', '460-01', '460-11'], regions: ['north', 'south'], cells: ['n1', 'n2', 's1'], cellRegions: ['north', 'north', 'south'] };
const dir = mkdtempSync(join(tmpdir(), 'pinhole-plan-'));
const domainsFile = join(dir, 'domains.json');
writeFileSync(domainsFile, JSON.stringify(DOMAINS));
const quiet = () => {};
// each generated plan gets its own file in the fresh directory
let plans = 0;

function generate(args: string[]): Plan {
  const out = join(dir, `plan-${++plans}.json`);
  expect(runPlanCli([...args, '--domains', domainsFile, '--out', out], quiet)).toBe(0);
  return checkPlan(JSON.parse(readFileSync(out, 'utf8')));
}

/** N simulated devices through a round of the generated plan; returns the round's release. */
function deploy(plan: Plan, n: number) {
  const rng = seededRng(`deploy-${plan.id}`);
  const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
  const round = engine.openRound({ roundId: 'r1' });
  const input = (i: number, c: Plan['collections'][number]): DeviceInput => (c.kind === 'histogram' ? { bucket: i % c.domainSize } : { group: i % c.groups, value: 20 + (i % 50) });
  const reporting = plan.collections.filter((c) => c.mode !== 'secagg');
  const mechs = new Map(reporting.filter((c) => c.mode === 'ldp').map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
  if (reporting.length) {
    for (let i = 0; i < n; i++) {
      const entries = reporting.map((c) => deviceEntry(c, input(i, c), rng, { allowInsecureRng: true, ...(mechs.has(c.id) ? { mechanism: mechs.get(c.id)! } : {}) }));
      round.add(encodeRoundReport({ planId: plan.id, planRevision: plan.revision, roundId: 'r1', reportId: makeReportId(rng, { allowInsecureRng: true }), entries }));
    }
  }
  for (const c of plan.collections.filter((x) => x.mode === 'secagg')) {
    // what secure aggregation would unmask: the sum of every device's vector plus its noise share
    const np = engine.collection(c.id).noisePlan!;
    const total = new Int32Array(np.vectorLength);
    for (let i = 0; i < n; i++) deviceVector(c, input(i, c), rng, { allowInsecureRng: true }).forEach((x, j) => (total[j]! += x));
    const noise = np.simulateSumNoise(n, rng);
    round.tally(c.id).setSecureSum(np.toRing(total.map((x, j) => x + (noise[j] as number))), n);
  }
  return round.release({ rng });
}

describe('pinhole-bench plan', () => {
  it.each(['ldp-auto', 'ldp-grr', 'ldp-piecewise', 'central-dp'])('%s: a generated plan deploys through the engine', (pipeline) => {
    const plan = generate(['--epsilon', '2', '--delta', '1e-6', '--insights', 'network-type-share,poor-share,rtt-mean', '--pipeline', pipeline, '--devices', '3000', '--id', `p-${pipeline}`]);
    expect(plan.domains).toEqual(DOMAINS);
    expect(plan.insights).toEqual(['network-type-share', 'poor-share', 'rtt-mean']);
    const release = deploy(plan, 3000);
    expect(release.status).toBe('released');
    expect(release.spent).toEqual(planRoundLoss(plan));
    expect(release.collections.every((c) => c.status === 'released' && c.groups.some((g) => g.released))).toBe(true);
    if (pipeline === 'ldp-grr') expect(plan.collections.filter((c) => c.kind === 'histogram').every((c) => (c.mechanism as { name: string }).name === 'grr')).toBe(true);
    if (pipeline === 'ldp-piecewise') expect((plan.collections.find((c) => c.kind === 'mean')!.mechanism as { name: string }).name).toBe('piecewise');
  });

  it('secagg-ddp: the shares, floors and top-up of the bench’s pipeline, deployable', () => {
    const plan = generate([
      '--epsilon',
      '4',
      '--insights',
      'network-type-share,rtt-mean',
      '--pipeline',
      'secagg-ddp',
      '--devices',
      '1500',
      '--dropout-rate',
      '0.1',
      '--rounds-per-period',
      '2',
      '--close-at-reports',
      '1500',
    ]);
    expect(plan.schedule).toEqual({ roundsPerPeriod: 2, roundSeconds: 302400, closeAtReports: 1500 });
    const c = plan.collections[0]!;
    expect(c.mode).toBe('secagg');
    expect(c.mechanism).toMatchObject({ noise: 'skellam', onShortfall: 'top_up', expectedClients: 1500, minSurvivors: 1350 });
    const release = deploy(plan, 1400);
    expect(release.status).toBe('released');
    for (const col of release.collections) {
      expect(col.privacyLoss.aggregator!.epsilon).toBeLessThanOrEqual(col.spent.epsilon);
      expect(col.threatModel.kind).toBe('secure_aggregation');
    }
  });

  it('writes the same plan from the real command line, and refuses bad options naming them', () => {
    const out = join(dir, 'cli.json');
    const r = spawnSync(process.execPath, [BIN, 'plan', '--epsilon', '1', '--insights', 'poor-share', '--domains', domainsFile, '--devices', '5000', '--out', out], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/poor-by-operator-region\s+ldp/);
    const inProcess = generate(['--epsilon', '1', '--insights', 'poor-share', '--devices', '5000']);
    expect(checkPlan(JSON.parse(readFileSync(out, 'utf8')))).toEqual(inProcess);
    const bad = spawnSync(process.execPath, [BIN, 'plan', '--insights', 'poor-share'], { encoding: 'utf8', timeout: 120_000 });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/"epsilon" expected/);
    expectPinholeError(() => planOptionsFromArgs(['--epsilon', '1', '--frobnicate', '2']), 'invalid_argument', 'frobnicate');
    expectPinholeError(() => planOptionsFromArgs(['--epsilon', 'x']), 'invalid_argument', 'epsilon');
    expectPinholeError(() => planOptionsFromArgs(['--epsilon', '1', '--pipeline', 'kanon-only']), 'invalid_argument', 'pipeline');
    expectPinholeError(() => planOptionsFromArgs(['--epsilon', '1', '--dropout-rate', '0.1']), 'invalid_argument', 'dropout-rate');
    expectPinholeError(() => planOptionsFromArgs(['--epsilon', '1', '--domains', join(dir, 'missing.json')]), 'invalid_argument', 'domains');
    const dup = join(dir, 'dup.json');
    writeFileSync(dup, JSON.stringify({ ...DOMAINS, regions: ['north', 'north'] }));
    expectPinholeError(() => runPlanCli(['--epsilon', '1', '--domains', dup], quiet), 'invalid_argument', 'plan.domains.regions[1]');
    expect(planOptionsFromArgs(['--help'])).toBe('help');
  });
});
