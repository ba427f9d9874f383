/** `@pinhole/core/privacy`: privacy maps (zCDP, RDP, the exact discrete-Gaussian curve, Skellam), composition and the neighbour relation's sensitivities. */
export {
  type ZcdpLoss,
  type SensitivityParams,
  pureToZcdp,
  zcdpDelta,
  zcdpToEpsilon,
  zcdpRhoFor,
  zcdpToEpsilonClassic,
  rdpToEpsilon,
  discreteGaussianZcdp,
  discreteGaussianDelta,
  discreteGaussianSigma,
  discreteGaussianSwapDelta,
  discreteGaussianSwapSigma,
  discreteGaussianPrivacy,
  skellamRdp,
  skellamPrivacy,
  ddgTau,
  ddgRdp,
  ddgPrivacy,
  laplacePrivacy,
} from '../privacy-maps.js';
export { privacyLoss, composeSequential } from '../accounting.js';
export { NEIGHBOUR_RELATION, NEIGHBOUR_STATEMENT, type NeighbourRelation, centralMeanSensitivity, replaceOneSensitivity } from '../neighbours.js';
