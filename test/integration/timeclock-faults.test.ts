/**
 * What a user sees when the API misbehaves, through the real CLI: a refused token, a server that
 * fails twice then recovers, and a malformed answer. The warehouse never holds half a window.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'right-token-7d1e';
let sim: TimeclockSimulator;
let db: TestDatabase;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 7, employees: 6, today: '2025-06-30' });
});
afterAll(async () => sim?.close());
afterEach(async () => {
  sim.faults.clear();
  await db?.drop();
});

const env = (overrides: Record<string, string> = {}) =>
  cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN, ...overrides });
const backfill = (e: NodeJS.ProcessEnv) =>
  runCli(['backfill', '--from', '2025-06-02', '--to', '2025-06-15', '--streams', 'sessions', '--window-days', '7', '--concurrency', '1'], e);

async function sessionsByWindow() {
  const { rows } = await db.pool.query(
    `SELECT count(*) FILTER (WHERE work_date <= '2025-06-08')::int AS first, count(*) FILTER (WHERE work_date > '2025-06-08')::int AS second
     FROM punchcard.tc_sessions`,
  );
  return rows[0] as { first: number; second: number };
}

describe('faults seen through the CLI', () => {
  it('a refused token fails fast with one clear line, without retries and without rows', async () => {
    db = await createTestDatabase();
    const before = sim.requests.length;
    const result = await backfill(env({ TIMECLOCK_API_TOKEN: 'tampered-token-0000' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/failed: sessions 2025-06-02\.\.2025-06-08: timeclock .*credentials refused \(HTTP 401\)/);
    expect(result.stdout + result.stderr).not.toContain('tampered-token-0000');
    expect(sim.requests.length - before).toBe(2); // one request per window: 401 is not retried
    expect(await sessionsByWindow()).toEqual({ first: 0, second: 0 });
    const { rows } = await db.pool.query(`SELECT status FROM punchcard.sync_runs`);
    expect(rows).toEqual([{ status: 'failed' }]);
  });

  it('retries a server that answers 500 twice, then loads everything', async () => {
    db = await createTestDatabase();
    sim.faults.add({ kind: 'http-500', count: 2 });
    const result = await backfill(env());
    expect(result.code).toBe(0);
    expect(sim.faults.injected.get('http-500')).toBeGreaterThanOrEqual(2);
    const truth = sim.dataset.sessionsInWindow('2025-06-02', '2025-06-15').filter((s) => s.absence === null);
    const loaded = await sessionsByWindow();
    expect(loaded.first + loaded.second).toBe(truth.length);
  });

  it('fails only the window whose answer stays malformed, keeps the others, and completes on the next run', async () => {
    db = await createTestDatabase();
    // Both attempts (HTTP_RETRIES=1) of the first window get half a body, and the queue gives it no second try.
    sim.faults.add({ kind: 'truncated', count: 2 });
    const first = await backfill(env({ HTTP_RETRIES: '1', PUNCHCARD_JOB_ATTEMPTS: '1' }));
    expect(first.code).toBe(1);
    expect(first.stdout).toMatch(/failed: sessions 2025-06-02\.\.2025-06-08: timeclock .*not valid JSON/);
    const partial = await sessionsByWindow();
    expect(partial.first).toBe(0);
    expect(partial.second).toBeGreaterThan(0);
    const { rows: ledger } = await db.pool.query(`SELECT window_start::text, status FROM punchcard.sync_windows ORDER BY window_start`);
    expect(ledger).toEqual([
      { window_start: '2025-06-02', status: 'failed' },
      { window_start: '2025-06-09', status: 'succeeded' },
    ]);

    const second = await backfill(env());
    expect(second.code).toBe(0);
    const complete = await sessionsByWindow();
    expect(complete.first).toBeGreaterThan(0);
    expect(complete.second).toBe(partial.second);
  });
});

describe('bad input', () => {
  it.each([
    [['backfill', '--from', '2025-02-30', '--to', '2025-03-01'], /--from must be a calendar date YYYY-MM-DD, got "2025-02-30"/],
    [['backfill', '--from', '2025-03-02', '--to', '2025-03-01'], /--from 2025-03-02 is after --to 2025-03-01/],
    [['backfill', '--from', '2025-03-01', '--to', '2025-03-02', '--streams', 'nope'], /unknown stream "nope"/],
    [['backfill', '--from', '2025-03-01', '--to', '2025-03-02', '--concurrency', 'many'], /--concurrency must be a whole number/],
    [['backfill', '--from', '2025-03-01'], /required option '--to <date>' not specified/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('punchcard %j → exit 2 with one line', async (args, message) => {
    const result = await runCli(args, cliEnv({ TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN, DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it.each([
    [{ TIMECLOCK_API_URL: 'http://timeclock.example.com/api' }, 'TIMECLOCK_API_URL must use https'],
    [{ TIMECLOCK_TIMEZONE: 'Mars/Base' }, 'TIMECLOCK_TIMEZONE must be an IANA time zone'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL must be a postgres:// URL'],
    [{ CLOCKODO_API_USER: 'someone@example.com' }, 'CLOCKODO_API_KEY is required'],
  ])('configuration %j → exit 2 naming the variable', async (overrides, message) => {
    const result = await runCli(['backfill', '--from', '2025-03-01', '--to', '2025-03-02'], cliEnv({ TIMECLOCK_API_TOKEN: TOKEN, ...overrides }));
    expect(result.code).toBe(2);
    expect(result.stderr.startsWith(`punchcard: ${message}`)).toBe(true);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });
});
