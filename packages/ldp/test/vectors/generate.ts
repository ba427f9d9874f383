/** Rewrites client-outputs.json from the current code (review the diff: it should only change on purpose). */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildGolden } from '../golden.js';

const path = fileURLToPath(new URL('./client-outputs.json', import.meta.url));
writeFileSync(path, `${JSON.stringify(buildGolden(), null, 1)}\n`);
