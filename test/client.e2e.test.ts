import { describe, it } from 'vitest';
import { clientEndToEnd } from './client-e2e.js';

describe('client end to end (fast): createClient devices over HTTP, an LDP and a secure-aggregation round with 10 % dropouts', () => {
  it('releases agree with the bench, and the secure-aggregation server stored only masked vectors', async () => {
    await clientEndToEnd({ devices: 200, phaseSeconds: 300, quietMs: 1500, seed: 'client-e2e-fast' });
  }, 600_000);
});
