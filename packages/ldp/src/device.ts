/**
 * The mechanisms as a device runs them, by name: each `makeXDevice` applies its full mechanism's
 * parameter and exact-profile checks and perturbs and encodes exactly as it does (they share the
 * code), without the decoders, tallies, estimators and simulation that only a server or the bench
 * runs, so an app's bundle leaves those out.
 */
import { makeGrrDevice } from './grr.js';
import { makeHadamardOneBitDevice } from './hadamard-one-bit.js';
import { makeHadamardResponseDevice } from './hadamard-response.js';
import { makeHybridDevice } from './hybrid.js';
import { makeLaplaceNumericDevice } from './laplace-numeric.js';
import { makeBlhDevice, makeOlhDevice } from './local-hashing.js';
import { makeDuchiDevice } from './duchi.js';
import type { DeviceOracle, OracleName } from './oracle.js';
import type { DeviceNumericMechanism, NumericName } from './numeric.js';
import type { BaseParams, OracleParams } from './params.js';
import { makePiecewiseDevice } from './piecewise.js';
import { makeSquareWaveDevice } from './square-wave.js';
import { makeSubsetSelectionDevice } from './subset-selection.js';
import { makeOueDevice, makeSueDevice } from './unary-encoding.js';

// The report type differs per oracle; a device passes reports from perturb to encodeReport only.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDeviceOracle = DeviceOracle<any>;

export const DEVICE_ORACLES: Readonly<Record<OracleName, (params: OracleParams) => AnyDeviceOracle>> = Object.freeze({
  grr: makeGrrDevice,
  sue: makeSueDevice,
  oue: makeOueDevice,
  blh: makeBlhDevice,
  olh: makeOlhDevice,
  'subset-selection': makeSubsetSelectionDevice,
  'hadamard-response': makeHadamardResponseDevice,
  'hadamard-one-bit': makeHadamardOneBitDevice,
});

export const DEVICE_NUMERIC_MECHANISMS: Readonly<Record<NumericName, (params: BaseParams) => DeviceNumericMechanism>> = Object.freeze({
  laplace: makeLaplaceNumericDevice,
  duchi: makeDuchiDevice,
  piecewise: makePiecewiseDevice,
  hybrid: makeHybridDevice,
  'square-wave': makeSquareWaveDevice,
});
