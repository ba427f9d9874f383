/**
 * The figures the synthetic generator is calibrated on, measured on the real mobilebandwidth-sigcomm22
 * files (loadMobileBandwidth() with its defaults, then measureCalibration). scripts/calibrate.ts
 * writes them to data/calibration.json; test/real-data.test.ts recomputes them from the files.
 */
import { type CalibrationFigures } from './calibrate.js';
import { readCalibration } from './calibration-file.js';
import { CALIBRATION_FILE } from './data-dir.js';

export const CALIBRATION: CalibrationFigures = readCalibration(CALIBRATION_FILE);
