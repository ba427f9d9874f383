/**
 * The real mobilebandwidth-sigcomm22 data (see PROVENANCE.md beside the files): its column
 * mappings and units, and `loadMobileBandwidth`. Node-only (reads files).
 */
import { PinholeError } from '@pinhole/core';
import { checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { type MultiValue } from './cell-values.js';
import { type ColumnMap, type UnitMap } from './column-map.js';
import { ingestText, readText } from './csv-loader.js';
import { conversionsOf, parseOptions, specFor } from './csv-options.js';
import { Ingest, type RowSpec } from './ingest.js';
import { type Conversion, type LoadResult } from './load-report.js';
import { findRealData, MOBILEBANDWIDTH_FILES, MOBILEBANDWIDTH_FOLDER, type MobileBandwidthFile, mobileBandwidthFile } from './real-data.js';

export interface MobileBandwidthOptions {
  /** the folder holding 4G.csv …; default: `findRealData()` */
  readonly dir?: string;
  /** which files, default all five */
  readonly files?: readonly MobileBandwidthFile[];
  /**
   * 5G rows: `5g-nsa` (default, as the data set does not say), `5g-sa`, or `tac`: `5g-sa` when the
   * row's `cell_tac` is a 24-bit 5GS tracking area code (> 65535, impossible for an EPS TAC,
   * 3GPP TS 23.003 §19.4.2.3), else `5g-nsa`.
   */
  readonly fiveG?: '5g-nsa' | '5g-sa' | 'tac';
  /** reduction of the ';'-separated signal readings, default `median` */
  readonly multiValue?: MultiValue;
}

/** The column mapping of each file (documented in README.md). */
export const MOBILEBANDWIDTH_MAPS: Readonly<Record<MobileBandwidthFile, ColumnMap>> = Object.freeze({
  '4G': {
    downlink: 'bandwidth_Mbps',
    networkType: 'network_type',
    operator: 'user_isp_id',
    region: 'user_region_id',
    cell: 'user_city_id',
    device: 'user_uid',
    rsrp: 'cell_rsrp',
    rsrq: 'cell_rsrq',
    sinr: 'cell_rssnr',
  },
  // The NR signal columns are sentinels (-44) or sign-flipped; no LTE anchor signal is in the file.
  '5G': { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid' },
  wifi4: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
  wifi5: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
  wifi6: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
});

/** Units of the mapped columns, from the data set's column documentation (data/Readme.md). */
const MOBILEBANDWIDTH_UNITS: Readonly<Record<MobileBandwidthFile, UnitMap>> = Object.freeze({
  '4G': { downlink: 'Mbit/s', rsrp: 'dBm', rsrq: 'dB', sinr: 'dB' },
  '5G': { downlink: 'Mbit/s' },
  wifi4: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
  wifi5: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
  wifi6: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
});

/**
 * Loads the mobilebandwidth files into one table: operator = `user_isp_id` (China Mobile 460-00,
 * China Unicom 460-01, China Telecom 460-11; the unknown-ISP mojibake and `nan` are rejected as
 * `operator_unknown`), region = province, cell = "province/city", device = `user_uid`, device
 * class "other" (the files have models but no class), no timestamps (NaN). Extras: `file`,
 * `brand`, `model`.
 */
export function loadMobileBandwidth(options: MobileBandwidthOptions = {}): LoadResult {
  const o = checkObject('options', options);
  for (const k of Object.keys(o)) if (!['dir', 'files', 'fiveG', 'multiValue'].includes(k)) throw invalid(`options.${k}`, 'no such option', o[k]);
  let files: readonly MobileBandwidthFile[] = MOBILEBANDWIDTH_FILES;
  if (o.files !== undefined) {
    if (!Array.isArray(o.files) || o.files.length === 0) throw invalid('options.files', `a non-empty array of ${MOBILEBANDWIDTH_FILES.join(', ')}`, o.files);
    const seen = new Set<string>();
    files = o.files.map((f: unknown, i: number) => {
      const v = checkOneOf(`options.files[${i}]`, f, MOBILEBANDWIDTH_FILES);
      if (seen.has(v)) throw invalid(`options.files[${i}]`, 'a file named once', v);
      seen.add(v);
      return v;
    });
  }
  const fiveG = o.fiveG === undefined ? '5g-nsa' : checkOneOf('options.fiveG', o.fiveG, ['5g-nsa', '5g-sa', 'tac'] as const);
  const multiValue = o.multiValue === undefined ? 'median' : checkOneOf('options.multiValue', o.multiValue, ['first', 'median', 'mean'] as const);

  // options are checked before the data is looked for, so a bad option is reported as such
  let dir: string;
  if (o.dir === undefined) {
    const found = findRealData();
    if (found === null || found.mobilebandwidth === null) {
      throw new PinholeError(
        'invalid_argument',
        'dir',
        `"dir" expected a folder holding the ${MOBILEBANDWIDTH_FOLDER} files; none was given and none was found (PINHOLE_DATA_DIR points elsewhere, or the vendored copy in datasets/data is missing)`,
      );
    }
    dir = found.mobilebandwidth;
  } else dir = checkString('options.dir', o.dir, { nonEmpty: true });

  const ingest = new Ingest();
  const conversions: Conversion[] = [];
  for (const name of files) {
    const path = mobileBandwidthFile(dir, name);
    const text = readText('options.dir', path);
    const p = parseOptions({ map: MOBILEBANDWIDTH_MAPS[name], units: MOBILEBANDWIDTH_UNITS[name], unknownOperators: 'reject', multiValue, extras: ['brand', 'model'] });
    for (const c of conversionsOf(p)) if (!conversions.some((x) => x.field === c.field && x.column === c.column)) conversions.push(c);
    if (name === '5G') p.networkTypes.set('5g', fiveG === '5g-sa' ? '5g-sa' : '5g-nsa');
    ingestText(
      ingest,
      `${name}.csv`,
      text,
      (header) => {
        const spec: RowSpec = { ...specFor(`${name}.csv`, header, p), constants: [['file', name]] };
        if (name !== '5G' || fiveG !== 'tac') return spec;
        const tac = header.indexOf('cell_tac');
        if (tac < 0) throw new PinholeError('invalid_argument', 'options.fiveG', '"options.fiveG" expected a 5G.csv with a cell_tac column for "tac", got none');
        return {
          ...spec,
          networkTypeOf: (fields, parsed) => {
            const v = Number(fields[tac]);
            return parsed === '5g-nsa' && Number.isInteger(v) && v > 65535 && v !== 2147483647 ? '5g-sa' : parsed;
          },
        };
      },
      ',',
      path,
    );
  }
  return ingest.finish(conversions);
}
