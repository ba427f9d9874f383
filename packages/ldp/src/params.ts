/**
 * Parameter validation shared by every `makeX`: the object itself, epsilon, domain size, the
 * insecure-rng opt-in, and a refusal of unknown keys (a misspelt option must not pass silently).
 */
import { checkBoolean, checkInteger, checkNumber, checkObject, invalid, invalidPrivate } from '@pinhole/core/validate';

/** Above this, e^epsilon overflows the 2^-32 resolution of the Bernoulli thresholds: nothing useful is private there. */
export const MAX_EPSILON = 30;

export interface BaseParams {
  /** the local privacy loss of one report */
  readonly epsilon: number;
  /** accept a seeded (insecure) rng in `perturb`; for simulation and tests only */
  readonly allowInsecureRng?: boolean;
}

export interface OracleParams extends BaseParams {
  /** number of buckets: values are integers in [0, domainSize) */
  readonly domainSize: number;
}

export function checkParams(value: unknown, allowed: readonly string[]): Record<string, unknown> {
  const o = checkObject('params', value);
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalid(key, `no such parameter (known: ${allowed.join(', ')})`, o[key]);
  }
  return o;
}

export function checkEpsilonParam(o: Record<string, unknown>): number {
  return checkNumber('epsilon', o.epsilon, { gt: 0, le: MAX_EPSILON });
}

/**
 * A mechanism's documented minimum epsilon: below it the precision of its sampler runs out, so the
 * ratio cannot be kept within e^epsilon (or the output would overflow).
 */
export function checkMinEpsilon(epsilon: number, min: number, mechanism: string): number {
  if (epsilon < min) throw invalid('epsilon', `a finite number >= ${min} for ${mechanism} (its minimum epsilon: below it the sampler's precision runs out)`, epsilon);
  return epsilon;
}

export function checkAllowInsecure(o: Record<string, unknown>): boolean {
  return o.allowInsecureRng === undefined ? false : checkBoolean('allowInsecureRng', o.allowInsecureRng);
}

export function checkDomainSize(o: Record<string, unknown>, max: number): number {
  return checkInteger('domainSize', o.domainSize, { ge: 2, le: max });
}

/** The value a device reports: an integer bucket in [0, domainSize). It is private: errors do not echo it. */
export function checkBucketValue(value: unknown, domainSize: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value >= domainSize || Object.is(value, -0)) {
    throw invalidPrivate('value', `an integer >= 0 and < ${domainSize}`, value);
  }
  return value;
}
