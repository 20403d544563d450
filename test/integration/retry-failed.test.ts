/**
 * A window that ran out of attempts is a failed window in the ledger and on the queue's books;
 * `status` shows it and the queue; `punchcard retry-failed` enqueues it again and the run it
 * failed in ends succeeded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TOKEN = 'test-token-retry-failed-41c9';
let sim: TimeclockSimulator;
let db: TestDatabase;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 7, employees: 4, today: '2025-07-01' });
  db = await createTestDatabase();
});
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

describe('punchcard retry-failed', () => {
  it('a window out of attempts is failed in the ledger, shown by status, and loaded by retry-failed', async () => {
    const env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN, HTTP_RETRIES: '0', PUNCHCARD_JOB_ATTEMPTS: '2', PUNCHCARD_JOB_RETRY_DELAY_SECONDS: '1' });
    // Both attempts of the lunches window meet a 500; the sessions window loads.
    sim.faults.add({ kind: 'http-500', count: 2, match: { rpcMethod: 'lunches' } });
    const first = await runCli(['backfill', '--from', '2025-06-02', '--to', '2025-06-08', '--streams', 'sessions,lunches'], env);
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/windows: 1 loaded, 1 failed/);
    const { rows: ledger } = await db.pool.query(`SELECT status, count(*)::int AS n FROM punchcard.sync_windows GROUP BY status ORDER BY status`);
    expect(ledger).toEqual([{ status: 'failed', n: 1 }, { status: 'succeeded', n: 1 }]);

    const status = await runCli(['status', '--json'], env);
    const report = JSON.parse(status.stdout);
    expect(report.failedWindows).toHaveLength(1);
    expect(report.queue).toMatchObject({ waiting: 0, active: 0, failed: 1, oldestWaitingSeconds: null });
    const text = await runCli(['status'], env);
    expect(text.stdout).toMatch(/^queue: 0 windows waiting \(0 to retry\), 0 in flight, 1 failed jobs kept; none waiting$/m);
    expect(text.stdout).toContain('punchcard retry-failed');

    const retried = await runCli(['retry-failed'], env);
    expect(retried.stderr).toBe('');
    expect(retried.code).toBe(0);
    expect(retried.stdout).toMatch(/run \d+ succeeded/);
    const { rows: runs } = await db.pool.query(`SELECT status FROM punchcard.sync_runs`);
    expect(runs).toEqual([{ status: 'succeeded' }]);
    const after = JSON.parse((await runCli(['status', '--json'], env)).stdout);
    expect(after.failedWindows).toEqual([]);
    expect((await runCli(['retry-failed'], env)).stdout).toBe('no outstanding failed windows\n');
  }, 120_000);
});
