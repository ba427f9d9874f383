import { describe, it } from 'vitest';
import { clientEndToEnd } from './client-e2e.js';

// The size: 1,000 devices, a few minutes on 2 cores (the fast suite runs 200 in client.e2e.test.ts).
describe('client end to end: 1,000 createClient devices over HTTP, an LDP and a secure-aggregation round with 10 % dropouts', () => {
  it('releases agree with the bench, and the secure-aggregation server stored only masked vectors', async () => {
    await clientEndToEnd({ devices: 1000, phaseSeconds: 1200, quietMs: 20_000, seed: 'client-e2e-1000' });
  }, 3_600_000);
});
