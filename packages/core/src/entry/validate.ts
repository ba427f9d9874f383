/** `@pinhole/core/validate`: the argument checks every package builds its constructors on; each throws a PinholeError naming the parameter. */
export {
  checkBoolean,
  checkDelta,
  checkEpsilon,
  checkFinite,
  checkIncreasing,
  checkInteger,
  checkNumber,
  checkObject,
  checkOneOf,
  checkPositive,
  checkProbability,
  checkString,
  checkUint8Array,
  describeKind,
  describeValue,
  invalid,
  invalidPrivate,
  isArray,
  type NumberBounds,
} from '../validate.js';
export { checkRng, isRng } from '../rng.js';
