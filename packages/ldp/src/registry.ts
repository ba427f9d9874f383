/** Every mechanism by name, so the bench and the recommender can loop over them. */
import { makeGrr } from './grr.js';
import { makeHadamardOneBit } from './hadamard-one-bit.js';
import { makeHadamardResponse } from './hadamard-response.js';
import { makeHybrid } from './hybrid.js';
import { makeLaplaceNumeric } from './laplace-numeric.js';
import { makeBlh, makeOlh } from './local-hashing.js';
import { makeDuchi } from './duchi.js';
import type { FrequencyOracle, OracleName } from './oracle.js';
import type { NumericMechanism, NumericName } from './numeric.js';
import type { BaseParams, OracleParams } from './params.js';
import { makePiecewise } from './piecewise.js';
import { makeSquareWave } from './square-wave.js';
import { makeSubsetSelection } from './subset-selection.js';
import { makeOue, makeSue } from './unary-encoding.js';

// The report type differs per oracle; a loop over all of them sees reports as opaque values.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyFrequencyOracle = FrequencyOracle<any>;

export const ORACLES: Readonly<Record<OracleName, (params: OracleParams) => AnyFrequencyOracle>> = Object.freeze({
  grr: makeGrr,
  sue: makeSue,
  oue: makeOue,
  blh: makeBlh,
  olh: makeOlh,
  'subset-selection': makeSubsetSelection,
  'hadamard-response': makeHadamardResponse,
  'hadamard-one-bit': makeHadamardOneBit,
});

export const ORACLE_NAMES = Object.freeze(Object.keys(ORACLES) as OracleName[]);

export const NUMERIC_MECHANISMS: Readonly<Record<NumericName, (params: BaseParams) => NumericMechanism>> = Object.freeze({
  laplace: makeLaplaceNumeric,
  duchi: makeDuchi,
  piecewise: makePiecewise,
  hybrid: makeHybrid,
  'square-wave': makeSquareWave,
});

export const NUMERIC_NAMES = Object.freeze(Object.keys(NUMERIC_MECHANISMS) as NumericName[]);
