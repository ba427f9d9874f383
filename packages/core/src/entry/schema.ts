/** `@pinhole/core/schema`: domains (categorical, bucketed, bounded) and the measurement's numeric and streaming fields. */
export { type CategoricalDomain, type BucketedDomain, type BoundedReal, type Domain, type OutOfRange, categoricalDomain, bucketedDomain, boundedReal } from '../schema.js';
export {
  type NumericField,
  type NumericFieldSpec,
  type StreamingField,
  type StreamingFieldSpec,
  STREAMING_FIELDS,
  STREAMING_FIELD_NAMES,
  NUMERIC_FIELDS,
  NUMERIC_FIELD_NAMES,
  hasRebuffering,
  networkTypeDomain,
  deviceClassDomain,
  defaultBucketing,
} from '../network-sample.js';
