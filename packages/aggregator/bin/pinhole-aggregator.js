#!/usr/bin/env node
// Runs the TypeScript CLI through tsx (no build step), forwarding SIGTERM/SIGINT so the server
// shuts down gracefully.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli.ts');
// resolved from here, so the bin works from any working directory
const tsx = import.meta.resolve('tsx');
const child = spawn(process.execPath, ['--conditions=pinhole-source', '--import', tsx, cli, ...process.argv.slice(2)], { stdio: 'inherit' });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
