/**
 * All four TimeClock methods into one consistent model: a multi-week backfill from the simulator,
 * checked in SQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'model-token-55aa';
const FROM = '2025-03-17';
const TO = '2025-04-06';
let sim: TimeclockSimulator;
let db: TestDatabase;

beforeAll(async () => {
  sim = await startTimeclockSimulator({ token: TOKEN, seed: 11, employees: 15, today: '2025-04-06' });
  db = await createTestDatabase();
  const result = await runCli(
    ['backfill', '--from', FROM, '--to', TO, '--window-days', '7', '--concurrency', '3'],
    cliEnv({ DATABASE_URL: db.url, TIMECLOCK_API_URL: sim.url, TIMECLOCK_API_TOKEN: TOKEN }),
  );
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
}, 120_000);
afterAll(async () => {
  await sim?.close();
  await db?.drop();
});

const one = async (sql: string) => (await db.pool.query(sql)).rows[0];

describe('one model from four methods', () => {
  it('has each real session once, reported by all three session methods', async () => {
    const truth = sim.dataset.sessionsInWindow(FROM, TO).filter((s) => s.absence === null);
    expect(await one(`SELECT count(*)::int AS n, count(DISTINCT (account, employee_number, start_local))::int AS keys FROM punchcard.sessions`)).toEqual({ n: truth.length, keys: truth.length });
    expect(await one(`SELECT count(*)::int AS n FROM punchcard.sessions WHERE methods <> ARRAY['sessions', 'timesheet', 'extended-sessions']`)).toEqual({ n: 0 });
    expect(await one(`SELECT count(*)::int AS n FROM punchcard.sessions WHERE 'methods_disagree_on_end' = ANY(flags)`)).toEqual({ n: 0 });
  });

  it('links each nested lunch to its session and matches the same lunch from `lunches`', async () => {
    expect(
      await one(`
        SELECT count(*)::int AS nested,
               count(l.start_local)::int AS also_from_lunches,
               count(*) FILTER (WHERE l.end_utc IS DISTINCT FROM t.end_utc OR l.start_utc IS DISTINCT FROM t.start_utc)::int AS differing,
               count(s.start_local)::int AS linked
        FROM punchcard.tc_lunches t
        LEFT JOIN punchcard.tc_lunches l ON l.method = 'lunches' AND l.deleted_at IS NULL
             AND (l.account, l.employee_number, l.start_local) = (t.account, t.employee_number, t.start_local)
        LEFT JOIN punchcard.sessions s ON (s.account, s.employee_number, s.start_local) = (t.account, t.employee_number, t.session_start_local)
        WHERE t.method = 'timesheet' AND t.deleted_at IS NULL`),
    ).toEqual(expect.objectContaining({ differing: 0 }));
    const counts = await one(`SELECT count(*)::int AS n, count(*) FILTER (WHERE session_start_local IS NOT NULL)::int AS linked, count(*) FILTER (WHERE methods = ARRAY['lunches','timesheet'])::int AS both FROM reporting.lunches`);
    const truthLunches = sim.dataset.sessionsInWindow(FROM, TO).reduce((n, s) => n + s.lunches.length, 0);
    expect(counts).toEqual({ n: truthLunches, linked: truthLunches, both: truthLunches });
  });

  it('stores work-log stamps in UTC', async () => {
    const { rows } = await db.pool.query(`
      SELECT count(*)::int AS n,
             count(*) FILTER (WHERE start_utc = start_local AT TIME ZONE timezone AND end_utc = end_local AT TIME ZONE timezone)::int AS exact
      FROM reporting.work_logs WHERE cardinality(flags) = 0`);
    expect(rows[0].n).toBeGreaterThan(100);
    expect(rows[0].exact).toBe(rows[0].n);
    const truthLogs = sim.dataset.sessionsInWindow(FROM, TO).reduce((n, s) => n + s.workLogs.length, 0);
    expect(await one(`SELECT count(*)::int AS n FROM reporting.work_logs`)).toEqual({ n: truthLogs });
  });

  it('has per-day expected seconds, absences, and totals equal to the loaded sessions', async () => {
    const truth = sim.dataset.sessionsInWindow(FROM, TO);
    expect(await one(`SELECT count(*)::int AS n FROM reporting.absences`)).toEqual({ n: truth.filter((s) => s.absence !== null).length });
    expect(await one(`SELECT count(*)::int AS n FROM punchcard.tc_period_totals WHERE period_start <> period_end OR expected_seconds IS NULL`)).toEqual({ n: 0 });
    const sample = truth.find((s) => s.absence === null && s.endDate !== null)!;
    expect(await one(`SELECT expected_seconds::int AS e FROM punchcard.tc_period_totals WHERE employee_number = '${sample.employeeNumber}' AND period_start = '${sample.localDate}'`)).toEqual({
      e: sim.dataset.expectedSecondsOn(sample.employeeNumber, sample.localDate),
    });
    // totalWorkedSeconds / totalLeaveSeconds of each employee-day equal what was loaded for that day.
    expect(
      await one(`
        WITH worked AS (
          SELECT employee_number, work_date, sum(coalesce(duration_seconds, 0)) AS s FROM punchcard.sessions GROUP BY 1, 2
        ), leave AS (
          SELECT employee_number, work_date, sum(duration_seconds) AS s FROM punchcard.tc_absences WHERE deleted_at IS NULL GROUP BY 1, 2
        )
        SELECT count(*)::int AS days,
               count(*) FILTER (WHERE t.total_worked_seconds <> coalesce(w.s, 0) OR t.total_leave_seconds <> coalesce(l.s, 0))::int AS mismatched
        FROM punchcard.tc_period_totals t
        LEFT JOIN worked w ON (w.employee_number, w.work_date) = (t.employee_number, t.period_start)
        LEFT JOIN leave l ON (l.employee_number, l.work_date) = (t.employee_number, t.period_start)`),
    ).toEqual({ days: expect.any(Number), mismatched: 0 });
    expect(await one(`SELECT count(*)::int AS n FROM punchcard.tc_period_totals`)).toEqual({ n: expect.toSatisfy((n: number) => n > 100) });
  });

  it('keeps personal data out of reporting.employees', async () => {
    const { rows } = await db.pool.query(`SELECT column_name FROM information_schema.columns WHERE table_schema = 'reporting' AND table_name = 'employees' ORDER BY ordinal_position`);
    expect(rows.map((r) => r.column_name)).toEqual(['account', 'employee_number', 'display_name', 'email', 'first_seen_at']);
    expect(await one(`SELECT count(*)::int AS n, count(email)::int AS emails FROM reporting.employees`)).toEqual({ n: 15, emails: 0 });
    expect(await one(`SELECT count(passport)::int AS passports FROM punchcard.tc_employees`)).toEqual({ passports: 15 });
  });
});
