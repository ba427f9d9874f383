/**
 * The CSV loader: any CSV file (optionally gzipped) or string with a column mapping into a
 * `MeasurementTable`, every row that does not fit counted. Node-only (reads files).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { PinholeError } from '@pinhole/core';
import { checkString } from '@pinhole/core/validate';
import { CsvParser } from './csv.js';
import { type CsvLoadOptions, conversionsOf, type ParsedOptions, parseOptions, specFor } from './csv-options.js';
import { Ingest, type RowSpec } from './ingest.js';
import { type LoadResult, type SourceFile } from './load-report.js';

/** A file's text; a name ending in `.gz` is gunzipped. */
export function readText(param: string, path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new PinholeError('invalid_argument', param, `"${param}" expected a readable file, got ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new PinholeError('invalid_argument', param, `"${param}" expected a gzip file, got ${JSON.stringify(path)} (${(err as Error).message})`, { cause: err });
    }
  }
  return bytes.toString('utf8');
}

function describeSource(name: string, path: string, text: string): SourceFile {
  const buf = Buffer.from(text, 'utf8');
  return Object.freeze({ name, path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') });
}

/** Feeds one file through the parser into `ingest`; the first row is the header. */
export function ingestText(ingest: Ingest, file: string, text: string, makeSpec: (header: readonly string[]) => RowSpec, delimiter: string, path = file): void {
  const counters = ingest.begin(file, describeSource(file, path, text));
  let spec: RowSpec | undefined;
  const parser = new CsvParser(
    (row) => {
      if (spec === undefined) {
        spec = makeSpec(row.fields);
        return;
      }
      ingest.row(row, spec, counters);
    },
    { delimiter },
  );
  parser.push(text);
  parser.end();
  if (spec === undefined) throw new PinholeError('invalid_argument', 'path', `"path" expected a CSV file with a header row, got an empty file ${JSON.stringify(file)}`);
}

/**
 * Loads any CSV file with a column mapping, e.g.
 * `loadCsv('cells.csv', { map: 'downlink=DL_bitrate,networkType=NetworkMode', scale: { downlink: 0.001 } })`.
 * Rows that do not fit the schema are counted in `rejected.byReason`, never dropped silently.
 */
export function loadCsv(path: string, options: CsvLoadOptions): LoadResult {
  checkString('path', path, { nonEmpty: true });
  const p = parseOptions(options);
  const text = readText('path', path);
  return loadCsvText(text, p, path, resolve(path));
}

/** The same from a string already in memory (`name` labels it in the report). */
export function loadCsvString(text: string, options: CsvLoadOptions, name = 'input.csv'): LoadResult {
  checkString('text', text);
  checkString('name', name, { nonEmpty: true });
  return loadCsvText(text, parseOptions(options), name);
}

function loadCsvText(text: string, p: ParsedOptions, name: string, path = name): LoadResult {
  const ingest = new Ingest();
  ingestText(ingest, name, text, (header) => specFor(name, header, p), p.delimiter, path);
  return ingest.finish(conversionsOf(p));
}
