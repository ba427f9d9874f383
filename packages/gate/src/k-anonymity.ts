/**
 * The classic k-anonymity threshold (Sweeney 2002; the "minimum aggregation threshold" of
 * telemetry systems): a bucket is published only when at least k distinct contributors are in it.
 *
 * NOT differentially private. The decision and the exact counts are deterministic functions of
 * the data, so two releases that differ by one device reveal that device's bucket (the
 * differencing attack in test/attack.test.ts succeeds every time). Use it only together with a
 * DP selection and noise, or where the counts are not sensitive.
 */
import { checkInteger, checkObject } from '@pinhole/core/validate';

export interface KAnonymityParams {
  /** the least number of distinct contributors a published bucket must have, >= 1 */
  readonly k: number;
}

export interface KAnonymity {
  readonly kind: 'k_anonymity';
  readonly k: number;
  readonly private: false;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly suppressionMessage: string;
  /** 1 if n >= k, else 0 */
  releaseProbability(contributors: number): number;
  /** the decision for one bucket with n distinct contributors (hot path: not validated) */
  select(contributors: number): boolean;
}

export function makeKAnonymity(params: KAnonymityParams): KAnonymity {
  checkObject('params', params);
  const k = checkInteger('k', params.k, { ge: 1, le: Number.MAX_SAFE_INTEGER });
  return Object.freeze({
    kind: 'k_anonymity' as const,
    k,
    private: false as const,
    parameters: Object.freeze({ mode: 'k_anonymity', k }),
    suppressionMessage: `fewer than k = ${k} distinct contributors (k-anonymity threshold)`,
    releaseProbability: (n: number) => (checkInteger('contributors', n, { ge: 0 }) >= k ? 1 : 0),
    select: (n: number) => n >= k,
  });
}
