/** A release as CSV, one row per released or withheld (group, bucket): what a spreadsheet wants. */
import type { RoundRelease } from '../engine/release.js';

export const RELEASE_CSV_COLUMNS = [
  'round',
  'collection',
  'kind',
  'mode',
  'status',
  'group',
  'released',
  'reason',
  'contributors',
  'bucket',
  'count',
  'raw_count',
  'mean',
  'raw_mean',
  'epsilon',
  'delta',
] as const;

function field(v: string | number | boolean | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function releaseCsv(release: RoundRelease): string {
  const lines = [RELEASE_CSV_COLUMNS.join(',')];
  const row = (cells: (string | number | boolean | null)[]) => lines.push(cells.map(field).join(','));
  for (const c of release.collections) {
    const base = [release.round, c.collection, c.kind, c.mode, c.status] as const;
    const loss = [c.spent.epsilon, c.spent.delta] as const;
    if (c.groups.length === 0) row([...base, null, false, c.refusal?.reason ?? null, null, null, null, null, null, null, ...loss]);
    for (const g of c.groups) {
      if (c.kind === 'histogram' && g.released && g.counts) {
        (c.buckets ?? []).forEach((b, i) => row([...base, g.key, true, null, g.contributors, b, g.counts?.[i] ?? null, g.rawCounts?.[i] ?? null, null, null, ...loss]));
      } else {
        row([...base, g.key, g.released, g.reason, g.contributors, null, null, null, g.mean, g.rawMean, ...loss]);
      }
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
