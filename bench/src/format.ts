/** Numbers as the bench's tables print them (its own file so report.ts and output.ts do not import each other). */

/**
 * Errors this close to 0 are the float residue of an exact computation (a distribution compared
 * with itself after normalising gives 1e-14): every metric's meaningful resolution is far coarser.
 */
export const ZERO_RESIDUE = 1e-12;

/** A number for a table: exact zeros (and float residue) as 0, `digits` significant digits otherwise, "—" when not a number. */
export function formatNumber(x: number | null, digits = 2): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (Math.abs(x) < ZERO_RESIDUE) return '0';
  const a = Math.abs(x);
  if (a >= 10 ** digits) return x.toFixed(0);
  if (a >= 1) return x.toFixed(Math.max(0, digits - 1 - Math.floor(Math.log10(a))));
  return x.toPrecision(digits);
}
