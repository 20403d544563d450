/** A bad accounts file stops `backfill`, `sync` and `worker` with one line and exit 2, before anything is enqueued. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliEnv, runCli } from '../support/cli.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

let db: TestDatabase;
const dir = mkdtempSync(join(tmpdir(), 'punchcard-accounts-cli-'));
const tc = { source: 'timeclock', account: 'acme', url: 'http://127.0.0.1:9', token: { env: 'ACME_TC' } };
const ck = { source: 'clockodo', account: 'acme', url: 'http://127.0.0.1:9', user: 'ops@acme.example', key: { env: 'ACME_CK' } };

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const bad: Array<[string, unknown[], RegExp]> = [
  ['missing credential', [tc, { ...ck, key: { env: 'NOT_SET_ANYWHERE' } }], /accounts\[1\] \(clockodo "acme"\), field key: environment variable NOT_SET_ANYWHERE is not set/],
  ['duplicate label', [tc, ck, { ...tc, token: { env: 'ACME_CK' } }], /accounts\[2\] \(timeclock "acme"\), field account: duplicate label/],
  ['unknown source', [tc, { ...ck, source: 'toggl' }], /accounts\[1\] \(toggl "acme"\), field source: unknown source "toggl"/],
  ['inline secret', [tc, { ...ck, key: 'ck-inline-0f3a' }], /accounts\[1\] \(clockodo "acme"\), field key: an inline secret is not allowed/],
];

describe('a bad accounts file', () => {
  it.each(bad)('%s: one line, exit 2, nothing enqueued', async (name, accounts, message) => {
    const file = join(dir, `${name.replace(/ /g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ accounts }));
    chmodSync(file, 0o600);
    const env = cliEnv({ DATABASE_URL: db.url, PUNCHCARD_ACCOUNTS: file, ACME_TC: 'tc-secret', ACME_CK: 'ck-secret' });
    for (const args of [['backfill', '--from', '2025-11-01', '--to', '2025-11-02'], ['sync', '--no-wait'], ['worker']]) {
      const result = await runCli(args, env);
      expect(result.code).toBe(2);
      const lines = result.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^punchcard: PUNCHCARD_ACCOUNTS ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `));
      expect(lines[0]).toMatch(message);
      expect(result.stdout + result.stderr).not.toMatch(/tc-secret|ck-secret|ck-inline-0f3a/);
    }
    const { rows } = await db.pool.query<{ queue: string | null; runs: number }>(
      `SELECT to_regclass('pgboss.job')::text AS queue, (SELECT count(*)::int FROM punchcard.sync_runs) AS runs`,
    );
    expect(rows[0]).toEqual({ queue: null, runs: 0 });
  }, 60_000);
});
