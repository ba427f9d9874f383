/**
 * Argument parsing shared by the bench's commands: comma-separated lists and numbers, refused
 * with the flag's name.
 */
import { invalid } from '@pinhole/core/validate';

/** A comma-separated list, items trimmed, empty items dropped. */
export function parseList(s: string): string[] {
  return s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A finite number, or an error naming `param`. */
export function parseNumber(param: string, s: string | undefined): number {
  const x = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isFinite(x)) throw invalid(param, 'a number', s);
  return x;
}
