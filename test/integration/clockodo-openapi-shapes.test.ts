/**
 * clockodo answers written by hand from the schemas of clockodo's OpenAPI (2026-03-12), not from
 * the simulator: EntryGroupV2 (`grouped_by`, `group` as a string, `restrictions` as
 * EntryGroupRestrictionV2 / EntryGroupNoRestrictionV2 / null, integer `revenue`,
 * `hourly_rate_is_equal_and_has_no_lumpsums`, `sub_groups` array or null) and UserV3 (`number`
 * nullable, `email` optional). They load with no reject, to the seconds a person adds up by hand,
 * and a user without number or e-mail can still be linked by hand.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformEntrygroups } from '../../src/transform/clockodo/entrygroups.ts';
import { transformUsers } from '../../src/transform/clockodo/users.ts';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const window = { start: '2026-09-01', end: '2026-09-30' };
const GROUPING = ['users_id', 'day', 'customers_id', 'projects_id', 'services_id', 'billable'];

/** EntryGroupRestrictionV2: all ten keys present, null unless restricted. */
const restrictions = (set: Record<string, number | string> = {}) => ({
  users_id: null,
  teams_id: null,
  customers_id: null,
  projects_id: null,
  subprojects_id: null,
  services_id: null,
  lumpsum_services_id: null,
  billable: null,
  entriesTexts_id: null,
  budget_type: null,
  ...set,
});

/** Every required EntryGroupV2 field, as an API user with revenue rights sees it. */
function group(grouped_by: string, group: string, name: string, duration: number, revenue: number, more: Record<string, unknown>) {
  return {
    group,
    name,
    duration,
    restrictions: null as unknown,
    revenue,
    has_budget_revenues_billed: false,
    has_budget_revenues_not_billed: false,
    has_non_budget_revenues_billed: false,
    has_non_budget_revenues_not_billed: revenue > 0,
    budget_used: false,
    hourly_rate: duration > 0 ? Math.round((revenue * 3600) / duration) : null,
    hourly_rate_is_equal_and_has_no_lumpsums: true,
    grouped_by,
    ...more,
  };
}

/** customer → project → service → billable leaf, restrictions naming every level above. */
function booking(user: number, day: string, customer: number, project: number, service: number, billable: number, seconds: number, revenue: number, leafFlag = true) {
  const above = { users_id: user };
  const leaf = group('billable', String(billable), ['not billable', 'billable', 'billed'][billable]!, seconds, revenue, {
    restrictions: restrictions({ ...above, customers_id: customer, projects_id: project, services_id: service }),
    hourly_rate_is_equal_and_has_no_lumpsums: leafFlag,
    sub_groups: null,
  });
  const serviceNode = group('services_id', String(service), `Service ${service}`, seconds, revenue, {
    restrictions: restrictions({ ...above, customers_id: customer, projects_id: project }),
    sub_groups: [leaf],
  });
  const projectNode = group('projects_id', String(project), `Project ${project}`, seconds, revenue, { restrictions: restrictions({ ...above, customers_id: customer }), sub_groups: [serviceNode] });
  return group('customers_id', String(customer), `Customer ${customer}`, seconds, revenue, { restrictions: restrictions(above), sub_groups: [projectNode] });
}

const dayNode = (user: number, day: string, customers: ReturnType<typeof booking>[]) =>
  group('day', day, day, customers.reduce((n, c) => n + c.duration, 0), customers.reduce((n, c) => n + c.revenue, 0), {
    restrictions: restrictions({ users_id: user }),
    sub_groups: customers,
  });

// By hand: Anna (501) books 1.5 h billable at 100/h (150) and 0.5 h not billable on the 1st
// (7,200 s), 8 h billed at 100/h (800) on the 2nd (28,800 s). Ben (502) books 1 h at 100/h (100)
// and 3 h at a mixed rate (360, so the flag is false) on the 1st (14,400 s).
const anna = [
  dayNode(501, '2026-09-01', [booking(501, '2026-09-01', 1001, 2001, 3001, 1, 5_400, 150), booking(501, '2026-09-01', 1001, 2002, 3002, 0, 1_800, 0)]),
  dayNode(501, '2026-09-02', [booking(501, '2026-09-02', 1002, 2003, 3001, 2, 28_800, 800)]),
];
const ben = [dayNode(502, '2026-09-01', [booking(502, '2026-09-01', 1001, 2001, 3001, 1, 3_600, 100), booking(502, '2026-09-01', 1003, 2004, 3003, 1, 10_800, 360, false)])];
const sum = (nodes: Array<{ duration: number }>) => nodes.reduce((n, g) => n + g.duration, 0);
const revenueOf = (nodes: Array<{ revenue: number }>) => nodes.reduce((n, g) => n + g.revenue, 0);
const answer = {
  groups: [
    // The top level has nothing above it: EntryGroupNoRestrictionV2 ({}) on one, null on the other.
    group('users_id', '501', 'Anna Adler', sum(anna), revenueOf(anna), { restrictions: {}, sub_groups: anna }),
    group('users_id', '502', 'Ben Brook', sum(ben), revenueOf(ben), { restrictions: null, sub_groups: ben }),
  ],
};

// GET /v3/users, UserV3: every required field; Anna has `number` null and no `email` at all.
const users = [
  { id: 501, name: 'Anna Adler', weekstart_monday: true, weekend_friday: false, active: true, timeformat_12h: false, language: 'de', timezone: 'Europe/Berlin', teams_id: null, initials: 'AA', nonbusiness_groups_id: null, number: null },
  { id: 502, name: 'Ben Brook', weekstart_monday: true, weekend_friday: false, active: true, timeformat_12h: false, language: 'en', timezone: 'Europe/Berlin', teams_id: 7, initials: 'BB', nonbusiness_groups_id: null, number: '3002', email: 'ben@example.com', role: 'worker' },
];

const src = { startSourceType: 'web', endSourceType: 'web', workLogs: [], lunches: [] };
const timesheet = [
  { employeeNumber: 3001, email: 'anna.private@example.org', sessions: [{ startDate: '2026-09-01 08:00:00', endDate: '2026-09-01 10:00:00', timezone: 'Europe/Berlin', ...src }] },
];

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('clockodo answers shaped as the OpenAPI schemas', () => {
  it('load with no reject and the seconds per user and day computed by hand', async () => {
    const batch = finalizeBatch(transformEntrygroups(answer, { account: 'default', grouping: GROUPING, roundToMinutes: 0, window }));
    expect(batch.rejects).toEqual([]);
    expect(batch.received).toBe(5);
    await seedBatch(db.pool, 'clockodo', 'entrygroups', 'default', window, transformEntrygroups(answer, { account: 'default', grouping: GROUPING, roundToMinutes: 0, window }));

    const { rows: perDay } = await db.pool.query(
      `SELECT users_id::int AS user, work_date::text AS day, sum(seconds)::int AS seconds, sum(revenue)::float AS revenue FROM reporting.clockodo_time GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(perDay).toEqual([
      { user: 501, day: '2026-09-01', seconds: 7_200, revenue: 150 },
      { user: 501, day: '2026-09-02', seconds: 28_800, revenue: 800 },
      { user: 502, day: '2026-09-01', seconds: 14_400, revenue: 460 },
    ]);
    const { rows: flags } = await db.pool.query(
      `SELECT path_key, hourly_rate_is_equal_and_has_no_lump_sums AS flag FROM punchcard.ck_entrygroups WHERE users_id = 502 ORDER BY path_key`,
    );
    expect(flags).toEqual([
      { path_key: 'users_id=502/day=2026-09-01/customers_id=1001/projects_id=2001/services_id=3001/billable=1', flag: true },
      { path_key: 'users_id=502/day=2026-09-01/customers_id=1003/projects_id=2004/services_id=3003/billable=1', flag: false },
    ]);
  });

  it('loads a user with number null and no e-mail, who can then be linked by hand', async () => {
    const batch = transformUsers({ users, pages: 1, countItems: users.length }, 'default');
    expect(batch.rejects).toEqual([]);
    await seedBatch(db.pool, 'clockodo', 'users', 'default', window, batch);
    await seedBatch(db.pool, 'timeclock', 'timesheet', 'default', window, transformTimesheet(timesheet, 'default', window));
    const { rows: stored } = await db.pool.query(`SELECT id::int, name, number, email FROM punchcard.ck_users ORDER BY id`);
    expect(stored).toEqual([
      { id: 501, name: 'Anna Adler', number: null, email: null },
      { id: 502, name: 'Ben Brook', number: '3002', email: 'ben@example.com' },
    ]);

    const linked = await runCli(['link', '--timeclock', '3001', '--clockodo', '501'], cliEnv({ DATABASE_URL: db.url }));
    expect(linked.stderr).toBe('');
    expect(linked.code).toBe(0);
    const { rows } = await db.pool.query(
      `SELECT employee_number::text AS employee, clockodo_user_id::int AS user, clockodo_user_name AS name, clockodo_user_number AS number, match_method, status
       FROM reporting.employee_links WHERE clockodo_user_id = 501`,
    );
    expect(rows).toEqual([{ employee: '3001', user: 501, name: 'Anna Adler', number: null, match_method: 'manual', status: 'matched' }]);
  });
});
