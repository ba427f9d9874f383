/**
 * Recomputes the calibration figures from the real mobilebandwidth files and writes
 * data/calibration.json. Run from the repository root:
 *   node --conditions=pinhole-source --import tsx datasets/scripts/calibrate.ts
 * It imports neither the package index nor the figures it replaces, so it runs when they are
 * missing or stale.
 */
import { writeFileSync } from 'node:fs';
import { measureCalibration } from '../src/calibrate.js';
import { checkCalibration } from '../src/calibration-file.js';
import { CALIBRATION_FILE } from '../src/data-dir.js';
import { loadMobileBandwidth } from '../src/mobilebandwidth.js';

const loaded = loadMobileBandwidth();
const figures = checkCalibration(measureCalibration(loaded.table));
writeFileSync(CALIBRATION_FILE, `${JSON.stringify(figures, null, 2)}\n`);
console.log(
  JSON.stringify(
    {
      ...figures,
      downlink: Object.fromEntries(Object.entries(figures.downlink).map(([k, v]) => [k, { ...v, knots: undefined }])),
      rsrp4g: { ...figures.rsrp4g, knots: undefined },
      rsrq4g: { ...figures.rsrq4g, knots: undefined },
      sinr4g: { ...figures.sinr4g, knots: undefined },
      wifiRssi: { ...figures.wifiRssi, knots: undefined },
    },
    null,
    1,
  ),
);
