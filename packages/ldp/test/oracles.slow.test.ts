/** The full grid of issue 3: every oracle at epsilon in {0.5, 1, 2, 4} and d in {16, 1024}, per-device. */
import { describe, it } from 'vitest';
import { ORACLE_NAMES } from '../src/index.js';
import { checkOracleStatistics } from './oracle-stats.js';

describe('frequency oracles, full grid (slow)', () => {
  for (const name of ORACLE_NAMES) {
    for (const epsilon of [0.5, 1, 2, 4]) {
      it(`${name} epsilon=${epsilon} d=16 (n=2000, 200 runs)`, () => checkOracleStatistics(name, epsilon, 16, 2000, 200, 'slow'));
      it(`${name} epsilon=${epsilon} d=1024 (n=2000, 30 runs)`, () => checkOracleStatistics(name, epsilon, 1024, 2000, 30, 'slow'));
    }
  }
});
