/** reporting.payroll_daily / weekly / monthly on seeded data, checked to the second. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { transformExtendedSessions } from '../../src/transform/timeclock/extended-sessions.ts';
import { transformLunches } from '../../src/transform/timeclock/lunches.ts';
import { transformSessions } from '../../src/transform/timeclock/sessions.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';

const window = { start: '2025-10-20', end: '2025-11-02' };
const src = { startSourceType: 'web', endSourceType: 'web' };
const berlin = (startDate: string, endDate: string | null, extra: object = {}) => ({ startDate, endDate, timezone: 'Europe/Berlin', locationType: 'office', ...src, ...extra });

const timesheet = [
  {
    employeeNumber: 2001,
    email: 'anna@example.com',
    sessions: [
      berlin('2025-10-24 08:00:00', '2025-10-24 17:00:00', { lunches: [{ startDate: '2025-10-24 12:00:00', endDate: '2025-10-24 12:45:00', ...src }], workLogs: [] }),
      // Night shift into the fall-back night, ending inside the repeated hour; lunch after midnight.
      berlin('2025-10-25 22:00:00', '2025-10-26 02:30:00', { lunches: [{ startDate: '2025-10-26 00:30:00', endDate: '2025-10-26 01:00:00', ...src }], workLogs: [] }),
      berlin('2025-10-28 08:00:00', null, { lunches: [], workLogs: [] }),
    ],
  },
  {
    employeeNumber: 2002,
    email: 'ben@example.com',
    sessions: [
      { startDate: '2025-10-24 09:00:00', endDate: '2025-10-24 17:30:00', timezone: 'America/New_York', ...src, workLogs: [],
        lunches: [{ startDate: '2025-10-24 18:10:00', endDate: '2025-10-24 18:20:00', ...src }] }, // wholly outside its session: loaded, flagged, nothing deducted
      { startDate: '2025-10-24 18:00:00', endDate: '2025-10-24 20:00:00', timezone: 'America/New_York', ...src, lunches: [], workLogs: [] },
    ],
  },
  {
    employeeNumber: 2003,
    email: 'cem@example.com',
    sessions: [
      // Clocked out at 17:00 during a lunch that ran to 17:15: only its 15 minutes inside the session are deducted.
      berlin('2025-10-29 09:00:00', '2025-10-29 17:00:00', {
        lunches: [{ startDate: '2025-10-29 16:45:00', endDate: '2025-10-29 17:15:00', ...src }],
        workLogs: [{ name: 'early task', externalId: 'T-1', startDate: '2025-10-29 08:30:00', endDate: '2025-10-29 10:00:00', ...src }],
      }),
    ],
  },
  { employeeNumber: 2004, email: 'dina@example.com', sessions: [berlin('2025-10-30 09:00:00', '2025-10-30 17:00:00', { lunches: [], workLogs: [] })] },
];
// Only the `lunches` method reports Dina's lunch, which runs past her clock-out: linked to the session it overlaps.
const lunchesAnswer = [{ employeeNumber: 2004, email: 'dina@example.com', sessions: [{ startDate: '2025-10-30 16:30:00', endDate: '2025-10-30 17:30:00', timezone: 'Europe/Berlin', ...src }] }];

const employee = (expectedSeconds: number, sessions: unknown[]) => ({
  id: 9001, employeeNumber: '2001', email: 'anna@example.com', passport: 'P1', groups: [], workStartedAt: '2020-01-01', workEndedAt: null,
  birthday: '1990-01-01', gender: 'female', totalWorkedSeconds: 0, totalLeaveSeconds: 0, expectedSeconds, sessions,
});
const extended = [
  { date: '2025-10-24', result: [employee(28_800, [])] },
  { date: '2025-10-25', result: [employee(0, [])] },
  { date: '2025-10-27', result: [employee(28_800, [berlin('2025-10-27 09:00:00', '2025-10-27 17:00:00', { isAbsence: true, absenceName: 'Vacation', duration: 28_800 })])] },
];

// The `sessions` method lists Anna's vacation as a plain session (the document does not say it
// leaves absences out): it must not count as worked time beside the absence.
const sessionsAnswer = [{ employeeNumber: 2001, email: 'anna@example.com', sessions: [berlin('2025-10-27 09:00:00', '2025-10-27 17:00:00')] }];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedBatch(db.pool, 'timeclock', 'sessions', 'acme', window, transformSessions(sessionsAnswer, 'acme', window));
  await seedBatch(db.pool, 'timeclock', 'timesheet', 'acme', window, transformTimesheet(timesheet, 'acme', window));
  await seedBatch(db.pool, 'timeclock', 'extended-sessions', 'acme', window, transformExtendedSessions(extended, 'acme', window));
  await seedBatch(db.pool, 'timeclock', 'lunches', 'acme', window, transformLunches(lunchesAnswer, 'acme', window));
});
afterAll(async () => db?.drop());

describe('payroll views', () => {
  it('payroll_daily: one row per employee and work date, to the second', async () => {
    const { rows } = await db.pool.query(`
      SELECT employee_number::int, work_date::text, to_char(first_in_utc AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS first_in,
             to_char(last_out_utc AT TIME ZONE 'UTC', 'MM-DD HH24:MI') AS last_out, sessions, worked_seconds::int AS worked,
             lunch_seconds::int AS lunch, net_seconds::int AS net, absence_seconds::int AS absence, absence_names,
             expected_seconds::int AS expected, overtime_seconds::int AS overtime, open_sessions AS open, flags
      FROM reporting.payroll_daily ORDER BY employee_number, work_date`);
    const row = (employee: number, date: string, values: object) => ({
      employee_number: employee, work_date: date, first_in: null, last_out: null, sessions: 0, worked: 0, lunch: 0, net: 0,
      absence: 0, absence_names: [], expected: null, overtime: null, open: 0, flags: [], ...values,
    });
    expect(rows).toEqual([
      row(2001, '2025-10-24', { first_in: '10-24 06:00', last_out: '10-24 15:00', sessions: 1, worked: 32_400, lunch: 2_700, net: 29_700, expected: 28_800, overtime: 900 }),
      // 22:00 CEST (20:00Z) → 02:30, the first (CEST) reading = 00:30Z: 4.5 h; the 00:30–01:00 lunch counts to the shift's day.
      row(2001, '2025-10-25', { first_in: '10-25 20:00', last_out: '10-26 00:30', sessions: 1, worked: 16_200, lunch: 1_800, net: 14_400, expected: 0, overtime: 14_400, flags: ['dst_resolved'] }),
      row(2001, '2025-10-27', { absence: 28_800, absence_names: ['Vacation'], expected: 28_800, overtime: -28_800 }),
      row(2001, '2025-10-28', { first_in: '10-28 07:00', sessions: 1, open: 1, flags: ['open_session'] }),
      row(2002, '2025-10-24', { first_in: '10-24 13:00', last_out: '10-25 00:00', sessions: 2, worked: 37_800, net: 37_800, flags: ['lunch_outside_session'] }),
      // 09:00–17:00 CET = 28,800 s worked; lunch 16:45–17:15 overlaps the session by 900 s.
      row(2003, '2025-10-29', { first_in: '10-29 08:00', last_out: '10-29 16:00', sessions: 1, worked: 28_800, lunch: 900, net: 27_900, flags: ['lunch_outside_session'] }),
      // 16:30–17:30 against a session ending 17:00: 1,800 s deducted, not 3,600.
      row(2004, '2025-10-30', { first_in: '10-30 08:00', last_out: '10-30 16:00', sessions: 1, worked: 28_800, lunch: 1_800, net: 27_000, flags: ['lunch_outside_session'] }),
    ]);
    const { rows: outside } = await db.pool.query(`
      SELECT 'lunch' AS what, duration_seconds AS seconds, flags FROM reporting.lunches WHERE employee_number = '2003'
      UNION ALL SELECT 'work log', duration_seconds, flags FROM reporting.work_logs WHERE employee_number = '2003' ORDER BY 1`);
    expect(outside).toEqual([
      { what: 'lunch', seconds: 1_800, flags: ['outside_session'] },
      { what: 'work log', seconds: 5_400, flags: ['outside_session'] },
    ]);
    const { rows: rejects } = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.rejects`);
    expect(rejects).toEqual([{ n: 0 }]);
  });

  it('payroll_weekly and payroll_monthly: the same sums per ISO week and month', async () => {
    const { rows: weeks } = await db.pool.query(`
      SELECT iso_week, week_start::text, days_worked, sessions, worked_seconds::int AS worked, lunch_seconds::int AS lunch, net_seconds::int AS net,
             absence_seconds::int AS absence, expected_seconds::int AS expected, overtime_seconds::int AS overtime, open_sessions AS open
      FROM reporting.payroll_weekly WHERE employee_number = '2001' ORDER BY week_start`);
    expect(weeks).toEqual([
      { iso_week: '2025-W43', week_start: '2025-10-20', days_worked: 2, sessions: 2, worked: 48_600, lunch: 4_500, net: 44_100, absence: 0, expected: 28_800, overtime: 15_300, open: 0 },
      { iso_week: '2025-W44', week_start: '2025-10-27', days_worked: 1, sessions: 1, worked: 0, lunch: 0, net: 0, absence: 28_800, expected: 28_800, overtime: -28_800, open: 1 },
    ]);
    const { rows: months } = await db.pool.query(`
      SELECT employee_number::int, month, sessions, net_seconds::int AS net, absence_seconds::int AS absence, expected_seconds::int AS expected, overtime_seconds::int AS overtime
      FROM reporting.payroll_monthly ORDER BY employee_number`);
    expect(months).toEqual([
      { employee_number: 2001, month: '2025-10', sessions: 3, net: 44_100, absence: 28_800, expected: 57_600, overtime: -13_500 },
      { employee_number: 2002, month: '2025-10', sessions: 2, net: 37_800, absence: 0, expected: null, overtime: null },
      { employee_number: 2003, month: '2025-10', sessions: 1, net: 27_900, absence: 0, expected: null, overtime: null },
      { employee_number: 2004, month: '2025-10', sessions: 1, net: 27_000, absence: 0, expected: null, overtime: null },
    ]);
  });

  it('documents every reporting view and column', async () => {
    const { rows } = await db.pool.query(`
      SELECT c.relname AS view, obj_description(c.oid, 'pg_class') IS NOT NULL AS documented
      FROM pg_class c WHERE c.relnamespace = 'reporting'::regnamespace AND c.relkind = 'v' ORDER BY 1`);
    expect(rows.filter((r) => !r.documented)).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(8);
  });
});
