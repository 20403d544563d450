/**
 * `node bin/run-ts.mjs bench/resync-ratio.ts [--employees N] [--days D] [--rounds K] [--roots a,b]`
 *
 * The unchanged re-sync beside fetch-and-parse alone, for one or more checkouts side by side in
 * one run (same simulators, same database server, checkouts alternated round by round, so a busy
 * neighbour weighs on all of them alike). For each root: a backfill into a fresh database, then
 * fetch-and-parse of the same range (bench/fetch-parse.ts), then the re-sync of the unchanged
 * range; the ratio re-sync / fetch-and-parse is what to compare. `--roots` defaults to this
 * checkout; a root is any checkout of punchcard with its node_modules.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_API_USERS, startClockodoSimulator } from '../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../src/simulators/timeclock/index.ts';
import { addDays } from '../src/pipeline/windows.ts';
import { openBenchDatabase } from './database.ts';

const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIRST_DAY = '2025-01-01';
const TOKEN = 'bench-token';

const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '100' },
    days: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '1' },
    roots: { type: 'string' },
    concurrency: { type: 'string', default: '2' },
  },
});
const employees = Number(values.employees);
const days = Number(values.days);
const rounds = Number(values.rounds);
const concurrency = values.concurrency!;
const roots = (values.roots ?? HERE).split(',').map((root) => path.resolve(root));
const to = addDays(FIRST_DAY, days - 1);

const log = (message: string) => process.stderr.write(`[resync-ratio] ${message}\n`);

function runIn(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${args.join(' ')} in ${root} exited with ${code}\n${stdout}\n${stderr.slice(-3000)}`))));
  });
}

async function backfillMs(root: string, env: NodeJS.ProcessEnv): Promise<{ ms: number; rows: string }> {
  const out = await runIn(root, ['bin/punchcard.mjs', 'backfill', '--from', FIRST_DAY, '--to', to, '--concurrency', concurrency], env);
  const run = /run \d+ succeeded in ([\d.]+) s/.exec(out);
  const rows = /rows: .*/.exec(out);
  if (!run) throw new Error(`backfill in ${root} did not succeed:\n${out}`);
  return { ms: Math.round(Number(run[1]) * 1000), rows: rows?.[0] ?? '' };
}

async function fetchParseMs(root: string, env: NodeJS.ProcessEnv): Promise<number> {
  const out = await runIn(root, ['bin/run-ts.mjs', 'bench/fetch-parse.ts', '--from', FIRST_DAY, '--to', to, '--concurrency', concurrency], env);
  return (JSON.parse(out.trim().split('\n').at(-1)!) as { durationMs: number }).durationMs;
}

const timeclock = await startTimeclockSimulator({ port: 0, token: TOKEN, employees, today: addDays(to, 1) });
const clockodo = await startClockodoSimulator({ port: 0, attendance: timeclock.dataset });
const db = await openBenchDatabase(log);
const user = DEFAULT_API_USERS[0]!;
const env = (url: string): NodeJS.ProcessEnv => ({
  ...process.env,
  CI: 'true',
  LOG_LEVEL: 'warn',
  DATABASE_URL: url,
  TIMECLOCK_API_URL: timeclock.url,
  TIMECLOCK_API_TOKEN: TOKEN,
  CLOCKODO_API_URL: clockodo.url,
  CLOCKODO_API_USER: user.email,
  CLOCKODO_API_KEY: user.apiKey,
  CLOCKODO_ENTRYGROUPS_PER_MINUTE: '10000',
});
const results: Array<{ root: string; round: number; backfillMs: number; fetchParseMs: number; resyncMs: number; ratio: number; rows: string }> = [];
try {
  log(`${employees} employees × ${days} days, ${rounds} round(s), roots ${roots.join(', ')}`);
  for (let round = 1; round <= rounds; round++) {
    for (const root of roots) {
      const clone = await db.clone(`resync_${round}_${roots.indexOf(root)}`);
      try {
        const backfill = await backfillMs(root, env(clone.url));
        const fetchParse = await fetchParseMs(root, env(clone.url));
        const resync = await backfillMs(root, env(clone.url));
        const figure = { root, round, backfillMs: backfill.ms, fetchParseMs: fetchParse, resyncMs: resync.ms, ratio: Math.round((resync.ms / fetchParse) * 100) / 100, rows: resync.rows };
        results.push(figure);
        log(JSON.stringify(figure));
      } finally {
        await clone.drop();
      }
    }
  }
} finally {
  await clockodo.close();
  await timeclock.close();
  await db.close();
}
process.stdout.write(`${JSON.stringify(results)}\n`);
