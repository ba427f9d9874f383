/**
 * The shape every package's perf suite reports in, so `pinhole-bench perf` can run them all and
 * print one table. Each suite measures a baseline in the same run and rows carry their ratio to it.
 */

export interface PerfRow {
  /** the package or suite, e.g. "core/samplers" */
  readonly suite: string;
  /** the operation, e.g. "discreteGaussian sigma=10" */
  readonly name: string;
  /** operations per second (an operation is what `unit` says) */
  readonly opsPerSec: number;
  /** what one operation is, e.g. "sample", "report", "round" */
  readonly unit: string;
  /** mean wall time of one operation, milliseconds */
  readonly meanMs: number;
  /** the row this one is compared with, measured in the same run */
  readonly baseline?: string;
  /** opsPerSec of this row divided by the baseline's */
  readonly ratio?: number;
  /** other measured figures (bytes per client, error of the mean, …) */
  readonly extra?: Readonly<Record<string, number | string>>;
}

export interface PerfOptions {
  /** a shorter run (fewer grid points / iterations), for CI and `--quick` */
  readonly quick: boolean;
  /** progress lines go here (stderr in the CLI) */
  readonly log?: (line: string) => void;
}

export type PerfSuite = (options: PerfOptions) => Promise<PerfRow[]>;
