/**
 * The TimeClock document's four example answers, served verbatim (only the JSON-RPC id adapted),
 * loaded through the real CLI: no reject, and the numbers a person computes by hand.
 *
 * By hand (Asia/Jerusalem: IDT, UTC+3, in October 2024; IST, UTC+2, in January 2025):
 * - every session 08:12:34–17:18:34 = 9 h 6 min = 32,760 s, starting 05:12:34Z;
 * - lunches of 1265: 12:12:34–12:48:34 = 2,160 s (10-09), –12:51:34 = 2,340 s (10-10);
 *   of 1267: –13:10:34 = 3,480 s (10-09), –12:28:34 = 960 s (10-10);
 * - net = 32,760 − lunch: 30,600 / 30,420 (1265), 29,280 / 31,800 (1267);
 * - work logs 08:15:34–12:10:34 = 14,100 s and 12:55:34–17:10:34 = 15,300 s;
 * - extended session 12:35:50–15:38:12 = 10,942 s (= its `duration`), starting 10:35:50Z.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { startSeedServer, type SeedServer } from '../support/seed-answers.ts';

const TOKEN = 'seed-token-5d1e';
let server: SeedServer;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  server = await startSeedServer(TOKEN);
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: server.url, TIMECLOCK_API_TOKEN: TOKEN });
  for (const args of [
    ['backfill', '--from', '2024-10-09', '--to', '2024-10-10', '--streams', 'sessions,lunches,timesheet'],
    ['backfill', '--from', '2025-01-24', '--to', '2025-01-24', '--streams', 'extended-sessions'],
  ]) {
    const result = await runCli(args, env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  }
});
afterAll(async () => {
  await server?.close();
  await db?.drop();
});

const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;

describe("the document's example answers, through the CLI", () => {
  it('load with no reject, every window succeeded', async () => {
    const { rows } = await db.pool.query(`
      SELECT (SELECT count(*)::int FROM punchcard.rejects) AS rejects,
             (SELECT sum(rows_rejected)::int FROM punchcard.sync_windows) AS rejected,
             (SELECT bool_and(status = 'succeeded') FROM punchcard.sync_windows) AS ok,
             (SELECT sum(rows_received)::int FROM punchcard.sync_windows) AS received`);
    // 4 sessions + 4 lunches + 1 timesheet session + 1 extended session.
    expect(rows).toEqual([{ rejects: 0, rejected: 0, ok: true, received: 10 }]);
    expect(server.requests.map((r) => r.method).sort()).toEqual(['extended-sessions', 'lunches', 'sessions', 'timesheet']);
  });

  it('gives the sessions, lunches and work logs computed by hand', async () => {
    const { rows: sessions } = await db.pool.query(`
      SELECT employee_number, start_local::text, ${utc('start_utc')} AS start_utc, duration_seconds, reported_duration_seconds, methods, flags
      FROM reporting.work_sessions ORDER BY employee_number, start_local`);
    const day = (n: string, date: string, methods: string[]) => ({
      employee_number: n, start_local: `${date} 08:12:34`, start_utc: `${date}T05:12:34Z`, duration_seconds: 32_760, reported_duration_seconds: null, methods, flags: [],
    });
    expect(sessions).toEqual([
      day('1265', '2024-10-09', ['sessions', 'timesheet']),
      day('1265', '2024-10-10', ['sessions']),
      day('1267', '2024-10-09', ['sessions']),
      day('1267', '2024-10-10', ['sessions']),
      { employee_number: '31394', start_local: '2025-01-24 12:35:50', start_utc: '2025-01-24T10:35:50Z', duration_seconds: 10_942, reported_duration_seconds: 10_942, methods: ['extended-sessions'], flags: [] },
    ]);

    const { rows: lunches } = await db.pool.query(`
      SELECT employee_number, work_date::text, duration_seconds, methods, session_start_local::text, flags FROM reporting.lunches ORDER BY 1, 2`);
    expect(lunches).toEqual([
      { employee_number: '1265', work_date: '2024-10-09', duration_seconds: 2_160, methods: ['lunches', 'timesheet'], session_start_local: '2024-10-09 08:12:34', flags: [] },
      { employee_number: '1265', work_date: '2024-10-10', duration_seconds: 2_340, methods: ['lunches'], session_start_local: '2024-10-10 08:12:34', flags: [] },
      { employee_number: '1267', work_date: '2024-10-09', duration_seconds: 3_480, methods: ['lunches'], session_start_local: '2024-10-09 08:12:34', flags: [] },
      { employee_number: '1267', work_date: '2024-10-10', duration_seconds: 960, methods: ['lunches'], session_start_local: '2024-10-10 08:12:34', flags: [] },
    ]);

    const { rows: logs } = await db.pool.query(`SELECT name, external_id, duration_seconds, flags FROM reporting.work_logs ORDER BY start_utc`);
    expect(logs).toEqual([
      { name: 'task', external_id: 'DR-4258', duration_seconds: 14_100, flags: [] },
      { name: 'task 1', external_id: 'DR-4259', duration_seconds: 15_300, flags: [] },
    ]);
  });

  it('gives the payroll a person computes: worked, lunch and net seconds per day', async () => {
    const { rows } = await db.pool.query(`
      SELECT employee_number, work_date::text, worked_seconds::int AS worked, lunch_seconds::int AS lunch, net_seconds::int AS net,
             expected_seconds::int AS expected, flags
      FROM reporting.payroll_daily ORDER BY employee_number, work_date`);
    expect(rows).toEqual([
      { employee_number: '1265', work_date: '2024-10-09', worked: 32_760, lunch: 2_160, net: 30_600, expected: null, flags: [] },
      { employee_number: '1265', work_date: '2024-10-10', worked: 32_760, lunch: 2_340, net: 30_420, expected: null, flags: [] },
      { employee_number: '1267', work_date: '2024-10-09', worked: 32_760, lunch: 3_480, net: 29_280, expected: null, flags: [] },
      { employee_number: '1267', work_date: '2024-10-10', worked: 32_760, lunch: 960, net: 31_800, expected: null, flags: [] },
      { employee_number: '31394', work_date: '2025-01-24', worked: 10_942, lunch: 0, net: 10_942, expected: 0, flags: [] },
    ]);
  });

  it('keeps the extended employee record and its totals as sent', async () => {
    const { rows: employees } = await db.pool.query(`SELECT employee_number, external_id::int, groups, flags FROM punchcard.tc_employees ORDER BY 1`);
    expect(employees).toEqual([
      { employee_number: '1265', external_id: null, groups: null, flags: [] },
      { employee_number: '1267', external_id: null, groups: null, flags: [] },
      { employee_number: '31394', external_id: 21_814, groups: [], flags: [] },
    ]);
    const { rows: totals } = await db.pool.query(
      `SELECT employee_number, period_start::text, total_worked_seconds::int AS worked, total_leave_seconds::int AS leave, expected_seconds::int AS expected, flags FROM punchcard.tc_period_totals`,
    );
    // The document's own total (10,956 s) differs from its session's duration (10,942 s): stored as sent.
    expect(totals).toEqual([{ employee_number: '31394', period_start: '2025-01-24', worked: 10_956, leave: 0, expected: 0, flags: [] }]);
  });
});
