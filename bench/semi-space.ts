/**
 * `node bin/run-ts.mjs bench/semi-space.ts [--employees 1000] [--backfill-employees 300] [--samples 2] [--sizes 1,2,4,8] [--base DIR]`
 *
 * How V8's young-generation size trades memory for time (bin/node-flags.mjs): the nightly sync
 * (`punchcard sync`, 14 days, every stream) and a 31-day TimeClock backfill, each run with
 * `--max-semi-space-size=N` on the command line for every N of --sizes, with the flag only set at
 * run time by the launcher, and (--base) with another checkout's launcher and no flag at all.
 * Peak RSS (the process's own ru_maxrss) and wall time per variant, interleaved sample by sample
 * so the machine's neighbours weigh on every variant alike.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_API_USERS, startClockodoSimulator } from '../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../src/simulators/timeclock/index.ts';
import { addDays } from '../src/pipeline/windows.ts';
import { openBenchDatabase } from './database.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '1000' },
    'backfill-employees': { type: 'string', default: '300' },
    samples: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '1,2,4,8' },
    base: { type: 'string' },
    only: { type: 'string' },
  },
});
const log = (message: string) => process.stderr.write(`[semi-space] ${message}\n`);

interface Variant {
  name: string;
  root: string;
  flags: string[];
}
const variants: Variant[] = [
  ...(values.base ? [{ name: 'base (no flag)', root: path.resolve(values.base), flags: [] }] : []),
  { name: 'run-time flag only', root: ROOT, flags: [] },
  ...values.sizes!.split(',').map((n) => ({ name: `--max-semi-space-size=${n}`, root: ROOT, flags: [`--max-semi-space-size=${n}`] })),
];

function run(variant: Variant, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; mb: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...variant.flags, '--import', path.join(ROOT, 'bench/peak-rss.mjs'), path.join(variant.root, 'bin/punchcard.mjs'), ...args], { cwd: variant.root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const kb = /PUNCHCARD_BENCH_PEAK_RSS_KB=(\d+)/.exec(out);
      if (code !== 0 || !kb || !/succeeded/.test(out)) return reject(new Error(`${variant.name} ${args.join(' ')}: exit ${code}\n${out.slice(-3000)}`));
      resolve({ ms: performance.now() - started, mb: Math.round(Number(kb[1]) / 1024) });
    });
  });
}

const today = new Date().toISOString().slice(0, 10);
const db = await openBenchDatabase(log);
const timeclock = await startTimeclockSimulator({ port: 0, token: 't', employees: Number(values.employees), today });
const clockodo = await startClockodoSimulator({ port: 0, attendance: timeclock.dataset });
const small = await startTimeclockSimulator({ port: 0, token: 't', employees: Number(values['backfill-employees']), today });
const user = DEFAULT_API_USERS[0]!;
const envFor = (url: string, tc: string, withClockodo: boolean): NodeJS.ProcessEnv => ({
  ...process.env,
  CI: 'true',
  LOG_LEVEL: 'warn',
  DATABASE_URL: url,
  TIMECLOCK_API_URL: tc,
  TIMECLOCK_API_TOKEN: 't',
  PUNCHCARD_LOOKBACK_DAYS: '14',
  CLOCKODO_ENTRYGROUPS_PER_MINUTE: '10000',
  ...(withClockodo ? { CLOCKODO_API_URL: clockodo.url, CLOCKODO_API_USER: user.email, CLOCKODO_API_KEY: user.apiKey } : {}),
});
const jobs = [
  { name: `nightly sync (${values.employees} employees, 14 days)`, args: ['sync'], tc: () => timeclock.url, clockodo: true },
  { name: `backfill (${values['backfill-employees']} employees, TimeClock, 31 days)`, args: ['backfill', '--source', 'timeclock', '--from', addDays(today, -40), '--to', addDays(today, -10)], tc: () => small.url, clockodo: false },
].filter((job) => !values.only || job.name.startsWith(values.only));

const results = new Map<string, Array<{ ms: number; mb: number }>>();
try {
  for (let sample = 1; sample <= Number(values.samples); sample++) {
    for (const job of jobs) {
      for (const variant of variants) {
        const clone = await db.clone(`semi_${sample}`);
        try {
          const figure = await run(variant, job.args, envFor(clone.url, job.tc(), job.clockodo));
          const key = `${job.name} | ${variant.name}`;
          results.set(key, [...(results.get(key) ?? []), figure]);
          log(`${key}: ${figure.mb} MB, ${(figure.ms / 1000).toFixed(1)} s`);
        } finally {
          await clone.drop();
        }
      }
    }
  }
} finally {
  await Promise.all([timeclock.close(), clockodo.close(), small.close()]);
  await db.close();
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
process.stdout.write('| run | variant | peak RSS MB (samples) | wall s (median) |\n|---|---|---|---|\n');
for (const [key, figures] of results) {
  const [job, variant] = key.split(' | ');
  process.stdout.write(`| ${job} | ${variant} | ${median(figures.map((f) => f.mb))} (${figures.map((f) => f.mb).join(', ')}) | ${(median(figures.map((f) => f.ms)) / 1000).toFixed(1)} |\n`);
}
