/** Prometheus metrics of one server (its own registry): uploads by outcome, commits, rounds, problems. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly reports = new Counter({ name: 'pinhole_reports_total', help: 'Report uploads by outcome', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly problems = new Counter({ name: 'pinhole_problems_total', help: 'Problem responses by status and code', labelNames: ['status', 'code'] as const, registers: [this.registry] });
  readonly batchSize = new Histogram({
    name: 'pinhole_commit_batch_rows',
    help: 'Reports per group-commit transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096],
    registers: [this.registry],
  });
  readonly commitSeconds = new Histogram({
    name: 'pinhole_commit_seconds',
    help: 'Duration of one group-commit transaction',
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly queue = new Gauge({ name: 'pinhole_commit_queue_rows', help: 'Reports waiting for a transaction', registers: [this.registry] });
  readonly rounds = new Counter({ name: 'pinhole_rounds_closed_total', help: 'Rounds closed, by release status', labelNames: ['status'] as const, registers: [this.registry] });
  readonly roundsOpened = new Counter({ name: 'pinhole_rounds_opened_total', help: 'Rounds opened', registers: [this.registry] });
  readonly closeSeconds = new Histogram({ name: 'pinhole_round_close_seconds', help: 'Time to release a round', buckets: [0.01, 0.1, 0.5, 1, 5, 30, 120], registers: [this.registry] });
  readonly storageRetries = new Counter({
    name: 'pinhole_storage_retries_total',
    help: 'Transactions retried after a transient failure (PostgreSQL: serialization failure, deadlock, lost connection), by SQLSTATE',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'pinhole_' });
  }
}
