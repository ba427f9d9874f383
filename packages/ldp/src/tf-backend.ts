/**
 * THE tfjs backend selection of Pinhole (server side only). Order: `@tensorflow/tfjs-node` when it
 * can be imported (an optional peer: its install downloads libtensorflow), else
 * `@tensorflow/tfjs-backend-wasm`, else cpu. PINHOLE_TF_BACKEND=node|wasm|cpu forces one.
 * tfjs computes in float32: callers keep counts in int32 or JS numbers and only hand tfjs
 * quantities for which float32 rounding is acceptable (checked against Float64Array references).
 */
import { PinholeError } from '@pinhole/core';
import { checkOneOf } from '@pinhole/core/validate';

export type TfModule = typeof import('@tensorflow/tfjs');
export type TfBackendChoice = 'node' | 'wasm' | 'cpu';

export interface TfSelection {
  readonly tf: TfModule;
  /** the tfjs backend name in use: 'tensorflow', 'wasm' or 'cpu' */
  readonly backend: string;
}

const CHOICES: readonly TfBackendChoice[] = ['node', 'wasm', 'cpu'];
const cache = new Map<string, Promise<TfSelection>>();

async function tryNode(): Promise<TfSelection | null> {
  const name = '@tensorflow/tfjs-node'; // a variable: the module is optional and has no types here
  try {
    const tf = (await import(name)) as TfModule;
    await tf.setBackend('tensorflow');
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  } catch {
    return null;
  }
}

async function tryWasm(tf: TfModule): Promise<TfSelection | null> {
  try {
    await import('@tensorflow/tfjs-backend-wasm');
    if (!(await tf.setBackend('wasm'))) return null;
    await tf.ready();
    return { tf, backend: tf.getBackend() };
  } catch {
    return null;
  }
}

async function select(force: TfBackendChoice | undefined): Promise<TfSelection> {
  if (force === undefined || force === 'node') {
    const node = await tryNode();
    if (node) return node;
    if (force === 'node') throw new PinholeError('unsupported', 'PINHOLE_TF_BACKEND', '"PINHOLE_TF_BACKEND" asked for node, but @tensorflow/tfjs-node cannot be imported');
  }
  const tf = await import('@tensorflow/tfjs');
  if (force === undefined || force === 'wasm') {
    const wasm = await tryWasm(tf);
    if (wasm) return wasm;
    if (force === 'wasm') throw new PinholeError('unsupported', 'PINHOLE_TF_BACKEND', '"PINHOLE_TF_BACKEND" asked for wasm, but the wasm backend did not start');
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return { tf, backend: tf.getBackend() };
}

/**
 * Selects (once per choice) and returns the tfjs module with its backend ready. `force` overrides
 * the environment variable PINHOLE_TF_BACKEND, which overrides the default order.
 */
export function selectBackend(options: { force?: TfBackendChoice } = {}): Promise<TfSelection> {
  const env = typeof process === 'undefined' ? undefined : process.env.PINHOLE_TF_BACKEND;
  const force = options.force !== undefined ? checkOneOf('force', options.force, CHOICES) : env !== undefined && env !== '' ? checkOneOf('PINHOLE_TF_BACKEND', env, CHOICES) : undefined;
  const key = force ?? 'auto';
  let p = cache.get(key);
  if (!p) {
    p = select(force);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  // tfjs has one global backend: a later selection of another choice may have switched it.
  return p.then(async (sel) => {
    if (sel.tf.getBackend() !== sel.backend) {
      await sel.tf.setBackend(sel.backend);
      await sel.tf.ready();
    }
    return sel;
  });
}

/** The tfjs module on the selected backend. */
export async function getTf(): Promise<TfModule> {
  return (await selectBackend()).tf;
}
