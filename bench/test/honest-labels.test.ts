import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { makeSecaggDdpPipeline } from '../src/ddp-pipeline.js';
import { type UtilityResults, writeResults } from '../src/output.js';
import type { CollectionData, HistogramData } from '../src/prepare.js';
import { collectionsFor, prepareCollections, sweep, type SweepResult } from '../src/run.js';
import { openData } from '../src/open-data.js';
import { parseUtilityArgs } from '../src/utility-config.js';

// Issue 16, item 6: what a pipeline treats as public, and the aggregator's own loss, are stated.
const cfg = parseUtilityArgs(['--devices', '4000', '--trials', '1', '--epsilons', '2', '--insights', 'rtt-mean,device-class-share']);
if (cfg === 'help') throw new Error('unreachable');
let data: CollectionData[];
let result: SweepResult;

beforeAll(async () => {
  const opened = openData(cfg);
  data = prepareCollections(opened.tables(), opened.domains, collectionsFor(cfg.insights), cfg.seed, false);
  result = await sweep(data, { ...cfg, pipelines: ['raw', 'central-dp', 'secagg-ddp', 'ldp-duchi', 'ldp-oue'] });
}, 120_000);

describe('the report says what each pipeline treats as public (6a)', () => {
  it('local-DP means treat each device’s operator as public; central and secure aggregation do not', () => {
    const info = (id: string) => result.pipelines.find((p) => p.id === id)!;
    const operatorPublic = (id: string) => (info(id).treatsAsPublic ?? []).some((t) => /operator\) of each reporting device/.test(t));
    expect(operatorPublic('ldp-duchi')).toBe(true);
    expect(operatorPublic('central-dp')).toBe(false);
    expect(operatorPublic('secagg-ddp')).toBe(false);
    expect(operatorPublic('ldp-oue')).toBe(false);
    for (const id of ['central-dp', 'secagg-ddp', 'ldp-duchi', 'ldp-oue'])
      expect(
        info(id).treatsAsPublic.some((t) => /domains/.test(t)),
        id,
      ).toBe(true);
    expect(info('central-dp').threatModel.join(' ')).toMatch(/trusted curator/);
    expect(info('secagg-ddp').threatModel.join(' ')).toMatch(/secure aggregation/);
    expect(info('ldp-oue').threatModel.join(' ')).toMatch(/local differential privacy/);
    expect(info('raw').threatModel.join(' ')).toMatch(/not private/);
  });

  it('and so do report.md and results.json', async () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-labels-'));
    const results: UtilityResults = {
      schema: 'pinhole-bench/utility@1',
      config: { ...cfg, collections: 2 },
      seed: cfg.seed,
      versions: {},
      machine: {},
      startedAt: new Date(0).toISOString(),
      durationMs: 0,
      data: { source: 'synthetic', devices: 4000 },
      insights: result.insights,
      pipelines: result.pipelines,
      points: result.points,
    };
    await writeResults(out, results);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\*\*ldp-duchi\*\*[\s\S]*public: the group \(operator\) of each reporting device/);
    const json = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
    expect(json.pipelines.find((p) => p.id === 'ldp-duchi')!.treatsAsPublic.join(' ')).toMatch(/operator/);
  });
});

describe('secagg-ddp with dropouts and top-up accounts for the aggregator’s own loss (6b)', () => {
  it('the release states the loss against the aggregator, within what devices are charged', async () => {
    const d = data.find((x): x is HistogramData => x.kind === 'histogram')!;
    const topped = makeSecaggDdpPipeline({ dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up' });
    const out = await topped.histogram!({ data: d, epsilon: 1, delta: 1e-6, k: 20, rng: seededRng('6b'), mode: 'aggregate' });
    const rel = out.release!;
    expect(rel.privacyLoss.aggregator).not.toBeNull();
    // ~90 % survive: the aggregator saw fewer shares than the release carries after the top-up
    expect(rel.privacyLoss.aggregator!.epsilon).toBeGreaterThan(rel.privacyLoss.release.epsilon);
    // and devices were charged for it: the plan calibrated the release below the collection's epsilon
    expect(rel.privacyLoss.aggregator!.epsilon).toBeLessThanOrEqual(rel.spent.epsilon);
    expect(rel.spent.epsilon).toBe(1);
  });
});
