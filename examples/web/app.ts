/**
 * The browser example: @pinhole/client in a page, against a local aggregator. Measurements are
 * entered by hand or read from the Network Information API where the browser has it, kept in
 * IndexedDB, and reported by sync(); the page shows the privacy budget left for the period.
 * Built with esbuild by examples/web/build.ts; served by examples/web/serve.ts.
 */
import { type NetworkSample, type NetworkType, createClient, indexedDbStorage } from '@pinhole/client';

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const server = new URLSearchParams(location.search).get('server') ?? `${location.protocol}//${location.hostname}:8080`;
$('server').textContent = server;

const storage = indexedDbStorage({ name: 'pinhole-example' });
const client = createClient({ serverUrl: server, storage, retry: { attempts: 3, baseDelayMs: 300 } });

function log(line: string): void {
  $('log').textContent = `${new Date().toLocaleTimeString()} ${line}\n${$('log').textContent ?? ''}`.slice(0, 4000);
}

async function showBudget(): Promise<void> {
  const b = await client.budget();
  if (!b) return;
  $('budget').textContent = `epsilon ${b.remaining.epsilon.toFixed(3)} of ${b.budget.epsilon} (delta ${b.remaining.delta} of ${b.budget.delta}) until ${b.period.end}; ${b.roundsLeft} round(s) left`;
  $('budget').dataset.remaining = String(b.remaining.epsilon);
}

async function showSamples(): Promise<void> {
  const s = await client.status();
  $('samples').textContent = `${s.samples} measurement(s) kept on this device, ${s.pending} report(s) waiting for upload`;
  $('samples').dataset.count = String(s.samples);
}

async function loadPlan(): Promise<void> {
  try {
    const res = await fetch(`${server}/v1/plan`);
    const plan = (await res.json()) as { id: string; revision: number; domains: { operators: string[]; cells: string[] } };
    $('plan').textContent = `${plan.id} revision ${plan.revision}`;
    $<HTMLSelectElement>('operator').replaceChildren(...plan.domains.operators.map((o) => new Option(o, o)));
    $<HTMLSelectElement>('cell').replaceChildren(...plan.domains.cells.map((c) => new Option(c, c)));
  } catch {
    log(`the aggregator at ${server} is not reachable`);
  }
}

/** The Network Information API (Chromium): connection type and effective type, downlink (Mbit/s) and RTT (ms), both coarsened by the browser. */
function fromNetworkInformation(): void {
  const c = (navigator as Navigator & { connection?: { type?: string; effectiveType?: string; downlink?: number; rtt?: number } }).connection;
  if (!c) {
    log('this browser has no Network Information API: enter the measurement by hand');
    return;
  }
  const type: NetworkType = c.type === 'wifi' ? 'wifi' : c.effectiveType === '4g' ? '4g' : c.effectiveType === '3g' ? '3g' : c.effectiveType ? '2g' : '4g';
  $<HTMLSelectElement>('networkType').value = type;
  if (typeof c.downlink === 'number') $<HTMLInputElement>('downlink').value = String(c.downlink);
  if (typeof c.rtt === 'number') $<HTMLInputElement>('rtt').value = String(c.rtt);
  log(`Network Information API: ${c.type ?? 'unknown type'}, effective ${c.effectiveType ?? '?'}, ${c.downlink ?? '?'} Mbit/s, ${c.rtt ?? '?'} ms`);
}

async function record(): Promise<void> {
  const networkType = $<HTMLSelectElement>('networkType').value as NetworkType;
  const sample: NetworkSample = {
    networkType,
    operator: $<HTMLSelectElement>('operator').value,
    cell: $<HTMLSelectElement>('cell').value,
    downlinkMbps: Number($<HTMLInputElement>('downlink').value),
    rttMs: Number($<HTMLInputElement>('rtt').value),
    deviceClass: 'other',
    timestamp: Date.now(),
    ...(networkType === 'wifi' ? {} : { rsrpDbm: Number($<HTMLInputElement>('rsrp').value) }),
  };
  try {
    await client.record(sample);
    log('recorded a measurement (it stays on this device)');
  } catch (e) {
    // the error names the field and the rule, never the value
    log(`not recorded: ${(e as Error).message}`);
  }
  await showSamples();
}

async function sync(): Promise<void> {
  $('outcome').textContent = 'syncing…';
  const r = await client.sync();
  $('outcome').textContent = `${r.outcome}${r.roundId ? ` (round ${r.roundId})` : ''}${r.error ? `: ${r.error.message}` : ''}`;
  $('outcome').dataset.outcome = r.outcome;
  log(`sync: ${r.outcome}, ${r.delivered} report(s) delivered, ${r.pending} waiting`);
  await showBudget();
  await showSamples();
}

$('netinfo').addEventListener('click', fromNetworkInformation);
$('record').addEventListener('click', () => void record());
$('sync').addEventListener('click', () => void sync());
void loadPlan().then(showSamples).then(showBudget);
document.body.dataset.ready = 'true';
