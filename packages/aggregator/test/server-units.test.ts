/** The server's small pure parts: content negotiation, CSV escaping, bearer tokens, problem mapping. */
import { describe, expect, it } from 'vitest';
import { PinholeError } from '@pinhole/core';
import { type RoundRelease } from '@pinhole/aggregator';
import { STATUS_OF, negotiate, releaseCsv } from '@pinhole/aggregator/server';
import { PINHOLE_ERROR_CODES } from '@pinhole/core';

describe('server units', () => {
  it('negotiates JSON or CSV from Accept, and refuses what it cannot serve', () => {
    expect(negotiate(undefined)).toBe('json');
    expect(negotiate('')).toBe('json');
    expect(negotiate('*/*')).toBe('json');
    expect(negotiate('text/csv')).toBe('csv');
    expect(negotiate('text/csv;q=0.5, application/json')).toBe('json');
    expect(negotiate('application/json;q=0.2, text/csv;q=0.9')).toBe('csv');
    expect(negotiate('text/*')).toBe('csv');
    expect(negotiate('*/*, text/csv')).toBe('csv');
    expect(negotiate('application/xml')).toBeNull();
    expect(negotiate('text/csv;q=0')).toBeNull();
  });

  it('writes CSV with quoted fields where a label needs it', () => {
    const release = {
      round: 'r1',
      collections: [
        {
          collection: 'c',
          kind: 'histogram',
          mode: 'ldp',
          status: 'released',
          spent: { epsilon: 1, delta: 0 },
          buckets: ['a,b', 'say "hi"'],
          groups: [
            { key: 'g\n1', released: true, reason: null, contributors: 3, counts: [1, 2], rawCounts: [1, 2], mean: null, rawMean: null },
            { key: 'g2', released: false, reason: 'below_k', contributors: null, counts: null, rawCounts: null, mean: null, rawMean: null },
          ],
        },
        { collection: 'm', kind: 'mean', mode: 'ldp', status: 'refused', refusal: { reason: 'min_cohort' }, spent: { epsilon: 1, delta: 0 }, buckets: null, groups: [] },
      ],
    } as unknown as RoundRelease;
    const lines = releaseCsv(release).split('\r\n');
    expect(lines[1]).toBe('r1,c,histogram,ldp,released,"g\n1",true,,3,"a,b",1,1,,,1,0');
    expect(lines[2]).toBe('r1,c,histogram,ldp,released,"g\n1",true,,3,"say ""hi""",2,2,,,1,0');
    expect(lines[3]).toBe('r1,c,histogram,ldp,released,g2,false,below_k,,,,,,,1,0');
    expect(lines[4]).toBe('r1,m,mean,ldp,refused,,false,min_cohort,,,,,,,1,0');
  });

  it('maps every PinholeError code to a 4xx status', () => {
    for (const code of PINHOLE_ERROR_CODES) {
      expect(STATUS_OF[code], code).toBeGreaterThanOrEqual(400);
      expect(STATUS_OF[code], code).toBeLessThan(500);
    }
    expect(new PinholeError('decode_failed', 'bytes', 'x').toProblem()).toMatchObject({ code: 'decode_failed', param: 'bytes' });
  });
});
