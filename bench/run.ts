/**
 * `npm run bench [-- --quick] [--employees N] [--days D] [--loader-rows R] [--repeats K]`, or
 * `npm run bench -- --render` to rewrite latest.md from latest.json (after a change in how figures are shown)
 *
 * Measures, side by side in one run (ratios are what to compare; absolute rates depend on the
 * machine and its neighbours):
 *   1. the loader: new / changed / unchanged tc_sessions rows per second through mergeTable, each
 *      as a ratio to a raw COPY of the same rows into the same table (loader.ts);
 *   2. an end-to-end backfill (simulators → warehouse, the real CLI in a child process) beside the
 *      time to only fetch and parse the same answers (fetch-parse.ts), each sample of the one
 *      followed by a sample of the other, and the ratio taken of their medians;
 *   3. an unchanged re-sync of the same range, and the rows it wrote (PostgreSQL's own counters);
 *   4. the peak RSS of the backfill over 90 days and over the whole range;
 *   5. the nightly sync (the last 14 days, `punchcard sync`): its time and peak RSS;
 *   6. the backfill with 50 ms latency per request at concurrency 1 and 4.
 * Peak RSS follows the garbage collector's timing as much as the data, so each peak-RSS figure is
 * the median of `--samples` runs (default 3), every sample kept in the JSON.
 * Figures go to bench/results/latest.json and latest.md (and are printed).
 *
 * The database is found like the tests find theirs (database.ts); the simulators run in this
 * process, and every measured backfill in a child process, so its peak RSS is its own.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { DEFAULT_API_USERS, startClockodoSimulator, type ClockodoSimulator } from '../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../src/simulators/timeclock/index.ts';
import { addDays } from '../src/pipeline/windows.ts';
import { openBenchDatabase, type BenchDatabase } from './database.ts';
import { nodeArgs, nodeEnv } from '../bin/node-flags.mjs';
import { benchLoader, round2, type LoaderResult } from './loader.ts';
import { usageOf } from './usage.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'bench-token';
const FIRST_DAY = '2025-01-01';
/** Tables that hold the warehouse's data; the ledger, rejects, raw answers and the clockodo rate limiter's events are bookkeeping. */
const BOOKKEEPING_TABLES = ['sync_runs', 'sync_windows', 'rejects', 'raw_answers', 'settings', 'rate_events'];

interface Options {
  employees: number;
  days: number;
  loaderRows: number;
  repeats: number;
  concurrency: number;
  latencyDays: number;
  samples: number;
  quick: boolean;
}

/** The options of a run, or `render`: only rewrite latest.md from latest.json. */
function parseOptions(): Options & { render: boolean } {
  const { values } = parseArgs({
    options: {
      render: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      employees: { type: 'string' },
      days: { type: 'string' },
      'loader-rows': { type: 'string' },
      repeats: { type: 'string' },
      concurrency: { type: 'string' },
      samples: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!Number.isInteger(value) || value < min || value > max) throw new Error(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    return value;
  };
  const days = int('days', values.days, quick ? 60 : 365, 2, 3660);
  return {
    render: values.render ?? false,
    quick,
    employees: int('employees', values.employees, quick ? 100 : 1000, 1, 100_000),
    days,
    loaderRows: int('loader-rows', values['loader-rows'], quick ? 20_000 : 200_000, 100, 10_000_000),
    repeats: int('repeats', values.repeats, quick ? 1 : 3, 1, 15),
    concurrency: int('concurrency', values.concurrency, 2, 1, 32),
    latencyDays: Math.min(days, quick ? 14 : 90),
    samples: int('samples', values.samples, 3, 1, 15),
  };
}

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

interface ChildResult {
  wallMs: number;
  peakRssMb: number;
  cpu: CpuFigure;
  stdout: string;
}

/**
 * Where the CPU time of one measured run went, in ms: the measured process itself (its own
 * rusage), the simulators (this process, which serves them), and the rest of the machine (the
 * PostgreSQL server's backends above all; off Linux, unknown). On a machine with few cores these
 * add up to a floor under the wall time: `machineMs / cores`.
 */
interface CpuFigure {
  punchcardMs: number;
  simulatorsMs: number;
  othersMs?: number;
  machineMs?: number;
}

/** CPU time the whole machine spent busy so far (every process, every core; steal excluded), from /proc/stat. */
async function machineBusyMs(): Promise<number | undefined> {
  try {
    const fields = (await fs.readFile('/proc/stat', 'utf8')).split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user, nice, system, , , irq, softirq] = fields as [number, number, number, number, number, number, number];
    return ((user + nice + system + irq + softirq) * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

/**
 * Runs a node entry point with the peak-RSS reporter preloaded, and with punchcard's V8 flags on
 * the command line as package.json and the Dockerfile start it; fails loudly on a non-zero exit.
 */
async function runChild(args: string[], env: NodeJS.ProcessEnv): Promise<ChildResult> {
  const machineBefore = await machineBusyMs();
  const selfBefore = process.cpuUsage();
  const result = await runChildProcess(args, env);
  const self = process.cpuUsage(selfBefore);
  const machineAfter = await machineBusyMs();
  const simulatorsMs = Math.round((self.user + self.system) / 1000);
  const machineMs = machineBefore !== undefined && machineAfter !== undefined ? Math.round(machineAfter - machineBefore) : undefined;
  const cpu: CpuFigure = {
    punchcardMs: result.cpuMs,
    simulatorsMs,
    ...(machineMs !== undefined ? { machineMs, othersMs: Math.max(0, machineMs - result.cpuMs - simulatorsMs) } : {}),
  };
  return { wallMs: result.wallMs, peakRssMb: result.peakRssMb, cpu, stdout: result.stdout };
}

function runChildProcess(args: string[], env: NodeJS.ProcessEnv): Promise<{ wallMs: number; peakRssMb: number; cpuMs: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, nodeArgs(['--import', path.join(ROOT, 'bench/peak-rss.mjs'), ...args], env), { cwd: ROOT, env: nodeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => {
      const usage = usageOf(stderr);
      if (code !== 0 || !usage) {
        reject(new Error(`${args.join(' ')} exited with ${code}\n${stdout}\n${stderr.slice(-4000)}`));
        return;
      }
      resolve({ wallMs: performance.now() - started, ...usage, stdout });
    });
  });
}

interface BackfillFigure {
  from: string;
  to: string;
  concurrency: number;
  /** The run's own duration (first window to last commit), as the CLI prints it. */
  runMs: number;
  peakRssMb: number;
  cpu: CpuFigure;
  rows: { received: number; inserted: number; updated: number; deleted: number; rejected: number };
}

/** A figure measured several times: the medians, and every sample. */
interface SampledFigure extends BackfillFigure {
  samples: Array<{ runMs: number; peakRssMb: number; cpu: CpuFigure }>;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : Math.round((sorted[middle - 1]! + sorted[middle]!) / 2);
};

function sampled(figures: BackfillFigure[]): SampledFigure {
  return {
    ...figures[0]!,
    runMs: median(figures.map((f) => f.runMs)),
    peakRssMb: median(figures.map((f) => f.peakRssMb)),
    samples: figures.map((f) => ({ runMs: f.runMs, peakRssMb: f.peakRssMb, cpu: f.cpu })),
  };
}

async function backfill(env: NodeJS.ProcessEnv, from: string, to: string, concurrency: number): Promise<BackfillFigure> {
  const result = await runChild(['bin/punchcard.mjs', 'backfill', '--from', from, '--to', to, '--concurrency', String(concurrency)], env);
  const run = /run \d+ succeeded in ([\d.]+) s/.exec(result.stdout);
  const rows = /rows: (\d+) received, (\d+) inserted, (\d+) updated, (\d+) marked deleted, (\d+) rejected/.exec(result.stdout);
  if (!run || !rows) throw new Error(`backfill ${from}..${to} did not succeed:\n${result.stdout}`);
  const [received, inserted, updated, deleted, rejected] = rows.slice(1).map(Number) as [number, number, number, number, number];
  return { from, to, concurrency, runMs: Math.round(Number(run[1]) * 1000), peakRssMb: result.peakRssMb, cpu: result.cpu, rows: { received, inserted, updated, deleted, rejected } };
}

/** `punchcard sync`: one run per source; its time is the process's wall time (start-up included). */
async function nightlySync(env: NodeJS.ProcessEnv, from: string, to: string, concurrency: number): Promise<BackfillFigure> {
  const result = await runChild(['bin/punchcard.mjs', 'sync', '--concurrency', String(concurrency)], env);
  const runs = [...result.stdout.matchAll(/run \d+ (\w+) in [\d.]+ s/g)];
  if (runs.length === 0 || runs.some((run) => run[1] !== 'succeeded')) throw new Error(`nightly sync did not succeed:\n${result.stdout}`);
  const rows = { received: 0, inserted: 0, updated: 0, deleted: 0, rejected: 0 };
  for (const match of result.stdout.matchAll(/rows: (\d+) received, (\d+) inserted, (\d+) updated, (\d+) marked deleted, (\d+) rejected/g)) {
    const [received, inserted, updated, deleted, rejected] = match.slice(1).map(Number) as [number, number, number, number, number];
    rows.received += received;
    rows.inserted += inserted;
    rows.updated += updated;
    rows.deleted += deleted;
    rows.rejected += rejected;
  }
  return { from, to, concurrency, runMs: Math.round(result.wallMs), peakRssMb: result.peakRssMb, cpu: result.cpu, rows };
}

async function fetchAndParse(env: NodeJS.ProcessEnv, from: string, to: string, concurrency: number): Promise<{ ms: number; requests: number; peakRssMb: number; cpu: CpuFigure }> {
  const result = await runChild(['bin/run-ts.mjs', 'bench/fetch-parse.ts', '--from', from, '--to', to, '--concurrency', String(concurrency)], env);
  const line = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as { durationMs: number; requests: number };
  return { ms: line.durationMs, requests: line.requests, peakRssMb: result.peakRssMb, cpu: result.cpu };
}

/** Rows inserted, updated and deleted per table of schema punchcard, from PostgreSQL's statistics. */
async function writeCounters(url: string): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ relname: string; written: string }>(
      `SELECT relname, (n_tup_ins + n_tup_upd + n_tup_del)::text AS written FROM pg_stat_user_tables WHERE schemaname = 'punchcard'`,
    );
    return new Map(rows.map((r) => [r.relname, Number(r.written)]));
  } finally {
    await client.end();
  }
}

function writtenBetween(before: Map<string, number>, after: Map<string, number>): { data: number; bookkeeping: number; byTable: Record<string, number> } {
  const byTable: Record<string, number> = {};
  let data = 0;
  let bookkeeping = 0;
  for (const [table, count] of after) {
    const delta = count - (before.get(table) ?? 0);
    if (delta === 0) continue;
    byTable[table] = delta;
    if (BOOKKEEPING_TABLES.includes(table)) bookkeeping += delta;
    else data += delta;
  }
  return { data, bookkeeping, byTable };
}

interface Simulators {
  timeclock: TimeclockSimulator;
  clockodo: ClockodoSimulator;
  env: (databaseUrl: string) => NodeJS.ProcessEnv;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

async function startSimulators(employees: number, today: string): Promise<Simulators> {
  const timeclock = await startTimeclockSimulator({ port: 0, token: TOKEN, employees, today });
  const clockodo = await startClockodoSimulator({ port: 0, attendance: timeclock.dataset });
  const user = DEFAULT_API_USERS[0]!;
  return {
    timeclock,
    clockodo,
    env: (databaseUrl) => ({
      ...process.env,
      CI: 'true',
      LOG_LEVEL: 'warn',
      DATABASE_URL: databaseUrl,
      TIMECLOCK_API_URL: timeclock.url,
      TIMECLOCK_API_TOKEN: TOKEN,
      CLOCKODO_API_URL: clockodo.url,
      CLOCKODO_API_USER: user.email,
      CLOCKODO_API_KEY: user.apiKey,
      // The simulator does not rate-limit unless asked to; the bench measures punchcard, not waiting.
      CLOCKODO_ENTRYGROUPS_PER_MINUTE: '10000',
    }),
    setLatency(ms) {
      timeclock.setLatency(ms);
      clockodo.setLatency(ms);
    },
    async close() {
      await clockodo.close();
      await timeclock.close();
    },
  };
}

interface Results {
  takenAt: string;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; postgres: string; database: string };
  options: Options;
  loader: LoaderResult;
  backfill: SampledFigure;
  /** ms and peakRssMb: medians of the samples; cpu: sample 1's; pairedRatios: each backfill sample ÷ the fetch-and-parse run right after it. */
  fetchParse: { ms: number; requests: number; peakRssMb: number; cpu: CpuFigure; ratio: number; samplesMs: number[]; pairedRatios: number[] };
  resync: BackfillFigure & { ratioToFetchParse: number; rowsWritten: { data: number; bookkeeping: number; byTable: Record<string, number> } };
  memory: { days90: SampledFigure; ratio: number };
  nightly: SampledFigure & { lookbackDays: number; today: string };
  latency: { latencyMs: number; days: number; concurrency1: BackfillFigure; concurrency4: BackfillFigure; speedUp: number };
}

async function main(): Promise<void> {
  const { render, ...options } = parseOptions();
  if (render) {
    // After a change in how figures are shown: the last run's figures, shown anew.
    await report(JSON.parse(await fs.readFile(path.join(ROOT, 'bench/results/latest.json'), 'utf8')) as Results);
    return;
  }
  const to = addDays(FIRST_DAY, options.days - 1);
  log(`${options.employees} employees × ${options.days} days (${FIRST_DAY}..${to}), loader ${options.loaderRows} rows × ${options.repeats}`);
  const db = await openBenchDatabase(log);
  const simulators = await startSimulators(options.employees, addDays(to, 1));
  // A stopped bench must not leave its databases (or a long query in them) on a shared server.
  const stop = (signal: NodeJS.Signals) => {
    log(`${signal}: dropping the bench databases`);
    void Promise.allSettled([simulators.close(), db.close()]).finally(() => process.exit(130));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const results = await measure(db, simulators, options, to);
    await report(results);
  } finally {
    await simulators.close();
    await db.close();
  }
}

async function measure(db: BenchDatabase, sims: Simulators, options: Options, to: string): Promise<Results> {
  const { rows: version } = await db.adminQuery<{ server_version: string }>('SHOW server_version');

  const loaderDb = await db.clone('loader');
  const loaderPool = new pg.Pool({ connectionString: loaderDb.url, max: 2 });
  let loader: LoaderResult;
  try {
    loader = await benchLoader(loaderPool, { rows: options.loaderRows, repeats: options.repeats, log });
  } finally {
    await loaderPool.end();
    await loaderDb.drop();
  }

  const c = options.concurrency;
  const full: BackfillFigure[] = [];
  // Fetch-and-parse is sampled as often as the backfill, each right after its backfill sample, so
  // the ratio compares medians taken over the same stretch of a shared machine's noise.
  const fetchOnly: Array<Awaited<ReturnType<typeof fetchAndParse>>> = [];
  let again: BackfillFigure | undefined;
  let written: ReturnType<typeof writtenBetween> | undefined;
  for (let sample = 1; sample <= options.samples; sample++) {
    const main = await db.clone(`backfill_${sample}`);
    log(`backfill ${FIRST_DAY}..${to}, concurrency ${c} (sample ${sample} of ${options.samples})`);
    full.push(await backfill(sims.env(main.url), FIRST_DAY, to, c));
    log(`  ${full.at(-1)!.runMs} ms, peak RSS ${full.at(-1)!.peakRssMb} MB, ${JSON.stringify(full.at(-1)!.rows)}`);
    log(`fetch and parse only, same requests (sample ${sample} of ${options.samples})`);
    fetchOnly.push(await fetchAndParse(sims.env(main.url), FIRST_DAY, to, c));
    log(`  ${fetchOnly.at(-1)!.ms} ms for ${fetchOnly.at(-1)!.requests} requests`);
    if (sample === 1) {
      log('unchanged re-sync of the same range');
      const before = await writeCounters(main.url);
      again = await backfill(sims.env(main.url), FIRST_DAY, to, c);
      await new Promise((r) => setTimeout(r, 1500)); // statistics of ended sessions arrive asynchronously
      written = writtenBetween(before, await writeCounters(main.url));
      log(`  ${again.runMs} ms, data rows written ${written.data}, bookkeeping ${written.bookkeeping}`);
    }
    await main.drop();
  }

  const shortTo = addDays(FIRST_DAY, Math.min(options.days, 90) - 1);
  const short: BackfillFigure[] = [];
  for (let sample = 1; sample <= options.samples; sample++) {
    const shortDb = await db.clone(`days90_${sample}`);
    log(`backfill ${FIRST_DAY}..${shortTo} for its peak RSS (sample ${sample} of ${options.samples})`);
    short.push(await backfill(sims.env(shortDb.url), FIRST_DAY, shortTo, c));
    log(`  ${short.at(-1)!.runMs} ms, peak RSS ${short.at(-1)!.peakRssMb} MB`);
    await shortDb.drop();
  }

  // The nightly job as cron runs it: `punchcard sync`, the last 14 days up to the real today, so
  // it gets simulators whose data reach today.
  const today = new Date().toISOString().slice(0, 10);
  const lookbackDays = 14;
  const nightlySims = await startSimulators(options.employees, today);
  const nightly: BackfillFigure[] = [];
  try {
    for (let sample = 1; sample <= options.samples; sample++) {
      const nightlyDb = await db.clone(`nightly_${sample}`);
      log(`nightly sync, ${lookbackDays} days up to ${today} (sample ${sample} of ${options.samples})`);
      const env = { ...nightlySims.env(nightlyDb.url), PUNCHCARD_LOOKBACK_DAYS: String(lookbackDays) };
      nightly.push(await nightlySync(env, addDays(today, 1 - lookbackDays), today, c));
      log(`  ${nightly.at(-1)!.runMs} ms, peak RSS ${nightly.at(-1)!.peakRssMb} MB`);
      await nightlyDb.drop();
    }
  } finally {
    await nightlySims.close();
  }

  const latencyMs = 50;
  const latencyTo = addDays(FIRST_DAY, options.latencyDays - 1);
  sims.setLatency(latencyMs);
  const latency: BackfillFigure[] = [];
  for (const concurrency of [1, 4]) {
    const clone = await db.clone(`latency_c${concurrency}`);
    log(`backfill ${FIRST_DAY}..${latencyTo} at ${latencyMs} ms latency, concurrency ${concurrency}`);
    latency.push(await backfill(sims.env(clone.url), FIRST_DAY, latencyTo, concurrency));
    log(`  ${latency.at(-1)!.runMs} ms`);
    await clone.drop();
  }
  sims.setLatency(0);

  const fetchMs = median(fetchOnly.map((f) => f.ms));
  return {
    takenAt: new Date().toISOString(),
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores: os.cpus().length,
      memoryGb: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      postgres: version[0]!.server_version,
      database: db.describe,
    },
    options,
    loader,
    backfill: sampled(full),
    fetchParse: {
      ...fetchOnly[0]!,
      ms: fetchMs,
      peakRssMb: median(fetchOnly.map((f) => f.peakRssMb)),
      samplesMs: fetchOnly.map((f) => f.ms),
      ratio: round2(sampled(full).runMs / fetchMs),
      pairedRatios: full.map((f, i) => round2(f.runMs / fetchOnly[i]!.ms)),
    },
    resync: { ...again!, ratioToFetchParse: round2(again!.runMs / fetchMs), rowsWritten: written! },
    memory: { days90: sampled(short), ratio: round2(sampled(full).peakRssMb / sampled(short).peakRssMb) },
    nightly: { ...sampled(nightly), lookbackDays, today },
    latency: { latencyMs, days: options.latencyDays, concurrency1: latency[0]!, concurrency4: latency[1]!, speedUp: round2(latency[0]!.runMs / latency[1]!.runMs) },
  };
}

const check = (met: boolean): string => (met ? 'met' : '**not met**');
const seconds = (ms: number | undefined): string => (ms === undefined ? '?' : (ms / 1000).toFixed(1));
/** "punchcard 120.3 + simulators 40.1 + PostgreSQL and the rest 60.2 = 220.6 CPU-s" */
const cpuOf = (cpu: CpuFigure): string =>
  `punchcard ${seconds(cpu.punchcardMs)} + simulators ${seconds(cpu.simulatorsMs)} + PostgreSQL and the rest ${seconds(cpu.othersMs)} = ${seconds(cpu.machineMs)} CPU-s`;
/** The shortest a run with this much CPU work can take on `cores` cores; with `againstMs`, also as a multiple of it. */
const floorOf = (cpu: CpuFigure, cores: number, againstMs?: number): string => {
  if (cpu.machineMs === undefined) return '?';
  const floorMs = cpu.machineMs / cores;
  return `${seconds(floorMs)} s${againstMs === undefined ? '' : ` = ${(floorMs / againstMs).toFixed(2)} × fetch and parse`}`;
};
const samplesOf = (figure: SampledFigure): string => figure.samples.map((s) => s.peakRssMb).join(', ');
const thousands = (n: number): string => n.toLocaleString('en-US');

function markdown(r: Results): string {
  const l = r.loader;
  const o = r.options;
  const rowsOf = (f: BackfillFigure) => f.rows.inserted + f.rows.updated;
  return [
    `Taken ${r.takenAt.slice(0, 16).replace('T', ' ')} UTC on ${r.machine.cpu} (${r.machine.cores} cores, ${r.machine.memoryGb} GB), Node ${r.machine.node}, PostgreSQL ${r.machine.postgres} (${r.machine.database}).`,
    `Dataset: ${o.employees} employees × ${o.days} days, every TimeClock stream plus clockodo; loader: ${thousands(l.rows)} tc_sessions rows, median of ${l.repeats}.`,
    '',
    '| measure | figure | ratio | target |',
    '|---|---|---|---|',
    `| raw COPY into tc_sessions | ${thousands(l.rawCopy.rowsPerSecond)} rows/s | 1.00 | — |`,
    `| loader, new rows | ${thousands(l.newRows.rowsPerSecond)} rows/s | ${l.newRows.ratioToCopy} × COPY | ≥ 0.6: ${check(l.newRows.ratioToCopy >= 0.6)} |`,
    `| loader, changed rows | ${thousands(l.changedRows.rowsPerSecond)} rows/s | ${l.changedRows.ratioToCopy} × COPY | ≥ 0.5: ${check(l.changedRows.ratioToCopy >= 0.5)} |`,
    `| loader, unchanged rows | ${thousands(l.unchangedRows.rowsPerSecond)} rows/s, ${l.unchangedRows.rowsWritten} rows written | ${l.unchangedRows.ratioToCopy} × COPY | ≥ 0.9 and 0 rows: ${check(l.unchangedRows.ratioToCopy >= 0.9 && l.unchangedRows.rowsWritten === 0)} |`,
    `| backfill ${r.backfill.from}..${r.backfill.to}, concurrency ${r.backfill.concurrency} (median of ${r.backfill.samples.length}) | ${(r.backfill.runMs / 1000).toFixed(1)} s, ${thousands(rowsOf(r.backfill))} rows written (${thousands(Math.round(rowsOf(r.backfill) / (r.backfill.runMs / 1000)))}/s) | — | — |`,
    `| fetch and parse only (${r.fetchParse.requests} requests; median of ${r.fetchParse.samplesMs.length}: ${r.fetchParse.samplesMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s) | ${(r.fetchParse.ms / 1000).toFixed(1)} s | backfill = ${r.fetchParse.ratio} × (sample by sample: ${r.fetchParse.pairedRatios.join(', ')} ×) | ≤ 1.5: ${check(r.fetchParse.ratio <= 1.5)} |`,
    `| CPU of the backfill (sample 1) | ${cpuOf(r.backfill.samples[0]!.cpu)} | floor on ${r.machine.cores} cores ${floorOf(r.backfill.samples[0]!.cpu, r.machine.cores, r.fetchParse.ms)} | — |`,
    `| CPU of fetch and parse only (sample 1) | ${cpuOf(r.fetchParse.cpu)} | floor on ${r.machine.cores} cores ${floorOf(r.fetchParse.cpu, r.machine.cores)} | — |`,
    `| unchanged re-sync of the range | ${(r.resync.runMs / 1000).toFixed(1)} s, ${r.resync.rowsWritten.data} data rows written (${r.resync.rowsWritten.bookkeeping} ledger/rejects/raw-answer rows) | ${r.resync.ratioToFetchParse} × fetch and parse | 0 rows: ${check(r.resync.rowsWritten.data === 0)}; ≤ 1.3×: ${check(r.resync.ratioToFetchParse <= 1.3)} |`,
    `| CPU of the unchanged re-sync | ${cpuOf(r.resync.cpu)} | — | — |`,
    `| peak RSS, ${o.days} days (median of ${r.backfill.samples.length}: ${samplesOf(r.backfill)}) | ${r.backfill.peakRssMb} MB | ${r.memory.ratio} × the 90-day figure | ≤ 250 MB: ${check(r.backfill.peakRssMb <= 250)}; ≤ 1.2×: ${check(r.memory.ratio <= 1.2)} |`,
    `| peak RSS, ${Math.min(o.days, 90)} days (median of ${r.memory.days90.samples.length}: ${samplesOf(r.memory.days90)}) | ${r.memory.days90.peakRssMb} MB | — | — |`,
    `| nightly sync, ${r.nightly.lookbackDays} days up to ${r.nightly.today} (median of ${r.nightly.samples.length}) | ${(r.nightly.runMs / 1000).toFixed(1)} s (process), ${thousands(rowsOf(r.nightly))} rows written; peak RSS ${r.nightly.peakRssMb} MB (${samplesOf(r.nightly)}) | — | ≤ 150 MB: ${check(r.nightly.peakRssMb <= 150)} |`,
    `| ${r.latency.days} days at ${r.latency.latencyMs} ms latency, concurrency 1 | ${(r.latency.concurrency1.runMs / 1000).toFixed(1)} s | — | — |`,
    `| same, concurrency 4 | ${(r.latency.concurrency4.runMs / 1000).toFixed(1)} s | speed-up ${r.latency.speedUp} × | — |`,
    '',
  ].join('\n');
}

async function report(results: Results): Promise<void> {
  const dir = path.join(ROOT, 'bench/results');
  await fs.mkdir(dir, { recursive: true });
  const table = markdown(results);
  await fs.writeFile(path.join(dir, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  await fs.writeFile(path.join(dir, 'latest.md'), table);
  process.stdout.write(`\n${table}\nwritten to bench/results/latest.json and latest.md\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
