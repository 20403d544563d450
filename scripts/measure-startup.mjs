#!/usr/bin/env node
// Start time and baseline RSS of `punchcard --help` and of an idle worker, median of N runs each
// (README "Start time and memory"). Usage: node scripts/measure-startup.mjs [--runs 5] [--bin bin/punchcard.mjs]
// The worker needs DATABASE_URL (or TEST_DATABASE_URL); it listens on a free port and is stopped
// with SIGTERM once /healthz answers and its RSS has been read.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, bin: { type: 'string', default: 'bin/punchcard.mjs' } } });
const runs = Number(values.runs);
const databaseUrl = process.env.DATABASE_URL ?? process.env.TEST_DATABASE_URL;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rssOf = (pid) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;

function help() {
  // /usr/bin/time -v reports the child's peak RSS (ru_maxrss) after it exits.
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('/usr/bin/time', ['-v', process.execPath, values.bin, '--help'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - t0;
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(err)?.[1]);
      if (code !== 0 || !kb) return reject(new Error(`--help failed (${code}): ${err.slice(0, 500)}`));
      resolve({ ms, mb: kb / 1024 });
    });
  });
}

function worker() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    // The worker wants a configured source; the schedule never fires, so nothing is ever asked of it.
    const env = {
      TIMECLOCK_API_URL: 'http://127.0.0.1:9',
      TIMECLOCK_API_TOKEN: 'unused',
      ...process.env,
      DATABASE_URL: databaseUrl,
      PUNCHCARD_METRICS_PORT: '0',
      LOG_LEVEL: 'info',
      PUNCHCARD_CRON: '0 0 1 1 *',
    };
    const child = spawn(process.execPath, [values.bin, 'worker'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    child.on('error', reject);
    const onOutput = async (c) => {
      out += c;
      const port = /"port":(\d+)[^\n]*worker listening/.exec(out)?.[1];
      if (!port || done) return;
      done = true;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`);
        const ms = performance.now() - t0;
        // "Idle after start": let start-up garbage settle for a second, as a scrape would see it.
        await new Promise((r) => setTimeout(r, 1000));
        const mb = rssOf(child.pid);
        resolve({ ms, mb, healthz: res.status });
      } catch (error) {
        reject(error);
      } finally {
        child.kill('SIGTERM');
      }
    };
    // pino writes to stderr or stdout depending on the logger setup: watch both.
    child.stdout.on('data', onOutput);
    child.stderr.on('data', onOutput);
    child.on('close', (code) => {
      if (!done) reject(new Error(`worker exited ${code}: ${out.slice(0, 800)}`));
    });
  });
}

const report = (name, samples) =>
  console.log(`${name}: start ${median(samples.map((s) => s.ms)).toFixed(0)} ms, RSS ${median(samples.map((s) => s.mb)).toFixed(0)} MB (median of ${samples.length}; ${process.version}, ${values.bin})`);

const helps = [];
for (let i = 0; i < runs; i++) helps.push(await help());
report('punchcard --help', helps);
if (databaseUrl) {
  const workers = [];
  for (let i = 0; i < runs; i++) workers.push(await worker());
  report('punchcard worker (idle, /healthz answered)', workers);
} else console.log('worker: skipped (set DATABASE_URL or TEST_DATABASE_URL)');
