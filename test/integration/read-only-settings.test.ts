/**
 * Issue 12, finding 5: read-only commands (status, report, check) neither migrate nor write the
 * settings the reporting views read; `punchcard settings apply`, `migrate` and the worker do.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const window = { start: '2025-10-20', end: '2025-10-26' };
const timesheet = [
  {
    employeeNumber: 4001,
    email: 'private@example.com',
    sessions: [{ startDate: '2025-10-21 08:00:00', endDate: '2025-10-21 16:00:00', timezone: 'Europe/Berlin', startSourceType: 'web', endSourceType: 'web', lunches: [], workLogs: [] }],
  },
];
const exposing = { PUNCHCARD_EXPOSE_PERSONAL_DATA: '1', PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS: '60' };

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedBatch(db.pool, 'timeclock', 'timesheet', 'default', window, transformTimesheet(timesheet, 'default', window));
});
afterAll(async () => db?.drop());

const visible = async () => {
  const { rows: settings } = await db.pool.query(`SELECT key, value FROM punchcard.settings ORDER BY key`);
  const { rows: employees } = await db.pool.query(`SELECT email FROM reporting.employees WHERE employee_number = '4001'`);
  return { settings, email: employees[0]?.email ?? null };
};

describe('settings', () => {
  it('security #5: status, report and check run with PUNCHCARD_EXPOSE_PERSONAL_DATA=1 leave what the BI role sees unchanged', async () => {
    const before = await visible();
    expect(before.email).toBeNull();
    const env = cliEnv({ DATABASE_URL: db.url, ...exposing });
    for (const args of [['status'], ['status', '--json'], ['report', '--month', '2025-10', '--out', join(mkdtempSync(join(tmpdir(), 'pc-ro-')), 'r.html')], ['check']]) {
      const result = await runCli(args, env);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(await visible(), args.join(' ')).toEqual(before);
    }
  });

  it('security #5: `punchcard settings apply` is the explicit way to change them, and says what it changed', async () => {
    const applied = await runCli(['settings', 'apply'], cliEnv({ DATABASE_URL: db.url, ...exposing }));
    expect(applied.stderr).toBe('');
    expect(applied.stdout).toBe('settings changed: expose_personal_data=true, reconciliation_tolerance_seconds=60\n');
    expect(await visible()).toEqual({
      settings: [{ key: 'expose_personal_data', value: 'true' }, { key: 'reconciliation_tolerance_seconds', value: '60' }],
      email: 'private@example.com',
    });
    // A later read-only run without the variable does not hide them again.
    expect((await runCli(['status'], cliEnv({ DATABASE_URL: db.url }))).code).toBe(0);
    expect((await visible()).email).toBe('private@example.com');
    const reset = await runCli(['migrate'], cliEnv({ DATABASE_URL: db.url }));
    expect(reset.stdout).toMatch(/database is up to date \(\d+ migrations\); settings changed: expose_personal_data=false, reconciliation_tolerance_seconds=900\n/);
  });

  it('security #5: status on an unmigrated database says so in one line and migrates nothing', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      const result = await runCli(['status'], cliEnv({ DATABASE_URL: empty.url }));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^punchcard: the warehouse lacks \d+ migration\(s\) .*: run `punchcard migrate` first\n$/);
      const { rows } = await empty.pool.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('punchcard', 'reporting')`);
      expect(rows[0].n).toBe(0);
    } finally {
      await empty.drop();
    }
  });
});
