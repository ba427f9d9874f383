/** Backend selection: the documented order, forcing, and refusal of bad choices. */
import { describe, expect, it } from 'vitest';
import { getTf, selectBackend } from '../src/server.js';
import { expectPinholeRejection } from '@pinhole/core/testing';

// typed string so tsc does not try to resolve the optional package
const TFJS_NODE: string = '@tensorflow/tfjs-node';
const tfjsNodeInstalled = await import(TFJS_NODE).then(
  () => true,
  () => false,
);

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
  // Which of the two holds depends on the machine; the other shows as skipped, not as passed.
  it.runIf(!tfjsNodeInstalled)('forcing node without @tensorflow/tfjs-node is `unsupported`', async () => {
    await expectPinholeRejection(() => selectBackend({ force: 'node' }), 'unsupported', 'PINHOLE_TF_BACKEND');
  });
  it.runIf(tfjsNodeInstalled)('forcing node with @tensorflow/tfjs-node installed selects it', async () => {
    expect((await selectBackend({ force: 'node' })).backend).toBe('tensorflow');
  });
});
