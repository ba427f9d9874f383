/**
 * This package's data folder, `data/` beside `src/` and `dist/` (listed in package.json `files`,
 * so it ships with the package): the vendored real data and the calibration figures.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The copy shipped with this package: gzipped files, their licence and provenance (datasets/data). */
export const VENDORED_DATA_DIR: string = join(dirname(fileURLToPath(import.meta.url)), '..', 'data');

/** The figures the synthetic generator is calibrated on, written by scripts/calibrate.ts. */
export const CALIBRATION_FILE: string = join(VENDORED_DATA_DIR, 'calibration.json');
