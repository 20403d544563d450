/**
 * Issue 16, point 10: TimeClock employee numbers are text identities in one canonical form.
 * A JSON number and the digit string of the same value are one employee; any other string is
 * kept as sent, trimmed ("0042" is not 42, "A-17" loads). Links and reconciliation compare the
 * clockodo user number as trimmed text. Existing bigint data is converted by the migration.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformSessions } from '../../src/transform/timeclock/sessions.ts';
import { transformExtendedSessions } from '../../src/transform/timeclock/extended-sessions.ts';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const window = { start: '2026-03-02', end: '2026-03-08' };
const session = (day: number) => ({ startDate: `2026-03-0${day} 08:00:00`, endDate: `2026-03-0${day} 16:00:00`, timezone: 'Europe/Berlin', locationType: 'office', startSourceType: 'web', endSourceType: 'web' });
const extendedEmployee = (employeeNumber: unknown, sessions: unknown[]) => ({
  id: 1, employeeNumber, email: null, passport: null, groups: [], workStartedAt: null, workEndedAt: null, birthday: null, gender: null,
  totalWorkedSeconds: 28_800, totalLeaveSeconds: 0, expectedSeconds: 28_800, sessions,
});

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('employee numbers as text identities', () => {
  it('makes 42 and "42" one employee, keeps "0042" and "A-17" as sent, and refuses only a missing number', async () => {
    const sessions = [
      { employeeNumber: 42, email: 'a@example.com', sessions: [session(2)] },
      { employeeNumber: '0042', email: 'b@example.com', sessions: [session(2)] },
      { employeeNumber: ' A-17 ', email: 'c@example.com', sessions: [session(3)] },
      { employeeNumber: null, email: 'd@example.com', sessions: [session(4)] },
      { employeeNumber: '', email: 'e@example.com', sessions: [session(4)] },
    ];
    const sessionLoad = await seedBatch(db.pool, 'timeclock', 'sessions', 'acme', window, transformSessions(sessions, 'acme', window));
    expect(sessionLoad.rejected).toBe(2);
    await seedBatch(db.pool, 'timeclock', 'extended-sessions', 'acme', window, transformExtendedSessions([{ date: '2026-03-02', result: [extendedEmployee('42', [{ ...session(2), duration: 28_800 }])] }], 'acme', window));

    const { rows } = await db.pool.query(`SELECT employee_number, start_local::text, methods FROM reporting.work_sessions ORDER BY 1`);
    expect(rows).toEqual([
      { employee_number: '0042', start_local: '2026-03-02 08:00:00', methods: ['sessions'] },
      { employee_number: '42', start_local: '2026-03-02 08:00:00', methods: ['sessions', 'extended-sessions'] },
      { employee_number: 'A-17', start_local: '2026-03-03 08:00:00', methods: ['sessions'] },
    ]);
    const { rows: rejects } = await db.pool.query(`SELECT reason FROM punchcard.rejects`);
    expect(rejects).toEqual([{ reason: 'employee record has no employeeNumber' }, { reason: 'employee record has no employeeNumber' }]);
  });

  it('links clockodo user numbers by trimmed text, by hand through the CLI, and reconciles the linked person', async () => {
    await db.pool.query(`
      INSERT INTO punchcard.ck_users (account, id, name, number, raw) VALUES
        ('default', 501, 'Anna', '42', '{}'), ('default', 502, 'Ben', ' 0042 ', '{}'), ('default', 503, 'Cem', NULL, '{}')`);
    await db.pool.query(`
      INSERT INTO punchcard.ck_entrygroups (account, grouping, path_key, day, users_id, duration_seconds, path, raw)
      VALUES ('default', 'users_id,day', 'users_id=501/day=2026-03-02', '2026-03-02', 501, 28800, '[]', '{}')`);
    // Cem has no number in clockodo: linked by hand to the lettered TimeClock number.
    const cli = await runCli(['link', '--timeclock', 'A-17', '--clockodo', '503', '--timeclock-account', 'acme'], cliEnv({ DATABASE_URL: db.url }));
    expect(cli.stderr).toBe('');
    expect(cli.stdout).toBe('linked TimeClock employee A-17 to clockodo user 503 (manual link; see reporting.employee_links)\n');

    const { rows: links } = await db.pool.query(`
      SELECT employee_number, clockodo_user_id::int AS user_id, match_method, status FROM reporting.employee_links
      WHERE timeclock_account = 'acme' ORDER BY 1`);
    expect(links).toEqual([
      { employee_number: '0042', user_id: 502, match_method: 'number', status: 'matched' },
      { employee_number: '42', user_id: 501, match_method: 'number', status: 'matched' },
      { employee_number: 'A-17', user_id: 503, match_method: 'manual', status: 'matched' },
    ]);
    const { rows: reconciled } = await db.pool.query(`
      SELECT employee_number, display_name, timeclock_net_seconds::int AS attended, clockodo_booked_seconds::int AS booked, status
      FROM reporting.reconciliation_daily WHERE work_date = '2026-03-02' ORDER BY 1`);
    expect(reconciled).toEqual([
      { employee_number: '0042', display_name: 'Ben', attended: 28_800, booked: 0, status: 'no_bookings' },
      { employee_number: '42', display_name: 'Anna', attended: 28_800, booked: 28_800, status: 'ok' },
    ]);
  });
});

describe('the migration to text employee numbers', () => {
  let old: TestDatabase;
  let dir: string;
  beforeAll(async () => {
    old = await createTestDatabase({ empty: true });
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'pc-mig-'));
  });
  afterAll(async () => {
    await old?.drop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('converts bigint numbers, keys, manual links and paid snapshots, and the views work on them', async () => {
    const all = (await fs.readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    const before = all.filter((name) => name < '20261201001600_employee_number_text');
    for (const name of before) await fs.cp(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
    await migrate(old.pool, { migrationsDir: dir });

    await old.pool.query(`
      INSERT INTO punchcard.tc_employees (account, employee_number, email) VALUES ('acme', 1265, 'a@example.com'), ('acme', 31394, NULL);
      INSERT INTO punchcard.tc_sessions (account, method, employee_number, start_local, end_local, timezone, start_utc, end_utc, work_date, duration_seconds, raw)
      VALUES ('acme', 'sessions', 1265, '2024-10-09 08:12:34', '2024-10-09 17:18:34', 'Asia/Jerusalem', '2024-10-09 05:12:34Z', '2024-10-09 14:18:34Z', '2024-10-09', 32760, '{}');
      INSERT INTO punchcard.tc_lunches (account, method, employee_number, start_local, end_local, timezone, start_utc, end_utc, work_date, duration_seconds, raw)
      VALUES ('acme', 'lunches', 1265, '2024-10-09 12:12:34', '2024-10-09 12:48:34', 'Asia/Jerusalem', '2024-10-09 09:12:34Z', '2024-10-09 09:48:34Z', '2024-10-09', 2160, '{}');
      INSERT INTO punchcard.ck_users (account, id, name, number, raw) VALUES ('default', 7, 'Elena', '31394', '{}'), ('default', 8, 'Dana', NULL, '{}');
      INSERT INTO punchcard.employee_link_overrides (timeclock_account, employee_number, clockodo_account, clockodo_user_id) VALUES ('acme', 1265, 'default', 8);
      INSERT INTO punchcard.pay_periods (period) VALUES ('2024-10-01');
      INSERT INTO punchcard.payroll_snapshots (period, account, employee_number, work_date, worked_seconds, lunch_seconds, net_seconds, absence_seconds)
      VALUES ('2024-10-01', 'acme', 1265, '2024-10-09', 32760, 2160, 30600, 0);
      INSERT INTO punchcard.rejects (source, account, stream, window_start, window_end, employee_number, reason, raw)
      VALUES ('timeclock', 'acme', 'sessions', '2024-10-09', '2024-10-09', 1265, 'old reject', '{}');`);

    const result = await migrate(old.pool);
    expect(result.applied).toEqual(all.slice(before.length));

    // Tables and every view over them (the views are re-created from their saved definitions).
    const { rows: types } = await old.pool.query(`
      SELECT DISTINCT data_type, count(*) > 20 AS many FROM information_schema.columns
      WHERE table_schema IN ('punchcard', 'reporting') AND column_name = 'employee_number' GROUP BY 1`);
    expect(types).toEqual([{ data_type: 'text', many: true }]);
    const { rows: comments } = await old.pool.query(`
      SELECT count(*)::int AS views, count(obj_description(c.oid, 'pg_class'))::int AS documented
      FROM pg_class c WHERE c.relnamespace = 'reporting'::regnamespace AND c.relkind = 'v'`);
    expect(comments[0].documented).toBe(comments[0].views);
    const { rows: links } = await old.pool.query(`SELECT employee_number, display_name, match_method FROM reporting.employee_links WHERE timeclock_account = 'acme' ORDER BY 1`);
    expect(links).toEqual([
      { employee_number: '1265', display_name: 'Dana', match_method: 'manual' },
      { employee_number: '31394', display_name: 'Elena', match_method: 'number' },
    ]);
    const { rows: payroll } = await old.pool.query(`SELECT employee_number, worked_seconds::int AS worked, lunch_seconds::int AS lunch, net_seconds::int AS net FROM reporting.payroll_daily`);
    expect(payroll).toEqual([{ employee_number: '1265', worked: 32_760, lunch: 2_160, net: 30_600 }]);
    const { rows: paid } = await old.pool.query(`SELECT employee_number, net_seconds::int AS net FROM reporting.payroll_snapshots`);
    expect(paid).toEqual([{ employee_number: '1265', net: 30_600 }]);
    const { rows: rejects } = await old.pool.query(`SELECT employee_number FROM punchcard.rejects`);
    expect(rejects).toEqual([{ employee_number: '1265' }]);
  });
});
