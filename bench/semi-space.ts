/**
 * `node bin/run-ts.mjs bench/semi-space.ts [--employees 1000] [--backfill-employees 300] [--samples 2]
 *    [--sizes 1,2,4,8] [--variants "FLAGS;FLAGS;…"] [--both-days D] [--only PREFIX,…] [--base DIR]`
 *
 * How V8's heap flags trade memory for time (bin/node-flags.mjs): the nightly sync (`punchcard
 * sync`, 14 days, every stream), a 31-day TimeClock backfill and (--both-days) a backfill of both
 * sources over D days from 2025-01-01, each run with `--max-semi-space-size=N` on the command line
 * for every N of --sizes, with the flag only set at run time by the launcher, (--base) with another
 * checkout's launcher and no flag at all, and with each flag set of --variants (`;` between sets;
 * a NAME=VALUE word in a set goes into the environment, e.g. `MALLOC_ARENA_MAX=2`; a flag given
 * replaces punchcard's own of the same name, so `MALLOC_ARENA_MAX=0 --max-semi-space-size=16 --heap-growing-percent=0`
 * is Node's default). Peak RSS (the process's own ru_maxrss), CPU time (user + system) and wall time
 * per variant, interleaved sample by sample so the machine's neighbours weigh on every variant alike.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_API_USERS, startClockodoSimulator } from '../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator } from '../src/simulators/timeclock/index.ts';
import { addDays } from '../src/pipeline/windows.ts';
import { openBenchDatabase } from './database.ts';
import { usageOf } from './usage.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    employees: { type: 'string', default: '1000' },
    'backfill-employees': { type: 'string', default: '300' },
    samples: { type: 'string', default: '2' },
    sizes: { type: 'string', default: '1,2,4,8' },
    variants: { type: 'string' },
    'both-days': { type: 'string' },
    base: { type: 'string' },
    only: { type: 'string' },
  },
});
const log = (message: string) => process.stderr.write(`[semi-space] ${message}\n`);

interface Variant {
  name: string;
  root: string;
  flags: string[];
  env?: Record<string, string>;
}
const isEnvWord = (word: string) => /^[A-Z_][A-Z0-9_]*=/.test(word);
const variantOf = (set: string): Variant => {
  const words = set.trim().split(/\s+/).filter(Boolean);
  return {
    name: set.trim(),
    root: ROOT,
    flags: words.filter((w) => !isEnvWord(w)),
    env: Object.fromEntries(words.filter(isEnvWord).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)])),
  };
};
const variants: Variant[] = [
  ...(values.base ? [{ name: 'base (no flag)', root: path.resolve(values.base), flags: [] }] : []),
  ...(values.variants
    ? values.variants.split(';').filter((set) => set.trim()).map(variantOf)
    : [
        { name: 'run-time flag only', root: ROOT, flags: [] },
        ...values.sizes!.split(',').map((n) => ({ name: `--max-semi-space-size=${n}`, root: ROOT, flags: [`--max-semi-space-size=${n}`] })),
      ]),
];

function run(variant: Variant, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; mb: number; cpuMs: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...variant.flags, '--import', path.join(ROOT, 'bench/peak-rss.mjs'), path.join(variant.root, 'bin/punchcard.mjs'), ...args], {
      cwd: variant.root,
      env: { ...env, ...variant.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const usage = usageOf(out);
      if (code !== 0 || !usage || !/succeeded/.test(out)) return reject(new Error(`${variant.name} ${args.join(' ')}: exit ${code}\n${out.slice(-3000)}`));
      resolve({ ms: performance.now() - started, mb: usage.peakRssMb, cpuMs: usage.cpuMs });
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
const bothDays = Number(values['both-days'] ?? 0);
const jobs = [
  { name: `nightly sync (${values.employees} employees, 14 days)`, args: ['sync'], tc: () => timeclock.url, clockodo: true },
  { name: `backfill (${values['backfill-employees']} employees, TimeClock, 31 days)`, args: ['backfill', '--source', 'timeclock', '--from', addDays(today, -40), '--to', addDays(today, -10)], tc: () => small.url, clockodo: false },
  ...(bothDays > 0
    ? [{ name: `backfill (${values.employees} employees, both sources, ${bothDays} days)`, args: ['backfill', '--from', '2025-01-01', '--to', addDays('2025-01-01', bothDays - 1)], tc: () => timeclock.url, clockodo: true }]
    : []),
].filter((job) => !values.only || values.only.split(',').some((prefix) => job.name.startsWith(prefix)));

const results = new Map<string, Array<{ ms: number; mb: number; cpuMs: number }>>();
try {
  for (let sample = 1; sample <= Number(values.samples); sample++) {
    for (const job of jobs) {
      for (const variant of variants) {
        const clone = await db.clone(`semi_${sample}`);
        try {
          const figure = await run(variant, job.args, envFor(clone.url, job.tc(), job.clockodo));
          const key = `${job.name} | ${variant.name}`;
          results.set(key, [...(results.get(key) ?? []), figure]);
          log(`${key}: ${figure.mb} MB, ${(figure.ms / 1000).toFixed(1)} s, CPU ${(figure.cpuMs / 1000).toFixed(1)} s`);
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
process.stdout.write('| run | variant | peak RSS MB (samples) | wall s (median) | CPU s (samples) |\n|---|---|---|---|---|\n');
for (const [key, figures] of results) {
  const [job, variant] = key.split(' | ');
  const cpu = figures.map((f) => (f.cpuMs / 1000).toFixed(1)).join(', ');
  process.stdout.write(`| ${job} | ${variant} | ${median(figures.map((f) => f.mb))} (${figures.map((f) => f.mb).join(', ')}) | ${(median(figures.map((f) => f.ms)) / 1000).toFixed(1)} | ${cpu} |\n`);
}
