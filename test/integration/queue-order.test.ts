/**
 * The order and overlap of windows on the queue (`punchcard backfill`, which works the queue in
 * its own process): biggest first — clockodo entrygroups months, then clockodo users, then the
 * TimeClock streams — and one entrygroups month of an account in flight at a time, so that with two
 * hands one works through the months while the other takes the rest; every entrygroups GET still
 * counted by the fleet's rate limiter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_API_USERS, startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

const TOKEN = 'test-token-queue-order-5d1c';
const USER = DEFAULT_API_USERS[0]!;
// Three calendar months: three entrygroups windows, one users window, and the TimeClock windows.
const FROM = '2025-04-01';
const TO = '2025-06-30';

let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;
const databases: TestDatabase[] = [];

beforeAll(async () => {
  timeclock = await startTimeclockSimulator({ token: TOKEN, seed: 21, employees: 4, today: '2025-07-01' });
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 21 });
});

afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
  await timeclock?.close();
  await clockodo?.close();
});

async function backfill(concurrency: number): Promise<TestDatabase> {
  const db = await createTestDatabase();
  databases.push(db);
  const env = cliEnv({
    DATABASE_URL: db.url,
    TIMECLOCK_API_URL: timeclock.url,
    TIMECLOCK_API_TOKEN: TOKEN,
    CLOCKODO_API_URL: clockodo.url,
    CLOCKODO_API_USER: USER.email,
    CLOCKODO_API_KEY: USER.apiKey,
    CLOCKODO_ENTRYGROUPS_PER_MINUTE: '1000',
  });
  const result = await runCli(['backfill', '--from', FROM, '--to', TO, '--streams', 'sessions,users,entrygroups', '--concurrency', String(concurrency)], env);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/run \d+ succeeded/);
  return db;
}

interface LedgerRow {
  source: string;
  stream: string;
  window_start: string;
  started: number;
  finished: number;
}

async function ledger(db: TestDatabase): Promise<LedgerRow[]> {
  const { rows } = await db.pool.query<LedgerRow>(
    `SELECT source, stream, window_start::text,
            extract(epoch FROM started_at)::float8 AS started, extract(epoch FROM finished_at)::float8 AS finished
     FROM punchcard.sync_windows ORDER BY id`,
  );
  return rows;
}

describe('windows on the queue', () => {
  it('one hand takes entrygroups months first, then clockodo users, then the TimeClock windows', async () => {
    const db = await backfill(1);
    const rows = await ledger(db);
    const rank = (row: LedgerRow) => (row.source === 'clockodo' ? (row.stream === 'entrygroups' ? 0 : 1) : 2);
    expect(rows.filter((row) => row.stream === 'entrygroups')).toHaveLength(3);
    expect(rows.filter((row) => row.source === 'timeclock').length).toBeGreaterThan(3);
    // One hand commits in the order it takes: the ranks never go down.
    const ranks = rows.map(rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
  });

  it('two hands: one works through the entrygroups months one at a time, the other takes the rest meanwhile; the rate limiter counts every GET', async () => {
    const before = clockodo.requests.length;
    clockodo.setLatency(300); // a month outlasts the short windows the other hand takes
    let db: TestDatabase;
    try {
      db = await backfill(2);
    } finally {
      clockodo.setLatency(0);
    }
    const rows = await ledger(db);
    const months = rows.filter((row) => row.stream === 'entrygroups').sort((a, b) => a.started - b.started);
    expect(months).toHaveLength(3);
    // With two months allowed, the hand that finished first took the third month (biggest first)
    // and no other window started before it. With one, the other hand takes the shorter windows
    // while a month runs.
    const last = months.at(-1)!;
    // Never two months at once, also when both hands fetched at the same instant at the start (pg-boss
    // then admits both: the later one waits for its turn, group-turn.test.ts). A ledger row's start
    // is taken after that turn, its finish before its commit.
    for (let i = 1; i < months.length; i++) expect(months[i]!.started).toBeGreaterThanOrEqual(months[i - 1]!.finished);
    expect(rows.filter((row) => row.stream !== 'entrygroups' && row.started < last.started).length).toBeGreaterThan(0);
    const gets = clockodo.requests.slice(before).filter((r) => r.httpMethod === 'GET' && r.path === '/api/v2/entrygroups').length;
    expect(gets).toBeGreaterThanOrEqual(3);
    const counted = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM punchcard.rate_events WHERE key LIKE 'clockodo:entrygroups:%'`);
    expect(counted.rows[0]!.n).toBe(gets);
  });
});
