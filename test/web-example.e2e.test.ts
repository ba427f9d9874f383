/**
 * The browser example (examples/web) in headless Chromium: the page is built with esbuild and
 * served on one origin, the real aggregator runs as a process on another (so the page's requests
 * are cross-origin and need the server's CORS), and the test drives the page as a user would:
 * records a few measurements, syncs, and reads what the page shows. Then it checks that the
 * page's report is what the server stored, and that the budget the page shows is the plan's
 * budget less one round.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRoundReport } from '@pinhole/core';
import { planRoundLoss } from '@pinhole/core/plan';
import { buildWebExample } from '../examples/web/build.js';
import { serveStatic } from '../examples/web/serve.js';
import { type Process, startAggregator, tempDir } from '../examples/fleet.js';
import { ldpPlan } from '../packages/client/test/helpers.js';
import { chromiumMissing, launchChromium } from './support/chromium.js';

const tmp = tempDir('web-example');
const plan = ldpPlan({ id: 'web-example', rounds: 2, epsilon: 0.5 }); // a period budget of 2, a round charges 1
let site: Awaited<ReturnType<typeof serveStatic>>;
let aggregator: Process;
const db = join(tmp.dir, 'pinhole.db');
const built = mkdtempSync(join(tmpdir(), 'pinhole-web-'));

beforeAll(async () => {
  // fail, do not skip: the CI installs Chromium with scripts/setup-chromium.sh
  expect(chromiumMissing()).toBeNull();
  site = await serveStatic(await buildWebExample(built));
  aggregator = await startAggregator({ db, plan, dir: tmp.dir, args: ['--cors-origin', site.origin, '--keep-reports'] });
});

afterAll(async () => {
  await aggregator?.stop();
  await site?.close();
  tmp.remove();
  rmSync(built, { recursive: true, force: true });
});

describe('the browser example in headless Chromium', () => {
  it('records measurements, syncs a report the server stores, and shows the budget left', async () => {
    const browser = await launchChromium({ viewport: { width: 1000, height: 900 } });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${site.origin}/index.html?server=${encodeURIComponent(aggregator.url)}`);
      await page.waitForSelector('body[data-ready="true"]');
      // the page read the plan from the aggregator (a cross-origin request) and offers its domains
      await page.waitForFunction(() => document.getElementById('plan')?.textContent?.startsWith('web-example'));
      expect(await page.$$eval('#operator option', (o) => o.map((x) => (x as HTMLOptionElement).value))).toEqual(plan.domains.operators);

      const measurements = [
        { networkType: '4g', operator: '460-00', cell: 'n1', downlink: '35', rtt: '45' },
        { networkType: '5g-nsa', operator: '460-01', cell: 's1', downlink: '310', rtt: '22' },
        { networkType: 'wifi', operator: '460-00', cell: 'n2', downlink: '80', rtt: '12' },
      ];
      for (const [i, m] of measurements.entries()) {
        await page.selectOption('#networkType', m.networkType);
        await page.selectOption('#operator', m.operator);
        await page.selectOption('#cell', m.cell);
        await page.fill('#downlink', m.downlink);
        await page.fill('#rtt', m.rtt);
        await page.click('#record');
        await page.waitForSelector(`#samples[data-count="${i + 1}"]`);
      }
      // a measurement the client refuses: the page says which field, not the value
      await page.fill('#downlink', '-5');
      await page.click('#record');
      await page.waitForFunction(() => document.getElementById('log')?.textContent?.includes('not recorded'));
      expect(await page.textContent('#log')).not.toContain('-5');
      expect(await page.getAttribute('#samples', 'data-count')).toBe('3');

      await page.click('#sync');
      await page.waitForSelector('#outcome[data-outcome]');
      expect(await page.getAttribute('#outcome', 'data-outcome'), (await page.textContent('#outcome')) ?? '').toBe('reported');
      const roundText = (await page.textContent('#outcome')) ?? '';

      // the budget left, as the page shows it: the plan's period budget less one round
      const left = plan.budget.epsilon - planRoundLoss(plan).epsilon;
      expect(Number(await page.getAttribute('#budget', 'data-remaining'))).toBe(left);
      expect(await page.textContent('#budget')).toContain(`epsilon ${left.toFixed(3)} of ${plan.budget.epsilon}`);
      expect(await page.textContent('#budget')).toContain('1 round(s) left');
      expect(await page.getAttribute('#samples', 'data-count')).toBe('0');
      expect(errors).toEqual([]);

      // the server stored exactly the page's report, for the round the page names
      const d = new Database(db, { readonly: true });
      let rows: { round_id: string; bytes: Buffer }[];
      try {
        rows = d.prepare('SELECT round_id, bytes FROM reports').all() as typeof rows;
      } finally {
        d.close();
      }
      expect(rows).toHaveLength(1);
      expect(roundText).toContain(rows[0]!.round_id);
      const report = decodeRoundReport(new Uint8Array(rows[0]!.bytes));
      expect(report).toMatchObject({ planId: 'web-example', planRevision: 1, roundId: rows[0]!.round_id });
      expect(report.entries.map((e) => e.collection).sort()).toEqual(plan.collections.map((c) => c.id).sort());

      // a second sync in the same round sends nothing
      await page.click('#sync');
      await page.waitForFunction(() => document.getElementById('outcome')?.dataset.outcome === 'already_reported');
    } finally {
      await browser.dispose();
    }
  });
});
