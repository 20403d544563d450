/**
 * Secrets never reach the output: a backfill of both sources at debug level, with retried faults,
 * a refused credential and a database password in DATABASE_URL, grepped for every secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const TOKEN = 'tc-Secret-Token-8f3e2a1b9c';
const API_KEY = 'ck-Secret-Key-77d1e0aa42';
const API_USER = 'secret-test@punchcard.test';
let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;
let db: TestDatabase;

beforeAll(async () => {
  timeclock = await startTimeclockSimulator({ token: TOKEN, seed: 8, employees: 5, today: '2025-03-31' });
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset, apiUsers: [{ email: API_USER, apiKey: API_KEY, revenueRights: true }] });
  db = await createTestDatabase();
});
afterAll(async () => {
  await timeclock?.close();
  await clockodo?.close();
  await db?.drop();
});

describe('secrets in logs and errors', () => {
  it('never prints the token, the API key or the database password', async () => {
    timeclock.faults.add({ kind: 'http-503', count: 2 });
    timeclock.faults.add({ kind: 'unauthorized', match: { rpcMethod: 'lunches' }, count: 1 });
    clockodo.faults.add({ kind: 'api-error', variant: 'errors', count: 1, match: { path: '/api/v3/users' } });
    clockodo.faults.add({ kind: 'rate-limit', count: 1, retryAfterSeconds: 1 });
    const password = 'Pg-Secret-Password-5150';
    const env = cliEnv({
      DATABASE_URL: db.url,
      TIMECLOCK_API_URL: timeclock.url,
      TIMECLOCK_API_TOKEN: TOKEN,
      CLOCKODO_API_URL: clockodo.url,
      CLOCKODO_API_USER: API_USER,
      CLOCKODO_API_KEY: API_KEY,
      CLOCKODO_ENTRYGROUPS_PER_MINUTE: '600',
      LOG_LEVEL: 'debug',
      HTTP_RETRIES: '2',
    });
    const result = await runCli(['backfill', '--from', '2025-03-01', '--to', '2025-03-31'], env);
    const output = result.stdout + result.stderr;
    expect(output.length).toBeGreaterThan(2_000); // there was plenty to grep
    expect(output).toMatch(/credentials refused \(HTTP 401\)/); // the refused credential was reported...
    for (const secret of [TOKEN, API_KEY]) expect(output).not.toContain(secret); // ...without the secrets

    // A database password in the URL is hidden in the connection error too (nothing listens on port 1).
    const unreachable = `postgres://punchcard:${password}@127.0.0.1:1/punchcard`;
    const refused = await runCli(['migrate'], cliEnv({ DATABASE_URL: unreachable, LOG_LEVEL: 'debug' }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/cannot connect to postgres:\/\/punchcard:\*\*\*@127\.0\.0\.1:1\/punchcard/);
    expect(refused.stderr.trim().split("\n")).toHaveLength(1); // one line, no stack trace
    expect(refused.stdout + refused.stderr).not.toContain(password);
  });
});
