/**
 * `punchcard worker` as a process: a one-second schedule against the simulator enqueues nightly
 * syncs that the worker itself then takes from the queue, records them in the ledger, shows them
 * and the queue on /metrics, and SIGTERM ends it cleanly.
 */
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, spawnCli } from '../support/cli.ts';

const TOKEN = 'test-token-worker-5b2a';

let sim: TimeclockSimulator;
let db: TestDatabase;

beforeAll(async () => {
  // The worker reads the real clock, so the simulator's "today" is the real one.
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 42, employees: 4, latencyMs: 300 });
  db = await createTestDatabase();
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

describe('punchcard worker', () => {
  it('runs the schedule through the queue, serves /metrics and /healthz, and stops on SIGTERM with exit 0', async () => {
    const env = cliEnv({
      DATABASE_URL: db.url,
      TIMECLOCK_API_URL: sim.url,
      TIMECLOCK_API_TOKEN: TOKEN,
      PUNCHCARD_CRON: '* * * * * *',
      PUNCHCARD_METRICS_PORT: '0',
      PUNCHCARD_LOOKBACK_DAYS: '2',
      LOG_LEVEL: 'info',
    });
    const child = spawnCli(['worker'], env, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.stdout!.resume();
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    const logs = () => stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);

    try {
      const port = await until('the worker to listen', async () => logs().find((l) => l.msg === 'worker listening')?.port as number | undefined);
      const metrics = await until('a sync on /metrics', async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        return /^punchcard_runs_total\{status="succeeded"\} [1-9]/m.test(text) ? text : undefined;
      });
      expect(metrics).toMatch(/^punchcard_last_success_timestamp_seconds\{source="timeclock",stream="sessions"\} \d{10}(\.\d+)?$/m);
      expect(metrics).toMatch(/^punchcard_rows_loaded_total\{source="timeclock",stream="sessions",kind="inserted"\} [1-9]\d*$/m);
      expect(metrics).toMatch(/^punchcard_window_errors_total\{source="timeclock",stream="sessions"\} 0$/m);
      expect(metrics).toMatch(/^# TYPE punchcard_runs_total counter$/m);
      expect(metrics).toMatch(/^punchcard_failed_windows_outstanding\{source="timeclock",stream="sessions"\} 0$/m);
      // prom-client's default process metrics, beside the ledger's.
      expect(metrics).toMatch(/^process_resident_memory_bytes [1-9]\d*$/m);
      expect(metrics).toMatch(/^nodejs_heap_size_used_bytes [1-9]\d*$/m);
      expect(metrics).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
      expect(metrics).toMatch(/^# TYPE nodejs_gc_duration_seconds histogram$/m);
      expect(metrics).toMatch(/^punchcard_queue_jobs\{state="waiting"\} \d+$/m);
      expect(metrics).toMatch(/^punchcard_queue_jobs\{state="failed"\} 0$/m);
      expect(metrics).toMatch(/^punchcard_queue_oldest_waiting_seconds \d+(\.\d+)?$/m);

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      // Every window the worker loaded is logged with its counts.
      expect(logs().some((l) => l.msg === 'window done' && l.stream === 'sessions' && typeof l.inserted === 'number')).toBe(true);
    } finally {
      const stopping = Date.now();
      child.kill('SIGTERM');
      const { code } = await exited;
      const stoppedIn = Date.now() - stopping;
      expect({ code, stoppedIn: stoppedIn < 8_000 }).toEqual({ code: 0, stoppedIn: true });
    }
    expect(logs().map((l) => l.msg)).toContain('worker stopped');

    const { rows: runs } = await db.pool.query<{ kind: string; status: string; started_at: Date; finished_at: Date | null }>(
      `SELECT kind, status, started_at, finished_at FROM punchcard.sync_runs ORDER BY id`,
    );
    expect(runs.length).toBeGreaterThan(0);
    expect(runs.every((r) => r.kind === 'sync')).toBe(true);
    expect(runs.filter((r) => r.status === 'succeeded' && r.finished_at !== null).length).toBeGreaterThan(0);
    // Runs still queued when the only worker stopped wait for the next worker; none failed or was skipped.
    expect(runs.filter((r) => !['succeeded', 'running'].includes(r.status))).toEqual([]);
    // A window cut short by SIGTERM is not a failure of the source.
    const { rows: failed } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.sync_windows WHERE status = 'failed'`);
    expect(failed[0].n).toBe(0);
  });

  it('security #16: /metrics and /healthz listen on 127.0.0.1 unless PUNCHCARD_METRICS_HOST widens them', async () => {
    // An address of this machine other than loopback: what a neighbour on the network would reach.
    const outside = Object.values(networkInterfaces())
      .flat()
      .find((a) => a !== undefined && a.family === 'IPv4' && !a.internal)?.address;
    const answers = async (host: string, port: number) =>
      fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.status,
        () => 'refused',
      );

    const probe = async (extra: Record<string, string>) => {
      // A schedule that does not fire during the test: only the listening socket matters here.
      const env = cliEnv({
        DATABASE_URL: db.url,
        TIMECLOCK_API_URL: sim.url,
        TIMECLOCK_API_TOKEN: TOKEN,
        PUNCHCARD_CRON: '0 0 1 1 *',
        PUNCHCARD_METRICS_PORT: '0',
        LOG_LEVEL: 'info',
        ...extra,
      });
      const child = spawnCli(['worker'], env, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr!.on('data', (chunk) => (stderr += chunk));
      child.stdout!.resume();
      let gone = false;
      const exited = new Promise((resolve) => child.on('exit', resolve)).then(() => (gone = true));
      try {
        const listening = await until('the worker to listen', async () =>
          gone
            ? { msg: 'exited', host: '', port: 0 }
            : stderr.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { msg: string; host: string; port: number }).find((l) => l.msg === 'worker listening'),
        );
        if (listening.msg === 'exited') throw new Error(`the worker exited: ${stderr}`);
        return {
          host: listening.host,
          loopback: await answers('127.0.0.1', listening.port),
          outside: outside === undefined ? 'no other interface' : await answers(outside, listening.port),
        };
      } finally {
        child.kill('SIGTERM');
        await exited;
      }
    };

    expect(await probe({})).toEqual({ host: '127.0.0.1', loopback: 200, outside: outside === undefined ? 'no other interface' : 'refused' });
    expect(await probe({ PUNCHCARD_METRICS_HOST: '0.0.0.0' })).toEqual({
      host: '0.0.0.0',
      loopback: 200,
      outside: outside === undefined ? 'no other interface' : 200,
    });
  });
});
