/**
 * A backfill killed with SIGKILL (no cleanup of any kind) and restarted with --resume ends with
 * the same warehouse, row for row, as one uninterrupted run, and fetches no committed window again.
 */
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { CLI, cliEnv, runCli } from '../support/cli.ts';
import { warehouseChecksum } from '../support/checksum.ts';

const TOKEN = 'test-token-resume-91c3';
// Two streams × seven 4-day windows, fetched one at a time.
const ARGS = ['backfill', '--from', '2025-10-01', '--to', '2025-10-28', '--streams', 'sessions,timesheet', '--window-days', '4', '--concurrency', '1'];
const WINDOWS = 14;

let sim: TimeclockSimulator;
let killed: TestDatabase;
let fresh: TestDatabase;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 42, employees: 8, today: '2025-11-04' });
  [killed, fresh] = await Promise.all([createTestDatabase(), createTestDatabase()]);
});
afterAll(async () => {
  await sim?.close();
  await killed?.drop();
  await fresh?.drop();
});

const envFor = (db: TestDatabase) => cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN });

async function committedWindows(db: TestDatabase) {
  const { rows } = await db.pool.query<{ stream: string; start: string; end: string }>(
    `SELECT stream, window_start::text AS start, window_end::text AS end FROM punchcard.sync_windows WHERE status = 'succeeded' ORDER BY id`,
  );
  return rows;
}

describe('backfill --resume after SIGKILL', () => {
  it('ends row-for-row identical to an uninterrupted run and fetches no committed window again', async () => {
    sim.setLatency(300); // slow enough to kill in the middle
    const child = spawn(process.execPath, [CLI, ...ARGS], { env: envFor(killed), stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
    const deadline = Date.now() + 30_000;
    while ((await committedWindows(killed).catch(() => [])).length === 0) {
      if (Date.now() > deadline) throw new Error('no window committed within 30 s');
      await sleep(50);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');

    const committed = await committedWindows(killed);
    expect(committed.length).toBeGreaterThan(0);
    expect(committed.length).toBeLessThan(WINDOWS);
    const { rows: left } = await killed.pool.query(`SELECT status FROM punchcard.sync_runs`);
    expect(left).toEqual([{ status: 'running' }]);

    sim.setLatency(0);
    sim.requests.length = 0;
    const resumed = await runCli([...ARGS, '--resume'], envFor(killed));
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(new RegExp(`${committed.length} already committed \\(of ${WINDOWS}\\)`));

    // Not one request fell inside a window the killed run had committed.
    const refetched = sim.requests.filter((r) => {
      const { startDate, endDate } = r.params as { startDate: string; endDate: string };
      return committed.some((w) => w.stream === r.rpcMethod && startDate >= w.start && endDate <= w.end);
    });
    expect(refetched).toEqual([]);
    const { rows: runs } = await killed.pool.query(`SELECT status FROM punchcard.sync_runs`);
    expect(runs).toEqual([{ status: 'succeeded' }]);

    const uninterrupted = await runCli(ARGS, envFor(fresh));
    expect(uninterrupted.code).toBe(0);
    const [a, b] = await Promise.all([warehouseChecksum(killed.pool), warehouseChecksum(fresh.pool)]);
    expect(a['punchcard.tc_sessions']).toMatch(/^[1-9]\d*:[0-9a-f]{32}$/);
    expect(a).toEqual(b);
  });
});
