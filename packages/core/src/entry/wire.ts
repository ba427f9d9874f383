/** `@pinhole/core/wire`: the versioned MessagePack envelope and the report's exact encodings, for packages that define wire messages. */
export { type WireValue, WIRE_VERSION, SUPPORTED_WIRE_VERSIONS, DEFAULT_MAX_WIRE_BYTES, encodeEnvelope } from '../codec.js';
export { type DecodedEnvelope, decodeEnvelope } from '../codec-decode.js';
export {
  REPORT_TYPE,
  MAX_REPORT_BYTES,
  MAX_REPORT_ENTRIES,
  MIN_CONTRIBUTOR_SECRET_BYTES,
  isReportId,
  isContributorToken,
  encodeExactBucket,
  decodeExactBucket,
  encodeExactValue,
  decodeExactValue,
} from '../report.js';
