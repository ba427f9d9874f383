/** Backend selection: the documented order, forcing, and refusal of bad choices. */
import { describe, expect, it } from 'vitest';
import { getTf, selectBackend } from '../src/server.js';
import { expectPinholeRejection } from '@pinhole/core/testing';

describe('selectBackend', () => {
  it('falls back from tfjs-node (not installed here) to wasm or cpu', async () => {
    const sel = await selectBackend();
    expect(['tensorflow', 'wasm', 'cpu']).toContain(sel.backend);
    const tf = await getTf();
    const x = tf.tensor1d([1, 2, 3]);
    expect(Array.from(await x.sum().data())).toEqual([6]);
    x.dispose();
  });
  it('forces cpu, and refuses an unknown choice', async () => {
    const sel = await selectBackend({ force: 'cpu' });
    expect(sel.backend).toBe('cpu');
    await expectPinholeRejection(() => selectBackend({ force: 'gpu' as 'cpu' }), 'invalid_argument', 'force');
  });
  it('reads PINHOLE_TF_BACKEND and rejects a bad value', async () => {
    const old = process.env.PINHOLE_TF_BACKEND;
    try {
      process.env.PINHOLE_TF_BACKEND = 'tpu';
      await expectPinholeRejection(() => selectBackend(), 'invalid_argument', 'PINHOLE_TF_BACKEND');
    } finally {
      if (old === undefined) delete process.env.PINHOLE_TF_BACKEND;
      else process.env.PINHOLE_TF_BACKEND = old;
    }
  });
  it('forcing node without @tensorflow/tfjs-node is `unsupported`', async () => {
    let installed = true;
    try {
      const name = '@tensorflow/tfjs-node';
      await import(name);
    } catch {
      installed = false;
    }
    if (installed) return; // on a machine that has it, forcing node simply works
    await expectPinholeRejection(() => selectBackend({ force: 'node' }), 'unsupported', 'PINHOLE_TF_BACKEND');
  });
});
