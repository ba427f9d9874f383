/**
 * A small CSV parser (RFC 4180 plus what real files do): quoted fields with "" escapes and
 * embedded delimiters or line breaks, CRLF / LF / CR line endings, a UTF-8 byte-order mark, no
 * trailing newline. It is incremental (`push` chunks, then `end`) so files need not fit in one
 * string, and lenient where a strict parser would lose a whole file: a quote inside an unquoted
 * field is kept literally, text after a closing quote is appended, and an unterminated quote at the
 * end is reported on that row (`malformed`) instead of throwing.
 */
import { checkObject, checkString, invalid } from '@pinhole/core/validate';

export interface CsvRow {
  readonly fields: string[];
  /** 1-based line of the file where the row starts */
  readonly line: number;
  /** a quote was left open at the end of the input */
  readonly malformed: boolean;
}

export interface CsvOptions {
  /** one character, default "," */
  readonly delimiter?: string;
}

const QUOTE = 34; // "
const CR = 13;
const LF = 10;

export class CsvParser {
  private readonly delim: number;
  private field = '';
  private fields: string[] = [];
  private inQuotes = false;
  private quoteClosed = false; // just saw the closing quote of a quoted field
  private pendingCR = false; // a CR ended a row; swallow an LF that follows (even across chunks)
  private line = 1;
  private rowLine = 1;
  private rowHasContent = false;
  private started = false;
  private ended = false;
  private readonly onRow: (row: CsvRow) => void;

  constructor(onRow: (row: CsvRow) => void, options: CsvOptions = {}) {
    if (typeof onRow !== 'function') throw invalid('onRow', 'a function', onRow);
    checkObject('options', options);
    const d = options.delimiter === undefined ? ',' : checkString('options.delimiter', options.delimiter);
    if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') throw invalid('options.delimiter', 'one character other than a quote or a line break', d);
    this.delim = d.charCodeAt(0);
    this.onRow = onRow;
  }

  push(chunk: string): void {
    if (this.ended) throw invalid('chunk', 'no more input after end()', chunk);
    if (typeof chunk !== 'string') throw invalid('chunk', 'a string', chunk);
    let s = chunk;
    if (!this.started && s.length > 0) {
      this.started = true;
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
    }
    const n = s.length;
    let i = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === LF) {
          i++;
          continue;
        }
      }
      if (this.inQuotes) {
        // copy a run of ordinary characters at once
        let j = i;
        while (j < n) {
          const cj = s.charCodeAt(j);
          if (cj === QUOTE) {
            this.quotedCR = false;
            break;
          }
          // a line break inside quotes: CR, LF or CRLF (which may straddle chunks) count once
          if (cj === CR || (cj === LF && !this.quotedCR)) this.line++;
          this.quotedCR = cj === CR;
          j++;
        }
        this.field += s.slice(i, j);
        if (j === n) return;
        // a quote: escaped "" or the closing quote; "" may straddle chunks, so peek carefully
        if (j + 1 === n) {
          this.inQuotes = false;
          this.quoteClosed = true; // provisional: a leading " in the next chunk reopens
          this.reopenCheck = true;
          return;
        }
        if (s.charCodeAt(j + 1) === QUOTE) {
          this.field += '"';
          i = j + 2;
          continue;
        }
        this.inQuotes = false;
        this.quoteClosed = true;
        i = j + 1;
        continue;
      }
      if (this.reopenCheck) {
        this.reopenCheck = false;
        if (c === QUOTE) {
          // the quote that ended the previous chunk was the first half of ""
          this.field += '"';
          this.inQuotes = true;
          this.quoteClosed = false;
          i++;
          continue;
        }
      }
      if (c === this.delim) {
        this.endField();
        i++;
      } else if (c === LF || c === CR) {
        this.endRow(false);
        this.line++;
        this.rowLine = this.line;
        if (c === CR) this.pendingCR = true;
        i++;
      } else if (c === QUOTE && this.field.length === 0 && !this.quoteClosed) {
        this.inQuotes = true;
        this.rowHasContent = true;
        i++;
      } else {
        // ordinary run (a stray quote mid-field is kept as text)
        let j = i + 1;
        while (j < n) {
          const cj = s.charCodeAt(j);
          if (cj === this.delim || cj === LF || cj === CR) break;
          j++;
        }
        this.field += s.slice(i, j);
        this.rowHasContent = true;
        i = j;
      }
    }
  }

  private reopenCheck = false;
  private quotedCR = false;

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.quoteClosed = false;
    this.rowHasContent = true;
  }

  private endRow(malformed: boolean): void {
    if (!this.rowHasContent && this.fields.length === 0 && this.field.length === 0) {
      // an empty line is not a row
      this.quoteClosed = false;
      return;
    }
    this.fields.push(this.field);
    const row: CsvRow = { fields: this.fields, line: this.rowLine, malformed };
    this.fields = [];
    this.field = '';
    this.quoteClosed = false;
    this.rowHasContent = false;
    this.onRow(row);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.reopenCheck = false;
    if (this.inQuotes) {
      this.inQuotes = false;
      this.endRow(true);
    } else {
      this.endRow(false);
    }
  }
}

/** All rows of a CSV text (header included). */
export function parseCsv(text: string, options: CsvOptions = {}): CsvRow[] {
  checkString('text', text);
  const rows: CsvRow[] = [];
  const p = new CsvParser((r) => rows.push(r), options);
  p.push(text);
  p.end();
  return rows;
}
