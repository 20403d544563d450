/**
 * Several accounts in one warehouse: two companies each have an employee 3001 in their own
 * TimeClock account and a clockodo user numbered 3001 (with the same user id) in their own clockodo
 * account. Payroll keeps them apart, and links by number pair each company's TimeClock account with
 * its own clockodo account (the same label), so each person's bookings reconcile with that
 * person's attendance. A manual link may still cross accounts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { transformUsers } from '../../src/transform/clockodo/users.ts';
import { transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';

const window = { start: '2025-10-20', end: '2025-10-31' };
const src = { startSourceType: 'web', endSourceType: 'web', workLogs: [], lunches: [] };
const session = (startDate: string, endDate: string) => ({ startDate, endDate, timezone: 'Europe/Berlin', ...src });
const user = (id: number, name: string, number: string) => ({ id, name, number, email: `${name.toLowerCase()}@example.com`, active: true, timezone: 'Europe/Berlin', teams_id: null });
const booked = (id: number, number: string, seconds: number) => ({
  groups: [
    {
      groupedBy: 'users_id', group: String(id), name: `user ${id}`, number, restrictions: null, duration: seconds,
      sub_groups: [{ groupedBy: 'day', group: '2025-10-24', name: '2025-10-24', restrictions: {}, duration: seconds }],
    },
  ],
});

// acme's 3001 works 8 h and books 8 h; beta's 3001 works 4 h and books 4 h.
const companies = [
  { account: 'acme', hours: 8, name: 'Anna' },
  { account: 'beta', hours: 4, name: 'Bruno' },
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  for (const { account, hours, name } of companies) {
    const end = `2025-10-24 ${String(8 + hours).padStart(2, '0')}:00:00`;
    const timesheet = [{ employeeNumber: 3001, email: `${account}-3001@example.com`, sessions: [session('2025-10-24 08:00:00', end)] }];
    await seedBatch(db.pool, 'timeclock', 'timesheet', account, window, transformTimesheet(timesheet, account, window));
    const users = [user(501, name, '3001')];
    await seedBatch(db.pool, 'clockodo', 'users', account, window, transformUsers({ users, pages: 1, countItems: 1 }, account));
    await seedBatch(db.pool, 'clockodo', 'entrygroups', account, window,
      transformEntrygroups(booked(501, '3001', hours * 3600), { account, grouping: ['users_id', 'day'], roundToMinutes: 0, window }));
  }
});
afterAll(async () => db?.drop());

describe('views with several accounts', () => {
  it('payroll: the same employee number in two TimeClock accounts is two people', async () => {
    const { rows } = await db.pool.query(
      `SELECT account, employee_number::int, net_seconds::int FROM reporting.payroll_daily WHERE work_date = '2025-10-24' ORDER BY account`,
    );
    expect(rows).toEqual([
      { account: 'acme', employee_number: 3001, net_seconds: 8 * 3600 },
      { account: 'beta', employee_number: 3001, net_seconds: 4 * 3600 },
    ]);
  });

  it('links and reconciliation pair each TimeClock account with the clockodo account of the same label', async () => {
    const { rows: links } = await db.pool.query(
      `SELECT timeclock_account, employee_number::int, clockodo_account, clockodo_user_id::int, match_method, display_name
       FROM reporting.employee_links WHERE timeclock_account IS NOT NULL ORDER BY timeclock_account`,
    );
    expect(links).toEqual([
      { timeclock_account: 'acme', employee_number: 3001, clockodo_account: 'acme', clockodo_user_id: 501, match_method: 'number', display_name: 'Anna' },
      { timeclock_account: 'beta', employee_number: 3001, clockodo_account: 'beta', clockodo_user_id: 501, match_method: 'number', display_name: 'Bruno' },
    ]);
    const { rows: daily } = await db.pool.query(
      `SELECT timeclock_account, clockodo_account, timeclock_net_seconds::int AS attended, clockodo_booked_seconds::int AS booked, status
       FROM reporting.reconciliation_daily WHERE work_date = '2025-10-24' ORDER BY timeclock_account, clockodo_account`,
    );
    expect(daily).toEqual([
      { timeclock_account: 'acme', clockodo_account: 'acme', attended: 8 * 3600, booked: 8 * 3600, status: 'ok' },
      { timeclock_account: 'beta', clockodo_account: 'beta', attended: 4 * 3600, booked: 4 * 3600, status: 'ok' },
    ]);
  });

  it('a manual link may still pair accounts of different labels', async () => {
    await db.pool.query(
      `INSERT INTO punchcard.employee_link_overrides (timeclock_account, employee_number, clockodo_account, clockodo_user_id) VALUES ('beta', 3001, 'acme', 501)`,
    );
    try {
      const { rows } = await db.pool.query(
        `SELECT timeclock_account, clockodo_account, match_method FROM reporting.employee_links WHERE timeclock_account IS NOT NULL ORDER BY timeclock_account`,
      );
      // The manual link wins acme's user; acme's own 3001 is then unmatched rather than linked twice.
      expect(rows).toEqual([
        { timeclock_account: 'acme', clockodo_account: null, match_method: null },
        { timeclock_account: 'beta', clockodo_account: 'acme', match_method: 'manual' },
      ]);
    } finally {
      await db.pool.query(`DELETE FROM punchcard.employee_link_overrides`);
    }
  });
});
