/** `punchcard check`: one line per check, non-zero exit when any fails, unconfigured sources reported as such. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTimeclockSimulator, type TimeclockSimulator } from '../../src/simulators/timeclock/index.ts';
import { DEFAULT_API_USERS, startClockodoSimulator, type ClockodoSimulator } from '../../src/simulators/clockodo/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';
import { readdirSync } from 'node:fs';

/** Every migration the project ships: an empty database has all of them pending. */
const MIGRATIONS = readdirSync(new URL('../../prisma/migrations', import.meta.url), { withFileTypes: true }).filter((e) => e.isDirectory()).length;

const TOKEN = 'check-token-0042';
let timeclock: TimeclockSimulator;
let clockodo: ClockodoSimulator;
let migrated: TestDatabase;
let empty: TestDatabase;

beforeAll(async () => {
  timeclock = await startTimeclockSimulator({ token: TOKEN, employees: 3 });
  clockodo = await startClockodoSimulator({ attendance: timeclock.dataset });
  [migrated, empty] = await Promise.all([createTestDatabase(), createTestDatabase({ empty: true })]);
});
afterAll(async () => {
  await timeclock?.close();
  await clockodo?.close();
  await migrated?.drop();
  await empty?.drop();
});

const user = DEFAULT_API_USERS[0]!;
const sources = (apiKey: string) => ({
  TIMECLOCK_API_URL: timeclock.url,
  TIMECLOCK_API_TOKEN: TOKEN,
  CLOCKODO_API_URL: clockodo.url,
  CLOCKODO_API_USER: user.email,
  CLOCKODO_API_KEY: apiKey,
});

describe('punchcard check', () => {
  it('passes with a migrated database and accepted credentials', async () => {
    const result = await runCli(['check'], cliEnv({ DATABASE_URL: migrated.url, ...sources(user.apiKey) }));
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines.map((l) => l.split(/\s+/)[0])).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
    expect(lines.map((l) => /^\S+\s+([\w ]+):/.exec(l)?.[1])).toEqual(['database', 'migrations', 'timeclock', 'timeclock stamps', 'clockodo']);
    // No public source shows the day group's format: check prints it as a one-day probe received it.
    expect(lines[4]).toMatch(/; day group of (\d{4}-\d\d-\d\d) sent as "\1" \(read as \1\)$/);
  });

  it('prints the day group as sent, in the form this account uses', async () => {
    const compact = await startClockodoSimulator({ attendance: timeclock.dataset, dayFormat: 'compact' });
    try {
      const result = await runCli(['check'], cliEnv({ DATABASE_URL: migrated.url, CLOCKODO_API_URL: compact.url, CLOCKODO_API_USER: user.email, CLOCKODO_API_KEY: user.apiKey }));
      expect(result.code).toBe(0);
      // YYYYMMDD as sent, and the same date as punchcard reads it.
      expect(result.stdout).toMatch(/^ok\s+clockodo: credentials accepted .*; day group of (\d{4})-(\d\d)-(\d\d) sent as "\1\2\3" \(read as \1-\2-\3\)$/m);
      expect(compact.requests.filter((r) => r.path === '/api/v2/entrygroups').map((r) => new URLSearchParams(r.query).getAll('grouping[]'))).toEqual([['day']]);
    } finally {
      await compact.close();
    }
  });

  it('fails on pending migrations and a refused key, and says which', async () => {
    const result = await runCli(['check'], cliEnv({ DATABASE_URL: empty.url, ...sources('wrong-key'), HTTP_RETRIES: '0' }));
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(new RegExp(`^failed\\s+migrations: ${MIGRATIONS} pending .*run \`punchcard migrate\`$`, 'm'));
    expect(result.stdout).toMatch(/^ok\s+timeclock:/m);
    expect(result.stdout).toMatch(/^failed\s+clockodo: .*credentials refused \(HTTP 401\)/m);
    expect(result.stdout + result.stderr).not.toContain('wrong-key');
  });

  it('reports an unconfigured source without failing on it', async () => {
    const result = await runCli(['check'], cliEnv({ DATABASE_URL: migrated.url, TIMECLOCK_API_URL: timeclock.url, TIMECLOCK_API_TOKEN: TOKEN }));
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^not configured\s+clockodo: no credentials set$/m);
  });
});
