/**
 * A careless or interrupted operator: a backfill range is capped before planning, the first
 * SIGTERM ends a command that has no run in progress, a data folder that cannot be created is one
 * line, and a run a killed process left `running` is closed by the next run.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli, spawnCli } from '../support/cli.ts';

const TOKEN = 'runs-token-9e21';
let sim: TimeclockSimulator;
let db: TestDatabase;
let silent: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 3, employees: 2, today: '2025-06-30' });
  db = await createTestDatabase();
  // Accepts connections and never says a word: a database that hangs.
  silent = createServer((socket) => sockets.push(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => silent?.close(resolve));
  await sim?.close();
  await db?.drop();
});

const env = (overrides: Record<string, string> = {}) => cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN, ...overrides });

describe('security #13: bounded ranges, prompt signals, closed runs', () => {
  it('security #13: a backfill beyond PUNCHCARD_MAX_BACKFILL_YEARS is refused before planning, exit 2', async () => {
    const started = Date.now();
    const huge = await runCli(['backfill', '--from', '0001-01-01', '--to', '9999-12-31'], env());
    expect(huge.code).toBe(2);
    expect(huge.stderr).toBe(
      'punchcard: --from 0001-01-01 --to 9999-12-31 covers 3652059 days; a backfill covers at most 3660 days (PUNCHCARD_MAX_BACKFILL_YEARS=10): split the range or raise the setting\n',
    );
    expect(Date.now() - started).toBeLessThan(15_000);
    const year = await runCli(['backfill', '--from', '2024-01-01', '--to', '2025-01-02'], env({ PUNCHCARD_MAX_BACKFILL_YEARS: '1' }));
    expect(year.code).toBe(2);
    expect(year.stderr).toMatch(/covers 368 days; a backfill covers at most 366 days \(PUNCHCARD_MAX_BACKFILL_YEARS=1\)/);
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.sync_runs`);
    expect(rows[0].n).toBe(0);
  });

  it('security #13: the first SIGTERM ends a command still waiting for its database', async () => {
    const port = (silent.address() as { port: number }).port;
    const child = spawnCli(['sync'], env({ DATABASE_URL: `postgres://u@127.0.0.1:${port}/x` }), { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise((resolve) => setTimeout(resolve, 2_500)); // connecting (the pool waits up to 15 s)
    const signalled = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect({ code, within2s: Date.now() - signalled < 2_000 }).toEqual({ code: 143, within2s: true });
    expect(stderr).toMatch(/stopping: nothing in progress/);
  });

  it.skipIf(!existsSync('/proc/self'))('security #13: a PUNCHCARD_DATA_DIR that cannot be created is one line, exit 2, at once', async () => {
    const started = Date.now();
    const result = await runCli(['status'], cliEnv({ PUNCHCARD_DATA_DIR: `/proc/punchcard-${process.pid}` }), { timeoutMs: 20_000 });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^punchcard: PUNCHCARD_DATA_DIR "\/proc\/punchcard-\d+": cannot create \/proc\/punchcard-\d+ \(ENOENT\)\n$/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('security #13: runs left running by a killed process are closed as failed, with the reason, by the next run', async () => {
    const dead = spawnSync('true').pid!;
    const { rows: inserted } = await db.pool.query(
      `INSERT INTO punchcard.sync_runs (kind, plan_key, sources, streams, range_from, range_to, window_days, host, pid)
       VALUES ('backfill', 'k1', '{timeclock}', '{timeclock.sessions}', '2025-06-02', '2025-06-08', 7, $1, $2),
              ('sync', 'k2', '{timeclock}', '{timeclock.sessions}', '2025-06-02', '2025-06-08', 0, 'another-host', 4242),
              ('backfill', 'k3', '{clockodo}', '{clockodo.users}', '2025-06-02', '2025-06-08', 0, 'another-host', 4243)
       RETURNING id`,
      [hostname(), dead],
    );
    const ids = inserted.map((r) => Number(r.id));
    const result = await runCli(['sync', '--streams', 'sessions', '--lookback-days', '2'], env());
    expect(result.code).toBe(0);
    const { rows } = await db.pool.query(`SELECT id::int, status, error FROM punchcard.sync_runs WHERE id = ANY($1) ORDER BY id`, [ids]);
    expect(rows).toEqual([
      { id: ids[0], status: 'failed', error: `abandoned: process ${dead} on ${hostname()} ended without finishing this run (killed?)` },
      { id: ids[1], status: 'failed', error: 'abandoned: process 4242 on another-host ended without finishing this run (killed?)' },
      // Another host's backfill may still be alive: nothing proves otherwise.
      { id: ids[2], status: 'running', error: null },
    ]);
  });
});
