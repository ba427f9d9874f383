/**
 * The one error type of Pinhole. Every failure a caller can act on carries a `code` from a closed
 * union and the name of the offending parameter, so callers branch on data, not on message text.
 */

export const PINHOLE_ERROR_CODES = ['invalid_argument', 'invalid_state', 'budget_exceeded', 'decode_failed', 'protocol_violation', 'verify_failed', 'insecure_rng', 'unsupported'] as const;

export type PinholeErrorCode = (typeof PINHOLE_ERROR_CODES)[number];

export class PinholeError extends Error {
  override readonly name = 'PinholeError';
  readonly code: PinholeErrorCode;
  /** The parameter (or field path, e.g. `sample.rttMs`) the error is about; '' when none applies. */
  readonly param: string;

  constructor(code: PinholeErrorCode, param: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.param = param;
  }

  /** RFC 7807 problem details, as the aggregator answers errors. */
  toProblem(): { type: string; title: string; detail: string; code: PinholeErrorCode; param: string } {
    return {
      type: `https://pinhole.dev/problems/${this.code}`,
      title: this.code.replace(/_/g, ' '),
      detail: this.message,
      code: this.code,
      param: this.param,
    };
  }
}

export function isPinholeError(value: unknown, code?: PinholeErrorCode): value is PinholeError {
  return value instanceof PinholeError && (code === undefined || value.code === code);
}
