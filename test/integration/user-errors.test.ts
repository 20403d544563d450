/**
 * Issue 12, finding 15: user mistakes that ended in "unexpected error" and a stack now end in
 * one line and exit 2, before anything is changed.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transformTimesheet } from '../../src/transform/timeclock/timesheet.ts';
import { transformUsers } from '../../src/transform/clockodo/users.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { seedBatch } from '../support/seed.ts';
import { cliEnv, runCli, type CliResult } from '../support/cli.ts';

const window = { start: '2025-10-20', end: '2025-10-26' };
const session = { startDate: '2025-10-21 08:00:00', endDate: '2025-10-21 16:00:00', timezone: 'Europe/Berlin', startSourceType: 'web', endSourceType: 'web', lunches: [], workLogs: [] };
const timesheet = [5001, 5002].map((employeeNumber) => ({ employeeNumber, email: `e${employeeNumber}@example.com`, sessions: [session] }));
const users = [{ id: 601, name: 'Una User', number: 'U-1', email: 'una@example.com', active: true, timezone: 'Europe/Berlin', teams_id: null }];
// Nothing listens here: a command that reaches for the database fails differently (exit 1).
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/none';

const oneLine = (result: CliResult, pattern: RegExp) => {
  expect(result.code).toBe(2);
  expect(result.stderr).toMatch(pattern);
  expect(result.stderr.split('\n')).toHaveLength(2);
};

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
  await seedBatch(db.pool, 'timeclock', 'timesheet', 'default', window, transformTimesheet(timesheet, 'default', window));
  await seedBatch(db.pool, 'clockodo', 'users', 'default', window, transformUsers({ users, pages: 1, countItems: 1 }, 'default'));
});
afterAll(async () => db?.drop());

describe('user mistakes', () => {
  it('security #15: linking a clockodo user already linked to someone else is refused and keeps the first link', async () => {
    const env = cliEnv({ DATABASE_URL: db.url });
    expect((await runCli(['link', '--timeclock', '5001', '--clockodo', '601'], env)).code).toBe(0);
    expect((await runCli(['link', '--timeclock', '5001', '--clockodo', '601'], env)).code).toBe(0); // the same link again is fine
    oneLine(
      await runCli(['link', '--timeclock', '5002', '--clockodo', '601'], env),
      /^punchcard: clockodo user 601 \(account default\) is already linked to TimeClock employee 5001 \(account default\): remove that link first with `punchcard link --timeclock 5001 --remove`\n$/,
    );
    const { rows } = await db.pool.query(`SELECT employee_number::int FROM punchcard.employee_link_overrides WHERE clockodo_user_id = 601`);
    expect(rows).toEqual([{ employee_number: 5001 }]);
  });

  it('security #15: a PUNCHCARD_DATA_DIR that is a file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pc-datadir-')), 'not-a-folder');
    writeFileSync(file, '');
    oneLine(await runCli(['status'], cliEnv({ PUNCHCARD_DATA_DIR: file })), /^punchcard: PUNCHCARD_DATA_DIR ".*not-a-folder": .*not-a-folder is a file, not a folder\n$/);
    oneLine(await runCli(['status'], cliEnv({ PUNCHCARD_DATA_DIR: join(file, 'below') })), /^punchcard: PUNCHCARD_DATA_DIR ".*below": a part of .* is a file, not a folder\n$/);
  });

  it('security #15: simulate on a busy port', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      oneLine(await runCli(['simulate', '--port', String(port), '--clockodo-port', '0'], cliEnv({})), new RegExp(`^punchcard: --port ${port} is already in use`));
      oneLine(await runCli(['simulate', '--port', '0', '--clockodo-port', String(port)], cliEnv({})), new RegExp(`^punchcard: --clockodo-port ${port} is already in use`));
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('security #15: a bad PUNCHCARD_CRON stops the worker before it opens the database', async () => {
    oneLine(await runCli(['worker'], cliEnv({ DATABASE_URL: UNREACHABLE, PUNCHCARD_CRON: '99 * * * *' })), /^punchcard: PUNCHCARD_CRON is not a valid cron expression/);
  });

  it('security #15: Object.prototype keys are unknown: --source, --password-env, --budget-type', async () => {
    const env = cliEnv({ DATABASE_URL: UNREACHABLE, TIMECLOCK_API_TOKEN: 'token-for-test', TIMECLOCK_API_URL: 'http://127.0.0.1:1' });
    for (const args of [['sync', '--source', '__proto__'], ['backfill', '--from', '2025-10-01', '--to', '2025-10-02', '--source', '__proto__'], ['sync', '--source', 'constructor']]) {
      oneLine(await runCli(args, env), /^punchcard: unknown source "(__proto__|constructor)" \(known: timeclock, clockodo\)\n$/);
    }
    oneLine(await runCli(['grant-bi', '--password-env', '__proto__'], env), /^punchcard: --password-env __proto__: that variable is empty or not set\n$/);
    const clockodo = cliEnv({ DATABASE_URL: UNREACHABLE, CLOCKODO_API_USER: 'a@example.com', CLOCKODO_API_KEY: 'key-for-test', CLOCKODO_API_URL: 'http://127.0.0.1:1' });
    for (const name of ['__proto__', 'constructor']) {
      oneLine(
        await runCli(['clockodo', 'delete', '--since', '2025-10-01', '--until', '2025-10-02', '--budget-type', name, '--dry-run'], clockodo),
        new RegExp(`^punchcard: --budget-type must be one of .*, got "${name}"\\n$`),
      );
    }
  });
});
