/**
 * `--account` with two accounts per source (an accounts file, as a fleet has it): `check` checks
 * each account in its own labelled block, `link` and `clockodo edit|delete` act on the account
 * named and refuse to guess when none is, and an unknown label stops before any request. Each
 * clockodo account has its own simulator, so "deleted in b only" is visible in the data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { fleetAccounts, type FleetAccounts } from '../support/fleet.ts';

const FROM = '2025-11-17';
const TO = '2025-11-21';
const DAY = '2025-11-18';
// DAY in Europe/Berlin (UTC+1 in November), as --since/--until DAY select it.
const DAY_SINCE = '2025-11-17T23:00:00Z';
const DAY_UNTIL = '2025-11-18T22:59:59Z';

let timeclock: TimeclockSimulator;
const clockodo: Record<'a' | 'b', ClockodoSimulator> = {} as Record<'a' | 'b', ClockodoSimulator>;
let fleet: FleetAccounts;
let db: TestDatabase;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const tokens = ['fleet-tc-token-0', 'fleet-tc-token-1'];
  timeclock = await startTimeclockSimulator({ token: tokens[0]!, tokens, seed: 21, employees: 5, today: '2025-12-01' });
  clockodo.a = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 3, apiUsers: [{ email: 'api-0@fleet.test', apiKey: 'fleet-ck-key-0', revenueRights: true }] });
  clockodo.b = await startClockodoSimulator({ attendance: timeclock.dataset, seed: 4, apiUsers: [{ email: 'api-1@fleet.test', apiKey: 'fleet-ck-key-1', revenueRights: true }] });
  fleet = fleetAccounts(2, { timeclock: timeclock.url, clockodo: [clockodo.a.url, clockodo.b.url] }, { labels: ['a', 'b'] });
  db = await createTestDatabase();
  env = cliEnv({ DATABASE_URL: db.url, PUNCHCARD_ACCOUNTS: fleet.file, ...fleet.env, CLOCKODO_ENTRYGROUPS_PER_MINUTE: '6000' });
  const loaded = await runCli(['backfill', '--from', FROM, '--to', TO], env, { timeoutMs: 120_000 });
  expect(loaded.stderr).toBe('');
  expect(loaded.code).toBe(0);
}, 180_000);

afterAll(async () => {
  await timeclock?.close();
  await clockodo.a?.close();
  await clockodo.b?.close();
  await db?.drop();
});

const requestCounts = () => [timeclock.requests.length, clockodo.a.requests.length, clockodo.b.requests.length];
const entriesOnDay = (account: 'a' | 'b') => clockodo[account].dataset.entriesBetween(DAY_SINCE, DAY_UNTIL).length;
const changeRequests = (account: 'a' | 'b') => clockodo[account].requests.filter((r) => r.path === '/api/v2/entrygroups' && r.httpMethod !== 'GET');
const oneLine = (stderr: string) => {
  const lines = stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  return lines[0]!;
};
const manualLinks = async () =>
  (
    await db.pool.query<{ timeclock_account: string; employee_number: string; clockodo_account: string; clockodo_user_id: number }>(
      `SELECT timeclock_account, employee_number, clockodo_account, clockodo_user_id::int FROM reporting.employee_links WHERE match_method = 'manual' ORDER BY 1, 2`,
    )
  ).rows;

describe('--account with two accounts per source', () => {
  it('an unknown label is one line listing the known labels, exit 2, before any request', async () => {
    const before = requestCounts();
    for (const args of [
      ['check', '--account', 'zz'],
      ['link', '--timeclock', '1', '--clockodo', '1', '--account', 'zz'],
      ['clockodo', 'delete', '--since', DAY, '--until', DAY, '--yes', '--account', 'zz'],
      ['clockodo', 'edit', '--since', DAY, '--until', DAY, '--set-billable', '2', '--yes', '--account', 'zz'],
    ]) {
      const result = await runCli(args, env);
      expect(result.code, args.join(' ')).toBe(2);
      expect(oneLine(result.stderr)).toMatch(/^punchcard: --account "zz" is not a configured (clockodo |TimeClock )?account \(known: timeclock a, b; clockodo a, b\)$/);
      expect(result.stdout).toBe('');
    }
    expect(requestCounts()).toEqual(before);
  });

  it('check without --account checks every account, one labelled block each; --account b only b', async () => {
    const all = await runCli(['check'], env);
    expect(all.stderr).toBe('');
    expect(all.code).toBe(0);
    const lines = all.stdout.trim().split('\n').map((line) => /^(\S+)\s+(.+?): /.exec(line)!);
    // The stamps lines are "skipped": the simulators' days lie before the check's today.
    expect(lines.map((m) => `${m[1]} ${m[2]}`)).toEqual([
      'ok database',
      'ok migrations',
      'ok timeclock "a"',
      'skipped timeclock "a" stamps',
      'ok timeclock "b"',
      'skipped timeclock "b" stamps',
      'ok clockodo "a"',
      'ok clockodo "b"',
    ]);
    // Each clockodo account was asked with its own API user, at its own simulator.
    expect(new Set(clockodo.a.requests.map((r) => r.apiUser))).toEqual(new Set(['api-0@fleet.test']));
    expect(new Set(clockodo.b.requests.map((r) => r.apiUser))).toEqual(new Set(['api-1@fleet.test']));

    const onlyB = await runCli(['check', '--account', 'b'], env);
    expect(onlyB.code).toBe(0);
    expect(onlyB.stdout.trim().split('\n').map((line) => /^\S+\s+(.+?): /.exec(line)![1])).toEqual(['database', 'migrations', 'timeclock "b"', 'timeclock "b" stamps', 'clockodo "b"']);
  });

  it('clockodo delete without --account is refused with two clockodo accounts: nothing changed anywhere', async () => {
    const counts = [entriesOnDay('a'), entriesOnDay('b')];
    for (const kind of ['delete', 'edit']) {
      const result = await runCli(['clockodo', kind, '--since', DAY, '--until', DAY, '--yes', ...(kind === 'edit' ? ['--set-billable', '2'] : [])], env);
      expect(result.code).toBe(2);
      expect(oneLine(result.stderr)).toBe('punchcard: 2 clockodo accounts are configured (a, b): name one with --account');
    }
    expect([changeRequests('a').length, changeRequests('b').length]).toEqual([0, 0]);
    expect([entriesOnDay('a'), entriesOnDay('b')]).toEqual(counts);
  });

  it("clockodo delete --account b --yes deletes in b's data only, counts b's entries and re-syncs account b", async () => {
    const before = { a: entriesOnDay('a'), b: entriesOnDay('b') };
    // Different data per account, so a count taken from the wrong account would show.
    expect(before.a).not.toBe(before.b);
    expect(before.b).toBeGreaterThan(0);
    const warehouseA = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.ck_entrygroups WHERE account = 'a' AND deleted_at IS NULL`);

    const result = await runCli(['clockodo', 'delete', '--account', 'b', '--since', DAY, '--until', DAY, '--yes'], env);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Selection in account b: `);
    expect(result.stdout).toContain(`${before.b} time entries will be deleted.`);
    expect(result.stdout).toContain(`${before.b} time entries deleted.`);
    expect(result.stdout).toMatch(/Warehouse re-synced: entrygroups 2025-11-01\.\.2025-11-30/);

    expect({ a: entriesOnDay('a'), b: entriesOnDay('b') }).toEqual({ a: before.a, b: 0 });
    expect(changeRequests('a')).toHaveLength(0);
    expect(changeRequests('b').map((r) => r.httpMethod)).toEqual(['DELETE', 'DELETE']);
    // The re-sync loaded account b: its rows of DAY are gone, account a's rows are as they were.
    const { rows } = await db.pool.query<{ account: string; seconds: number }>(
      `SELECT account, coalesce(sum(seconds), 0)::int AS seconds FROM reporting.clockodo_time WHERE work_date = $1 GROUP BY account ORDER BY account`,
      [DAY],
    );
    expect(rows.map((r) => r.account)).toEqual(['a']);
    const warehouseAAfter = await db.pool.query(`SELECT count(*)::int AS n FROM punchcard.ck_entrygroups WHERE account = 'a' AND deleted_at IS NULL`);
    expect(warehouseAAfter.rows).toEqual(warehouseA.rows);
  });

  it('link refuses to guess with two accounts; link --account b links within account b (the view shows it)', async () => {
    const { rows: employees } = await db.pool.query<{ employee_number: string }>(`SELECT employee_number FROM punchcard.tc_employees WHERE account = 'b' ORDER BY employee_number LIMIT 1`);
    const { rows: users } = await db.pool.query<{ id: number }>(`SELECT id::int FROM punchcard.ck_users WHERE account = 'b' AND deleted_at IS NULL ORDER BY id DESC LIMIT 1`);
    const employee = employees[0]!.employee_number;
    const user = users[0]!.id;

    const refused = await runCli(['link', '--timeclock', employee, '--clockodo', String(user)], env);
    expect(refused.code).toBe(2);
    expect(oneLine(refused.stderr)).toBe('punchcard: 2 TimeClock accounts are configured (a, b): name one with --account');
    expect(await manualLinks()).toEqual([]);

    const linked = await runCli(['link', '--timeclock', employee, '--clockodo', String(user), '--account', 'b'], env);
    expect(linked.stderr).toBe('');
    expect(linked.code).toBe(0);
    expect(await manualLinks()).toEqual([{ timeclock_account: 'b', employee_number: employee, clockodo_account: 'b', clockodo_user_id: user }]);

    const removedInA = await runCli(['link', '--timeclock', employee, '--remove', '--account', 'a'], env);
    expect(removedInA.stdout).toBe(`TimeClock employee ${employee} had no manual link\n`);
    expect(await manualLinks()).toHaveLength(1);
  });
});
