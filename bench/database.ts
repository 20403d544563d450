/**
 * The benchmark's databases, found the way the tests find theirs:
 *   1. BENCH_DATABASE_URL, else TEST_DATABASE_URL: an existing server (the URL's database is only
 *      used to connect; the role needs CREATEDB);
 *   2. else an embedded PostgreSQL 15 in a temporary folder (deleted afterwards).
 *
 * On that server the bench creates `punchcard_bench_<random>` (migrated once, used as a template)
 * and clones it for every run that must start from an empty warehouse
 * (`punchcard_bench_<random>_<label>`). `close()` drops all of them, and nothing else.
 *
 * The embedded server keeps PostgreSQL's default durability (fsync, synchronous_commit): the
 * figures are meant to describe a real installation, not a throwaway test cluster.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { migrate } from '../src/db/migrate.ts';
import { givenServer, quoteIdent, startEmbeddedServer, withDatabase, type PostgresServer } from '../test/support/postgres-server.ts';

export interface BenchDatabase {
  /** URL of the migrated template database (no session may stay in it while cloning). */
  templateUrl: string;
  provider: 'url' | 'embedded';
  /** Human-readable, password-free. */
  describe: string;
  /** A fresh migrated database (a clone of the template); `drop()` removes it. */
  clone(label: string): Promise<ClonedDatabase>;
  /** Runs `sql` on the maintenance connection (e.g. `SHOW server_version`). */
  adminQuery<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<T>>;
  close(): Promise<void>;
}

export interface ClonedDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

async function resolveServer(): Promise<PostgresServer & { provider: 'url' | 'embedded' }> {
  const url = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL;
  if (url) return { ...givenServer(url), provider: 'url' };
  return { ...(await startEmbeddedServer({ max_connections: '100' }, 'temporary, default durability')), provider: 'embedded' };
}

export async function openBenchDatabase(log: (message: string) => void): Promise<BenchDatabase> {
  const server = await resolveServer();
  const base = `punchcard_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: server.url, max: 2, application_name: 'punchcard-bench-admin' });
  admin.on('error', () => undefined);
  const created: string[] = [];

  const create = async (name: string, template?: string): Promise<void> => {
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await admin.query(`CREATE DATABASE ${quoteIdent(name)}${template ? ` TEMPLATE ${quoteIdent(template)}` : ''}`);
        created.push(name);
        return;
      } catch (err) {
        // 55006: the template is still being accessed (a pool closing); try again shortly.
        if ((err as { code?: string }).code !== '55006' || Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };

  const dropDatabase = async (name: string): Promise<void> => {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    const at = created.indexOf(name);
    if (at >= 0) created.splice(at, 1);
  };

  const close = async (): Promise<void> => {
    try {
      for (const name of [...created].reverse()) await dropDatabase(name).catch(() => undefined);
      await admin.end().catch(() => undefined);
    } finally {
      await server.stop();
    }
  };

  try {
    await create(base);
    const pool = new pg.Pool({ connectionString: withDatabase(server.url, base), max: 1 });
    try {
      await migrate(pool);
    } finally {
      await pool.end();
    }
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
  log(`database: ${server.describe}, template ${base}`);

  let clones = 0;
  return {
    templateUrl: withDatabase(server.url, base),
    provider: server.provider,
    describe: server.describe,
    async clone(label: string): Promise<ClonedDatabase> {
      const name = `${base}_${++clones}_${label.replace(/[^a-z0-9_]/g, '_')}`.slice(0, 63);
      await create(name, base);
      return { name, url: withDatabase(server.url, name), drop: () => dropDatabase(name) };
    },
    adminQuery: (sql, params) => admin.query(sql, params),
    close,
  };
}
