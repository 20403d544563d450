/**
 * employee_links, reconciliation_daily and reconciliation_monthly on seeded attendance and
 * bookings: a DST day, a shift across midnight, an open session, people unmatched on each side,
 * an e-mail match and a manual link.
 */
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { transformUsers } from '../../src/transform/clockodo/users.ts';
import { transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const window = { start: '2025-10-20', end: '2025-10-31' };
const src = { startSourceType: 'web', endSourceType: 'web', workLogs: [] };
const at = (zone: string) => (startDate: string, endDate: string | null, lunches: object[] = []) => ({ startDate, endDate, timezone: zone, ...src, lunches });
const berlin = at('Europe/Berlin');
const newYork = at('America/New_York');

const timesheet = [
  {
    employeeNumber: 3001,
    email: 'anna@example.com',
    sessions: [
      berlin('2025-10-24 08:00:00', '2025-10-24 16:30:00', [{ startDate: '2025-10-24 12:00:00', endDate: '2025-10-24 12:30:00', ...src }]), // 8 h net
      berlin('2025-10-26 02:30:00', '2025-10-26 10:00:00'), // starts in the repeated hour: 00:30Z → 09:00Z = 8.5 h
      berlin('2025-10-27 22:00:00', '2025-10-28 06:00:00'), // across midnight: 8 h on the 27th
      berlin('2025-10-29 08:00:00', null), // still clocked in
    ],
  },
  { employeeNumber: 3002, email: 'Ben@Example.com', sessions: [newYork('2025-10-24 09:00:00', '2025-10-24 17:00:00'), newYork('2025-10-27 09:00:00', '2025-10-27 17:00:00')] },
  { employeeNumber: 3003, email: 'cleo@example.com', sessions: [berlin('2025-10-24 09:00:00', '2025-10-24 13:00:00')] },
  { employeeNumber: 3004, email: 'dan@private.example', sessions: [berlin('2025-10-24 09:00:00', '2025-10-24 17:00:00')] },
];

const users = [
  { id: 501, name: 'Anna Adler', number: '3001', email: 'anna@example.com', active: true, timezone: 'Europe/Berlin', teams_id: null },
  { id: 502, name: 'Ben Brook', number: 'X3002', email: 'ben@example.com', active: true, timezone: 'America/New_York', teams_id: null },
  { id: 503, name: 'Extern GmbH', number: 'E-1', email: 'extern@example.com', active: true, timezone: 'Europe/Berlin', teams_id: null },
  { id: 504, name: 'Dan Dorn', number: '9999', email: 'dan@company.example', active: true, timezone: 'Europe/Berlin', teams_id: null },
];

const leaf = (billable: string, duration: number) => ({ groupedBy: 'billable', group: billable, name: billable === '0' ? 'not billable' : 'billable', restrictions: [], duration });
const day = (date: string, ...leaves: ReturnType<typeof leaf>[]) => ({
  groupedBy: 'day', group: date, name: date, restrictions: {}, duration: leaves.reduce((n, l) => n + l.duration, 0), sub_groups: leaves,
});
const user = (id: number, number: string, ...days: ReturnType<typeof day>[]) => ({
  groupedBy: 'users_id', group: String(id), name: `user ${id}`, number, restrictions: null, duration: days.reduce((n, d) => n + d.duration, 0), sub_groups: days,
});
const entrygroups = {
  groups: [
    user(501, '3001', day('2025-10-24', leaf('1', 27_000), leaf('0', 1_800)), day('2025-10-26', leaf('1', 25_000)), day('2025-10-27', leaf('1', 29_400)), day('2025-10-29', leaf('0', 3_600))),
    user(502, 'X3002', day('2025-10-24', leaf('1', 36_000))),
    user(503, 'E-1', day('2025-10-24', leaf('2', 3_600))),
    user(504, '9999', day('2025-10-24', leaf('1', 28_800))),
  ],
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedBatch(db.pool, 'timeclock', 'timesheet', 'default', window, transformTimesheet(timesheet, 'default', window));
  await seedBatch(db.pool, 'clockodo', 'users', 'default', window, transformUsers({ users, pages: 1, countItems: users.length }, 'default'));
  await seedBatch(db.pool, 'clockodo', 'entrygroups', 'default', window,
    transformEntrygroups(entrygroups, { account: 'default', grouping: ['users_id', 'day', 'billable'], roundToMinutes: 0, window }));
});
afterAll(async () => db?.drop());

describe('employee links and reconciliation', () => {
  it('links by number, by e-mail, and by hand, listing the unmatched on both sides', async () => {
    const linked = await runCli(['link', '--timeclock', '3004', '--clockodo', '504'], cliEnv({ DATABASE_URL: db.url }));
    expect(linked.stderr).toBe('');
    expect(linked.stdout).toMatch(/linked TimeClock employee 3004 to clockodo user 504/);
    const refused = await runCli(['link', '--timeclock', '3004', '--clockodo', '777'], cliEnv({ DATABASE_URL: db.url }));
    expect([refused.code, refused.stderr.trim()]).toEqual([2, 'punchcard: no clockodo user 777 (account default) in the warehouse: sync the clockodo users stream first']);

    const { rows } = await db.pool.query(`
      SELECT employee_number::int, display_name, clockodo_user_id::int, match_method, status
      FROM reporting.employee_links ORDER BY employee_number NULLS LAST, clockodo_user_id`);
    expect(rows).toEqual([
      { employee_number: 3001, display_name: 'Anna Adler', clockodo_user_id: 501, match_method: 'number', status: 'matched' },
      { employee_number: 3002, display_name: 'Ben Brook', clockodo_user_id: 502, match_method: 'email', status: 'matched' },
      { employee_number: 3003, display_name: 'Employee 3003', clockodo_user_id: null, match_method: null, status: 'unmatched_timeclock' },
      { employee_number: 3004, display_name: 'Dan Dorn', clockodo_user_id: 504, match_method: 'manual', status: 'matched' },
      { employee_number: null, display_name: 'Extern GmbH', clockodo_user_id: 503, match_method: null, status: 'unmatched_clockodo' },
    ]);
  });

  it('reconciles each person and day to the second', async () => {
    const { rows } = await db.pool.query(`
      SELECT employee_number::int, clockodo_user_id::int, work_date::text, timeclock_net_seconds::int AS net,
             clockodo_booked_seconds::int AS booked, billable_seconds::int AS billable, difference_seconds::int AS diff, status
      FROM reporting.reconciliation_daily ORDER BY work_date, employee_number NULLS LAST, clockodo_user_id`);
    expect(rows).toEqual([
      { employee_number: 3001, clockodo_user_id: 501, work_date: '2025-10-24', net: 28_800, booked: 28_800, billable: 27_000, diff: 0, status: 'ok' },
      { employee_number: 3002, clockodo_user_id: 502, work_date: '2025-10-24', net: 28_800, booked: 36_000, billable: 36_000, diff: 7_200, status: 'over_booked' },
      { employee_number: 3003, clockodo_user_id: null, work_date: '2025-10-24', net: 14_400, booked: 0, billable: 0, diff: -14_400, status: 'unmatched_person' },
      { employee_number: 3004, clockodo_user_id: 504, work_date: '2025-10-24', net: 28_800, booked: 28_800, billable: 28_800, diff: 0, status: 'ok' },
      { employee_number: null, clockodo_user_id: 503, work_date: '2025-10-24', net: 0, booked: 3_600, billable: 3_600, diff: 3_600, status: 'unmatched_person' },
      { employee_number: 3001, clockodo_user_id: 501, work_date: '2025-10-26', net: 30_600, booked: 25_000, billable: 25_000, diff: -5_600, status: 'under_booked' },
      { employee_number: 3001, clockodo_user_id: 501, work_date: '2025-10-27', net: 28_800, booked: 29_400, billable: 29_400, diff: 600, status: 'ok' },
      { employee_number: 3002, clockodo_user_id: 502, work_date: '2025-10-27', net: 28_800, booked: 0, billable: 0, diff: -28_800, status: 'no_bookings' },
      { employee_number: 3001, clockodo_user_id: 501, work_date: '2025-10-29', net: 0, booked: 3_600, billable: 0, diff: 3_600, status: 'no_attendance' },
    ]);
  });

  it('rolls the days up per month', async () => {
    const { rows } = await db.pool.query(`
      SELECT employee_number::int, month, timeclock_net_seconds::int AS net, clockodo_booked_seconds::int AS booked,
             days, days_ok, days_under_booked AS under, days_no_attendance AS no_attendance
      FROM reporting.reconciliation_monthly WHERE employee_number = '3001'`);
    expect(rows).toEqual([{ employee_number: 3001, month: '2025-10', net: 88_200, booked: 86_800, days: 4, days_ok: 2, under: 1, no_attendance: 1 }]);
  });

  it('writes the month as a self-contained HTML report, readable by its owner only', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'punchcard-report-')), 'report.html');
    const result = await runCli(['report', '--month', '2025-10', '--out', out], cliEnv({ DATABASE_URL: db.url }));
    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(/wrote .*report.html: 5 people, 6 days that do not reconcile/);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/<script|<link|src="http/); // nothing to fetch: opens from disk
    const chart = /<svg id="hours-chart"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(chart.match(/class="attended"/g)).toHaveLength(5 + 1); // one bar per person, plus the legend
    expect(chart).toContain('Anna Adler: 24.50 h attended');
    const table = /<table id="unreconciled-days">[\s\S]*?<\/table>/.exec(html)?.[0] ?? '';
    expect(table.match(/<tr class="status-/g)).toHaveLength(6);
    expect(table).toContain('<td>2025-10-26</td><td>Anna Adler</td><td class="num">8.50</td><td class="num">6.94</td><td class="num">-1.56</td><td>under booked</td>');
  });
});
