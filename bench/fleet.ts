/**
 * `npm run bench:fleet [-- --accounts N] [--days D] [--latency MS] [--workers 1,2,4]`
 *
 * The fleet figure: N accounts per source (default 20) on the simulators at a realistic latency
 * (default 200 ms per request), one backfill of D days (default 28) enqueued with --no-wait and
 * worked by 1, 2 and 4 `punchcard worker` processes (2 windows each); wall time from the run's
 * ledger row (inserted with its jobs) to the settled run, and the speed-up. Beside it, the queue's overhead: the same backfill run in-process
 * (runPlan, today's runner, concurrency 2) against one worker process (concurrency 2).
 * Figures go to bench/results/fleet.json and fleet.md.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/logger.ts';
import { addDays } from '../src/pipeline/windows.ts';
import { planTasks } from '../src/pipeline/plan.ts';
import { runPlan } from '../src/pipeline/run.ts';
import { buildStreams } from '../src/sources/registry.ts';
import { startClockodoSimulator } from '../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../src/simulators/timeclock/index.ts';
import { openBenchDatabase } from './database.ts';
import { nodeArgs, nodeEnv } from '../bin/node-flags.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CLI = path.join(ROOT, 'bin', 'punchcard.mjs');

const { values } = parseArgs({ options: { accounts: { type: 'string' }, days: { type: 'string' }, latency: { type: 'string' }, workers: { type: 'string' } } });
const ACCOUNTS = Number(values.accounts ?? 20);
const DAYS = Number(values.days ?? 28);
const LATENCY = Number(values.latency ?? 200);
const WORKERS = (values.workers ?? '1,2,4').split(',').map(Number);
const TO = '2025-11-30';
const FROM = addDays(TO, -(DAYS - 1));
const log = (message: string) => process.stderr.write(`[bench:fleet] ${message}\n`);

const tokens = Array.from({ length: ACCOUNTS }, (_, i) => `bench-tc-${i}`);
const users = Array.from({ length: ACCOUNTS }, (_, i) => ({ email: `bench-${i}@fleet.test`, apiKey: `bench-ck-${i}`, revenueRights: true }));
const timeclock = await startTimeclockSimulator({ token: tokens[0]!, tokens, seed: 20, employees: 20, today: '2025-12-01', latencyMs: LATENCY });
const clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 20, apiUsers: users, latencyMs: LATENCY });

const dir = mkdtempSync(path.join(os.tmpdir(), 'punchcard-bench-fleet-'));
const secrets: Record<string, string> = {};
const accounts = tokens.flatMap((token, i) => {
  secrets[`TC_${i}`] = token;
  secrets[`CK_${i}`] = users[i]!.apiKey;
  return [
    { source: 'timeclock', account: `tenant-${i}`, url: timeclock.url, token: { env: `TC_${i}` } },
    { source: 'clockodo', account: `tenant-${i}`, url: clockodo.url, user: users[i]!.email, key: { env: `CK_${i}` } },
  ];
});
const accountsFile = path.join(dir, 'accounts.json');
writeFileSync(accountsFile, JSON.stringify({ accounts }));
chmodSync(accountsFile, 0o600);

const db = await openBenchDatabase(log);
const envFor = (url: string): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  CI: 'true',
  LOG_LEVEL: 'warn',
  DATABASE_URL: url,
  PUNCHCARD_ACCOUNTS: accountsFile,
  ...secrets,
  PUNCHCARD_METRICS_PORT: '0',
  PUNCHCARD_WORKER_CONCURRENCY: '2',
  PUNCHCARD_QUEUE_MAINTENANCE_SECONDS: '5',
});

function run(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, nodeArgs([CLI, ...args], env), { env: nodeEnv(env), stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`punchcard ${args.join(' ')} exited ${code}`))));
  });
}

function startWorker(env: NodeJS.ProcessEnv): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, nodeArgs([CLI, 'worker'], env), { env: nodeEnv({ ...env, LOG_LEVEL: 'info' }), stdio: ['ignore', 'ignore', 'pipe'] });
  const ready = new Promise<void>((resolve, reject) => {
    let text = '';
    child.on('exit', (code) => reject(new Error(`a worker exited ${code} before it listened: ${text.slice(-500)}`)));
    child.stderr!.on('data', (chunk) => {
      text += chunk;
      if (text.includes('"worker listening"')) {
        text = '';
        resolve();
      }
    });
  });
  return { child, ready };
}

async function settled(pool: pg.Pool, runId: number): Promise<string> {
  for (;;) {
    const { rows } = await pool.query<{ status: string }>('SELECT status FROM punchcard.sync_runs WHERE id = $1', [runId]);
    if (rows[0]!.status !== 'running') return rows[0]!.status;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const results: Record<string, number> = {};
let windows = 0;
try {
  // Today's in-process runner, for the queue's overhead.
  {
    const clone = await db.clone('inprocess');
    const pool = new pg.Pool({ connectionString: clone.url, max: 4 });
    try {
      const config = loadConfig(envFor(clone.url));
      const streams = buildStreams(config, {}, { logger: silentLogger() });
      const tasks = planTasks(streams, FROM, TO);
      windows = tasks.length;
      const started = Date.now();
      const summary = await runPlan({
        pool,
        logger: silentLogger(),
        plan: { kind: 'backfill', sources: ['timeclock', 'clockodo'], streams: [...new Set(streams.map((s) => `${s.source}.${s.name}`))], from: FROM, to: TO, windowDays: 0 },
        tasks,
        concurrency: 2,
      });
      results.inProcessSeconds = (Date.now() - started) / 1000;
      log(`in-process (concurrency 2): ${results.inProcessSeconds.toFixed(1)} s, ${summary.status}, ${windows} windows`);
    } finally {
      await pool.end();
      await clone.drop();
    }
  }
  for (const n of WORKERS) {
    const clone = await db.clone(`workers${n}`);
    const pool = new pg.Pool({ connectionString: clone.url, max: 2 });
    const env = envFor(clone.url);
    // The first worker installs the queue; the others join it.
    const first = startWorker(env);
    await first.ready;
    const rest = Array.from({ length: n - 1 }, () => startWorker(env));
    await Promise.all(rest.map((w) => w.ready));
    const all = [first, ...rest];
    try {
      const out = await run(['backfill', '--from', FROM, '--to', TO, '--no-wait'], env);
      const runId = Number(/run (\d+)/.exec(out)?.[1]);
      const status = await settled(pool, runId);
      // From the run's row (inserted with its jobs) to its settling: the CLI's start-up is not the queue's.
      const { rows } = await pool.query<{ s: number }>('SELECT extract(epoch FROM finished_at - started_at)::float8 AS s FROM punchcard.sync_runs WHERE id = $1', [runId]);
      results[`workers${n}Seconds`] = rows[0]!.s;
      log(`${n} worker(s): ${results[`workers${n}Seconds`]!.toFixed(1)} s, ${status}`);
    } finally {
      for (const w of all) w.child.kill('SIGTERM');
      await Promise.all(all.map((w) => new Promise((resolve) => (w.child.exitCode !== null ? resolve(null) : w.child.on('exit', resolve)))));
      await pool.end();
      await clone.drop();
    }
  }
} finally {
  await db.close();
  await timeclock.close();
  await clockodo.close();
}

const one = results.workers1Seconds!;
const lines = [
  `Taken ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${os.cpus()[0]?.model ?? 'unknown CPU'} (${os.cpus().length} cores), Node ${process.version}, ${db.describe}.`,
  `${ACCOUNTS} TimeClock + ${ACCOUNTS} clockodo accounts, ${FROM}..${TO} (${windows} windows), ${LATENCY} ms per request, 2 windows per worker.`,
  '',
  '| measure | wall time | ratio |',
  '|---|---|---|',
  `| in-process runner (today's), concurrency 2 | ${results.inProcessSeconds!.toFixed(1)} s | 1.00 |`,
  ...WORKERS.map((n) => `| ${n} worker process${n > 1 ? 'es' : ''} | ${results[`workers${n}Seconds`]!.toFixed(1)} s | speed-up ${(one / results[`workers${n}Seconds`]!).toFixed(2)} × over 1 worker |`),
  `| queue overhead, 1 worker vs in-process | ${((one / results.inProcessSeconds! - 1) * 100).toFixed(1)} % | target ≤ 10 % |`,
];
await fs.mkdir(path.join(ROOT, 'bench', 'results'), { recursive: true });
await fs.writeFile(path.join(ROOT, 'bench', 'results', 'fleet.json'), `${JSON.stringify({ accounts: ACCOUNTS, from: FROM, to: TO, latencyMs: LATENCY, windows, ...results }, null, 2)}\n`);
await fs.writeFile(path.join(ROOT, 'bench', 'results', 'fleet.md'), `${lines.join('\n')}\n`);
process.stdout.write(`${lines.join('\n')}\n`);
