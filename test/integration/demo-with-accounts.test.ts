/** The built-in simulators (`demo`, `sync --demo`) work on a host whose PUNCHCARD_ACCOUNTS lists real accounts. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { fleetAccounts } from '../support/fleet.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

it('sync --demo with an accounts file set loads the simulators as account "demo", touching no listed account', async () => {
  // Unreachable URLs: a request to a listed account would fail the run.
  const fleet = fleetAccounts(2, { timeclock: 'http://127.0.0.1:9', clockodo: 'http://127.0.0.1:9' });
  const result = await runCli(['sync', '--demo', '--lookback-days', '2'], cliEnv({ DATABASE_URL: db.url, PUNCHCARD_ACCOUNTS: fleet.file, ...fleet.env }), { timeoutMs: 120_000 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const { rows } = await db.pool.query<{ account: string }>(`SELECT DISTINCT account FROM punchcard.sync_windows ORDER BY 1`);
  expect(rows).toEqual([{ account: 'demo' }]);
}, 150_000);

it('demo with an accounts file set loads the simulators as account "demo", touching no listed account', async () => {
  const fleet = fleetAccounts(2, { timeclock: 'http://127.0.0.1:9', clockodo: 'http://127.0.0.1:9' });
  const result = await runCli(['demo', '--days', '2'], cliEnv({ DATABASE_URL: db.url, PUNCHCARD_ACCOUNTS: fleet.file, ...fleet.env }), { timeoutMs: 120_000 });
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const { rows } = await db.pool.query<{ account: string }>(`SELECT DISTINCT account FROM punchcard.sync_windows ORDER BY 1`);
  expect(rows).toEqual([{ account: 'demo' }]);
}, 150_000);
