/**
 * The vendored copy of mobilebandwidth-sigcomm22 (datasets/data) decompresses to the original
 * files byte for byte, carries its licence and provenance, and is what a clone without
 * ../shared/datasets reads.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { VENDORED_DATA_DIR } from '../src/data-dir.js';
import { MOBILEBANDWIDTH_FILES, findRealData, loadMobileBandwidth } from '../src/index.js';

const DIR = join(VENDORED_DATA_DIR, 'mobilebandwidth-sigcomm22');
// SHA-256 of the original files (../shared/datasets/mobilebandwidth-sigcomm22/PROVENANCE.md gives their prefixes)
const SHA256: Record<string, string> = {
  '4G': 'e01057781199852215959e2a79748d5fa3b2184fc168d41c5a76341a88932556',
  '5G': 'cbfa3ab3ac14ec3b883d3a0a71108b4b78e6eb323e4673192e00afb22818082f',
  wifi4: 'f9490311019386beea1228f299152d88af66b7c7c43b607ae71911429c5d0c9d',
  wifi5: '3b2f17cd5acf47f329e14e67a805de369279b5f6afea75b4fa7798f433643335',
  wifi6: '597227a30377fd71a2a1a8f334a2a3f2daa346f7a65f76fc77d335d0be1ba1dc',
};
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('vendored mobilebandwidth data', () => {
  it('decompresses to the original files, with the licence and provenance beside them', () => {
    for (const f of MOBILEBANDWIDTH_FILES) {
      const raw = gunzipSync(readFileSync(join(DIR, `${f}.csv.gz`)));
      expect(sha(raw), f).toBe(SHA256[f]);
      const shared = join(DIR, '..', '..', '..', '..', 'shared', 'datasets', 'mobilebandwidth-sigcomm22', `${f}.csv`);
      if (existsSync(shared)) expect(sha(readFileSync(shared)), `${f} vs ../shared`).toBe(SHA256[f]);
    }
    expect(readFileSync(join(DIR, 'LICENSE-Apache-2.0.txt'), 'utf8')).toMatch(/Apache License\s+Version 2\.0/);
    const provenance = readFileSync(join(DIR, 'PROVENANCE.md'), 'utf8');
    expect(provenance).toMatch(/github\.com\/mobilebandwidth\/mobilebandwidth\.github\.io/);
    for (const f of MOBILEBANDWIDTH_FILES) expect(provenance).toContain(SHA256[f]);
  });

  it('is found without ../shared or PINHOLE_DATA_DIR, and a set PINHOLE_DATA_DIR still overrides it', () => {
    // a working directory outside any repository: only the module's own location can find data
    const found = findRealData({ env: {}, cwd: tmpdir() });
    expect(found?.mobilebandwidth).not.toBeNull();
    expect(['shared', 'vendored']).toContain(found?.source);
    expect(findRealData({ env: { PINHOLE_DATA_DIR: VENDORED_DATA_DIR } })).toEqual({ dir: VENDORED_DATA_DIR, mobilebandwidth: DIR, source: 'env' });
  });

  it('loads from the vendored copy with the same rows and hashes as the originals', () => {
    const r = loadMobileBandwidth({ dir: DIR, files: ['5G'] });
    expect(r.rows).toBe(10_000);
    expect(r.sources).toEqual([{ name: '5G.csv', path: join(DIR, '5G.csv.gz'), bytes: 2_910_978, sha256: SHA256['5G'] }]);
  });
});
