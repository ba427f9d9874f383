/** `@pinhole/core/exact`: rational and dyadic arithmetic for checking rounded probabilities exactly. */
export { roundUpSignificant, toDyadic, toFraction, expBounds, ratioWithinExp, type Dyadic, type Fraction, type ExactArgument } from '../rational.js';
