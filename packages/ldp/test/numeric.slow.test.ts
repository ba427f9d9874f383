/** Numeric mechanisms' one-report moments at every epsilon of the grid (slow). */
import { describe, it } from 'vitest';
import { NUMERIC_NAMES } from '../src/index.js';
import { checkNumericMoments } from './numeric-stats.js';

describe('numeric mechanisms, all epsilons (slow)', () => {
  for (const name of NUMERIC_NAMES) {
    for (const epsilon of [0.5, 2, 4]) {
      for (const t of [-1, -0.3, 0, 0.7, 1]) {
        it(`${name} epsilon=${epsilon} t=${t} (N=200,000)`, () => checkNumericMoments(name, epsilon, t, 200_000, 'slow'));
      }
    }
  }
});
