/**
 * A fresh, migrated database per test (or per file): a clone of the run's template
 * (`CREATE DATABASE ... TEMPLATE ...`, a file copy — far faster than migrating again).
 *
 *   import { dbTest } from '../support/database.ts';
 *   dbTest('loads rows', async ({ db }) => { await db.pool.query('...'); });
 *
 * or, for one database shared by a file:
 *   let db: TestDatabase;
 *   beforeAll(async () => { db = await createTestDatabase(); });
 *   afterAll(() => db.drop());
 */
import pg from 'pg';
import { inject, test } from 'vitest';
import { quoteIdent, withDatabase } from './postgres-server.ts';

export interface TestDatabase {
  /** Database name, `punchcard_t_<runId>_<pid>_<n>`. */
  name: string;
  url: string;
  pool: pg.Pool;
  /** Ends the pool and drops the database (WITH (FORCE)). Idempotent. */
  drop(): Promise<void>;
}

let admin: pg.Pool | undefined;
let counter = 0;

function adminPool(serverUrl: string): pg.Pool {
  if (!admin) {
    admin = new pg.Pool({
      connectionString: serverUrl,
      max: 2,
      idleTimeoutMillis: 1_000,
      allowExitOnIdle: true,
      application_name: 'punchcard-test-admin',
    });
    admin.on('error', () => undefined);
  }
  return admin;
}

export interface CreateTestDatabaseOptions {
  /** An empty database (from template0) instead of a clone of the migrated template. */
  empty?: boolean;
}

export async function createTestDatabase(opts: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const ctx = inject('testDb');
  const name = `punchcard_t_${ctx.runId}_${process.pid}_${++counter}`;
  const admin = adminPool(ctx.serverUrl);
  const template = opts.empty ? 'template0' : ctx.template;

  // 55006: "source database is being accessed by other users" — the template is briefly busy.
  const deadline = Date.now() + 15_000;
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)} TEMPLATE ${quoteIdent(template)}`);
      break;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, Math.min(50 * attempt, 500) + Math.random() * 50));
    }
  }

  const url = withDatabase(ctx.serverUrl, name);
  const pool = new pg.Pool({ connectionString: url, max: 5, application_name: 'punchcard-test' });
  pool.on('error', () => undefined); // sessions ended by DROP ... WITH (FORCE)
  let dropped: Promise<void> | undefined;
  return {
    name,
    url,
    pool,
    drop() {
      dropped ??= (async () => {
        await pool.end().catch(() => undefined);
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
      })();
      return dropped;
    },
  };
}

/** `test` with a `db` fixture: a fresh migrated database per test, dropped afterwards. */
export const dbTest = test.extend<{ db: TestDatabase }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = await createTestDatabase();
    try {
      await use(db);
    } finally {
      await db.drop();
    }
  },
});
