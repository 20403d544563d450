/**
 * reporting.sync_status and `punchcard status` (text and --json) over a seeded runs ledger:
 * a failed window repaired by later windows with other bounds, one repaired only in part, one
 * still failed, and a skipped run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

let db: TestDatabase;

const at = (hhmm: string) => `2025-10-14T${hhmm}:00Z`;

beforeAll(async () => {
  db = await createTestDatabase();
  await db.pool.query(`
    INSERT INTO punchcard.sync_runs (id, kind, plan_key, sources, streams, range_from, range_to, window_days, status, started_at, finished_at, error, host, pid) VALUES
      (1, 'sync', 'k1', '{timeclock}', '{timeclock.sessions,timeclock.lunches}', '2025-10-01', '2025-10-07', 0, 'partial', '${at('01:00')}', '${at('01:05')}', 'timeout', 'h1', 11),
      (2, 'sync', 'k2', '{timeclock}', '{timeclock.sessions,timeclock.lunches}', '2025-09-30', '2025-10-20', 0, 'partial', '${at('02:00')}', '${at('02:05')}', 'HTTP 500', 'h1', 12),
      (3, 'sync', 'k2', '{timeclock}', '{timeclock.sessions,timeclock.lunches}', '2025-09-30', '2025-10-20', 0, 'skipped', '${at('02:01')}', '${at('02:01')}', 'another sync of timeclock is running', 'h2', 13);
    INSERT INTO punchcard.sync_windows (id, run_id, source, account, stream, window_start, window_end, status, started_at, finished_at, rows_inserted, error) VALUES
      -- failed, then repaired by two later windows with other bounds
      (1, 1, 'timeclock', 'default', 'sessions', '2025-10-01', '2025-10-07', 'failed',    '${at('01:01')}', '${at('01:02')}', 0, 'timeout'),
      (2, 1, 'timeclock', 'default', 'lunches',  '2025-10-01', '2025-10-07', 'succeeded', '${at('01:01')}', '${at('01:03')}', 5, NULL),
      (3, 2, 'timeclock', 'default', 'sessions', '2025-09-30', '2025-10-06', 'succeeded', '${at('02:01')}', '${at('02:02')}', 7, NULL),
      (4, 2, 'timeclock', 'default', 'sessions', '2025-10-07', '2025-10-13', 'succeeded', '${at('02:01')}', '${at('02:03')}', 3, NULL),
      -- failed, repaired except its last day
      (5, 2, 'timeclock', 'default', 'sessions', '2025-10-14', '2025-10-20', 'failed',    '${at('02:02')}', '${at('02:03')}', 0, 'HTTP 502'),
      (6, 2, 'timeclock', 'default', 'sessions', '2025-10-14', '2025-10-19', 'succeeded', '${at('02:03')}', '${at('02:04')}', 2, NULL),
      -- still failed; an earlier success of the same bounds does not count
      (7, 2, 'timeclock', 'default', 'lunches',  '2025-10-08', '2025-10-14', 'succeeded', '${at('02:01')}', '${at('02:02')}', 1, NULL),
      (8, 2, 'timeclock', 'default', 'lunches',  '2025-10-08', '2025-10-14', 'failed',    '${at('02:04')}', '${at('02:05')}', 0, 'HTTP 500');
  `);
});
afterAll(async () => db?.drop());

const SESSIONS = {
  source: 'timeclock',
  account: 'default',
  stream: 'sessions',
  lastOutcome: 'succeeded',
  lastRunId: 2,
  lastAttemptAt: '2025-10-14T02:04:00.000Z',
  lastSuccessAt: '2025-10-14T02:04:00.000Z',
  freshestSyncedDay: '2025-10-19',
  lastError: 'HTTP 502',
  lastErrorAt: '2025-10-14T02:03:00.000Z',
  outstandingFailedWindows: 1,
};
const LUNCHES = {
  source: 'timeclock',
  account: 'default',
  stream: 'lunches',
  lastOutcome: 'failed',
  lastRunId: 2,
  lastAttemptAt: '2025-10-14T02:05:00.000Z',
  lastSuccessAt: '2025-10-14T02:02:00.000Z',
  freshestSyncedDay: '2025-10-14',
  lastError: 'HTTP 500',
  lastErrorAt: '2025-10-14T02:05:00.000Z',
  outstandingFailedWindows: 1,
};
const FAILED = [
  { runId: 2, source: 'timeclock', account: 'default', stream: 'lunches', windowStart: '2025-10-08', windowEnd: '2025-10-14', failedAt: '2025-10-14T02:05:00.000Z', error: 'HTTP 500' },
  { runId: 2, source: 'timeclock', account: 'default', stream: 'sessions', windowStart: '2025-10-14', windowEnd: '2025-10-20', failedAt: '2025-10-14T02:03:00.000Z', error: 'HTTP 502' },
];

describe('reporting.sync_status', () => {
  it('gives each stream its latest outcome, last success, freshest day, last error and outstanding failures', async () => {
    const { rows } = await db.pool.query(
      `SELECT stream, last_outcome, last_run_id::int, freshest_synced_day::text, last_error, outstanding_failed_windows
       FROM reporting.sync_status ORDER BY stream`,
    );
    expect(rows).toEqual([
      { stream: 'lunches', last_outcome: 'failed', last_run_id: 2, freshest_synced_day: '2025-10-14', last_error: 'HTTP 500', outstanding_failed_windows: 1 },
      { stream: 'sessions', last_outcome: 'succeeded', last_run_id: 2, freshest_synced_day: '2025-10-19', last_error: 'HTTP 502', outstanding_failed_windows: 1 },
    ]);
    const { rows: comments } = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_attribute a WHERE a.attrelid = 'reporting.sync_status'::regclass AND a.attnum > 0 AND col_description(a.attrelid, a.attnum) IS NULL`,
    );
    expect(comments[0].n).toBe(0);
  });
});

describe('punchcard status', () => {
  it('--json prints { generatedAt, streams, failedWindows, runs }', async () => {
    const result = await runCli(['status', '--json'], cliEnv({ DATABASE_URL: db.url }));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(Object.keys(report)).toEqual(['generatedAt', 'streams', 'failedWindows', 'runs']);
    expect(Date.now() - Date.parse(report.generatedAt)).toBeLessThan(60_000);
    expect(report.streams).toEqual([LUNCHES, SESSIONS]);
    expect(report.failedWindows).toEqual(FAILED);
    expect(report.runs.map((r: { id: number; status: string }) => [r.id, r.status])).toEqual([
      [3, 'skipped'],
      [2, 'partial'],
      [1, 'partial'],
    ]);
    expect(report.runs[1]).toEqual({
      id: 2,
      kind: 'sync',
      status: 'partial',
      sources: ['timeclock'],
      streams: ['timeclock.sessions', 'timeclock.lunches'],
      rangeFrom: '2025-09-30',
      rangeTo: '2025-10-20',
      startedAt: '2025-10-14T02:00:00.000Z',
      finishedAt: '2025-10-14T02:05:00.000Z',
      host: 'h1',
      pid: 12,
      windowsSucceeded: 4,
      windowsFailed: 2,
      rowsInserted: 13,
      rowsUpdated: 0,
      rowsDeleted: 0,
      error: 'HTTP 500',
    });
  });

  it('prints the same as text, listing configured streams that never ran', async () => {
    const result = await runCli(['status'], cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_TOKEN: 'configured-but-unused' }));
    expect(result.code).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('streams:');
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}timeclock\.lunches +default +failed +last success: 2025-10-14T02:02:00\.000Z +synced through: 2025-10-14 +failed windows: 1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}timeclock\.sessions +default +succeeded +last success: 2025-10-14T02:04:00\.000Z +synced through: 2025-10-19 +failed windows: 1$/));
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}timeclock\.timesheet +default +never synced +last success: never +synced through: - +failed windows: 0$/));
    expect(result.stdout).toContain(
      [
        'outstanding failed windows: 2',
        '  timeclock.lunches default 2025-10-08..2025-10-14 (run 2, 2025-10-14T02:05:00.000Z): HTTP 500',
        '  timeclock.sessions default 2025-10-14..2025-10-20 (run 2, 2025-10-14T02:03:00.000Z): HTTP 502',
      ].join('\n'),
    );
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}#3 +sync +skipped +2025-09-30\.\.2025-10-20 +timeclock .* 0 ok\/0 failed windows .* another sync of timeclock is running$/));
  });
});
