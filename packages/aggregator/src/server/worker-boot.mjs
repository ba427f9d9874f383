// Worker threads do not inherit tsx's loader: when running from sources, register it here, then
// load the TypeScript entry (a built package loads its .js entry directly).
import { workerData } from 'node:worker_threads';

const { register } = await import('tsx/esm/api');
register();
await import(workerData.entry);
