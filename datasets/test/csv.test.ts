import { describe, expect, it } from 'vitest';
import { CsvParser, parseCsv, type CsvRow } from '../src/index.js';
import { expectPinholeError } from '@pinhole/core/testing';

const fields = (rows: CsvRow[]) => rows.map((r) => r.fields);

describe('parseCsv', () => {
  it('splits rows on LF, CRLF and lone CR, with or without a final line break', () => {
    const want = [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
    ];
    for (const text of ['a,b\n1,2\n3,4', 'a,b\r\n1,2\r\n3,4\r\n', 'a,b\r1,2\r3,4\r', 'a,b\n1,2\r\n3,4\n']) {
      expect(fields(parseCsv(text))).toEqual(want);
    }
  });

  it('reads quoted fields with delimiters, line breaks and doubled quotes', () => {
    const rows = parseCsv('name,note\r\n"Smith, J","said ""hi""\r\nthen left"\r\n"",x\r\n');
    expect(fields(rows)).toEqual([
      ['name', 'note'],
      ['Smith, J', 'said "hi"\r\nthen left'],
      ['', 'x'],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('keeps empty fields and skips empty lines', () => {
    expect(fields(parseCsv('a,,c\n\n,,\n\r\n,x'))).toEqual([
      ['a', '', 'c'],
      ['', '', ''],
      ['', 'x'],
    ]);
  });

  it('strips a UTF-8 byte-order mark and keeps non-ASCII text', () => {
    expect(fields(parseCsv('\ufeffisp,city\nδ֪,北京'))).toEqual([
      ['isp', 'city'],
      ['δ֪', '北京'],
    ]);
  });

  it('is lenient where a strict parser would lose the file: stray quotes are text, an open quote is flagged', () => {
    expect(fields(parseCsv('a"b,"c"d,e'))).toEqual([['a"b', 'cd', 'e']]);
    const rows = parseCsv('x,y\n1,"unterminated\n2,3');
    expect(rows.length).toBe(2);
    expect(rows[1]).toEqual({ fields: ['1', 'unterminated\n2,3'], line: 2, malformed: true });
    expect(rows[0]?.malformed).toBe(false);
  });

  it('supports other one-character delimiters', () => {
    expect(fields(parseCsv('a;b\n"1;2";3', { delimiter: ';' }))).toEqual([
      ['a', 'b'],
      ['1;2', '3'],
    ]);
    expect(fields(parseCsv('a\tb\n1\t2', { delimiter: '\t' }))).toEqual([
      ['a', 'b'],
      ['1', '2'],
    ]);
  });

  it('gives the same rows for every split of the input into two chunks', () => {
    const text = '\ufeffh1,h2\r\n"a ""q"" b","x\r\ny"\r\nplain,"",\r"end"""\n';
    const whole = parseCsv(text);
    for (let cut = 0; cut <= text.length; cut++) {
      const rows: CsvRow[] = [];
      const p = new CsvParser((r) => rows.push(r));
      p.push(text.slice(0, cut));
      p.push(text.slice(cut));
      p.end();
      expect(rows, `split at ${cut}`).toEqual(whole);
    }
    // and one character at a time
    const rows: CsvRow[] = [];
    const p = new CsvParser((r) => rows.push(r));
    for (const ch of text) p.push(ch);
    p.end();
    expect(rows).toEqual(whole);
  });

  it('refuses bad arguments', () => {
    for (const d of ['', ',,', '"', '\n', '\r']) expectPinholeError(() => parseCsv('a', { delimiter: d }), 'invalid_argument', 'options.delimiter');
    for (const d of [1, null, {}]) expectPinholeError(() => parseCsv('a', { delimiter: d as never }), 'invalid_argument', 'options.delimiter');
    for (const t of [1, null, undefined, {}, new Uint8Array(2)]) expectPinholeError(() => parseCsv(t as never), 'invalid_argument', 'text');
    expectPinholeError(() => parseCsv('a', null as never), 'invalid_argument', 'options');
    expectPinholeError(() => new CsvParser(null as never), 'invalid_argument', 'onRow');
    const p = new CsvParser(() => undefined);
    expectPinholeError(() => p.push(5 as never), 'invalid_argument', 'chunk');
    p.push('a,b');
    p.end();
    expectPinholeError(() => p.push('c'), 'invalid_argument', 'chunk');
    p.end(); // a second end is harmless
  });
});
