/**
 * pinhole-bench: `utility` (default) sweeps error vs epsilon for every insight and pipeline;
 * `audit` bounds every mechanism's and pipeline's privacy loss empirically against its claim;
 * `poison` measures how far malicious devices move a published figure in every pipeline;
 * `perf` runs every package's perf suite; `plan` writes a deployable collection plan from the
 * bench's settings; `list` names what can be chosen.
 */
import { join } from 'node:path';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { PinholeError } from '@pinhole/core';
import { perfMarkdown, runPerf } from './perf.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function runId(): string {
  return new Date().toISOString().replace(/[:.]/g, '-').replace('T', '_').slice(0, 19);
}

function machine(): Record<string, unknown> {
  return { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
}

async function main(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  const command = first && !first.startsWith('-') ? first : 'utility';
  const args = first && !first.startsWith('-') ? rest : argv;
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (command === 'perf') {
    const quick = args.includes('--quick');
    const onlyIdx = args.indexOf('--only');
    const only = onlyIdx >= 0 ? (args[onlyIdx + 1] ?? '').split(',') : undefined;
    const outIdx = args.indexOf('--out');
    const outDir = outIdx >= 0 ? (args[outIdx + 1] as string) : join(ROOT, 'bench', 'results', `perf-${runId()}`);
    const rows = await runPerf({ quick, ...(only ? { only } : {}), outDir, log, meta: { command: 'perf', quick, machine: machine(), date: new Date().toISOString() } });
    process.stdout.write(perfMarkdown(rows));
    log(`perf results written to ${outDir}`);
    return 0;
  }
  if (command === 'utility') {
    const { runUtilityCli } = await import('./utility-cli.js');
    return runUtilityCli(args, { root: ROOT, runId: runId(), machine: machine(), log });
  }
  if (command === 'audit') {
    const { runAuditCli } = await import('./audit-cli.js');
    return runAuditCli(args, { root: ROOT, runId: runId(), machine: machine(), log });
  }
  if (command === 'poison') {
    const { runPoisonCli } = await import('./poison-cli.js');
    return runPoisonCli(args, { root: ROOT, runId: runId(), machine: machine(), log });
  }
  if (command === 'plan') {
    const { runPlanCli } = await import('./plan-cli.js');
    return runPlanCli(args, log);
  }
  if (command === 'list') {
    const { listCli } = await import('./utility-cli.js');
    process.stdout.write(listCli());
    return 0;
  }
  throw new PinholeError('invalid_argument', 'command', `"command" expected one of "utility", "audit", "poison", "perf", "plan", "list", got ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof PinholeError) {
      process.stderr.write(`pinhole-bench: ${err.message} [${err.code}]\n`);
      process.exit(2);
    }
    process.stderr.write(`pinhole-bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
