/**
 * Exact decimal sums for the privacy ledger. Each amount is read as the shortest decimal that
 * round-trips its double (0.1 is one tenth), so ten spends of 0.1 fit a budget of 1 exactly.
 */

export interface Decimal {
  readonly units: bigint;
  /** value = units · 10^-scale */
  readonly scale: number;
}

export const DECIMAL_ZERO: Decimal = { units: 0n, scale: 0 };

export function decimalOf(x: number): Decimal {
  const text = String(x);
  const [mant, expPart] = text.split('e') as [string, string | undefined];
  const exp = expPart === undefined ? 0 : Number(expPart);
  const negative = mant.startsWith('-');
  const digits = negative ? mant.slice(1) : mant;
  const dot = digits.indexOf('.');
  const frac = dot < 0 ? '' : digits.slice(dot + 1);
  const whole = dot < 0 ? digits : digits.slice(0, dot);
  let units = BigInt(whole + frac);
  let scale = frac.length - exp;
  if (scale < 0) {
    units *= 10n ** BigInt(-scale);
    scale = 0;
  }
  return { units: negative ? -units : units, scale };
}

function align(a: Decimal, b: Decimal): [bigint, bigint, number] {
  const scale = Math.max(a.scale, b.scale);
  return [a.units * 10n ** BigInt(scale - a.scale), b.units * 10n ** BigInt(scale - b.scale), scale];
}

export function decimalAdd(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { units: x + y, scale };
}

export function decimalSub(a: Decimal, b: Decimal): Decimal {
  const [x, y, scale] = align(a, b);
  return { units: x - y, scale };
}

export function decimalCompare(a: Decimal, b: Decimal): -1 | 0 | 1 {
  const [x, y] = align(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function decimalToNumber(a: Decimal): number {
  return Number(`${a.units}e-${a.scale}`);
}
