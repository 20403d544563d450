/**
 * The init script docker-compose.yml mounts into the postgres container, run for real with psql
 * against the test server: it creates a login role that is no superuser and cannot create roles
 * or databases, and a database it owns; `punchcard migrate` as that role then creates and owns
 * every warehouse schema, and a sync's tables are the role's own.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { cliEnv, runCli } from '../support/cli.ts';

const script = fileURLToPath(new URL('../../docker/postgres-init/10-punchcard-owner.sh', import.meta.url));
const server = new URL(inject('testDb').serverUrl);
const suffix = `${process.pid}_${Date.now() % 100_000}`;
const role = `punchcard_owner_${suffix}`;
const database = `punchcard_compose_${suffix}`;
const admin = new pg.Pool({ connectionString: server.toString(), max: 1 });

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => undefined);
  await admin.query(`DROP ROLE IF EXISTS "${role}"`).catch(() => undefined);
  await admin.end();
});

describe('docker/postgres-init', () => {
  it('security #3: the worker role owns the warehouse and is not a superuser', async () => {
    const run = spawnSync('sh', [script], {
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        PGHOST: server.hostname,
        PGPORT: server.port || '5432',
        PGPASSWORD: decodeURIComponent(server.password),
        POSTGRES_USER: decodeURIComponent(server.username) || 'postgres',
        POSTGRES_DB: server.pathname.slice(1) || 'postgres',
        PUNCHCARD_DB_USER: role,
        PUNCHCARD_DB_NAME: database,
        PUNCHCARD_DB_PASSWORD: "it's-a-Secret;--",
      },
    });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);

    const { rows: roles } = await admin.query(`SELECT rolsuper, rolcreaterole, rolcreatedb, rolcanlogin FROM pg_roles WHERE rolname = $1`, [role]);
    expect(roles).toEqual([{ rolsuper: false, rolcreaterole: false, rolcreatedb: false, rolcanlogin: true }]);

    const asOwner = new URL(server);
    asOwner.username = role;
    asOwner.password = '';
    asOwner.pathname = `/${database}`;
    const migrate = await runCli(['migrate'], cliEnv({ DATABASE_URL: asOwner.toString() }));
    expect(migrate.stderr).toBe('');
    expect(migrate.code).toBe(0);

    const check = new pg.Client({ connectionString: asOwner.toString() });
    await check.connect();
    try {
      const { rows } = await check.query(
        `SELECT nspname, pg_get_userbyid(nspowner) AS owner FROM pg_namespace WHERE nspname IN ('punchcard', 'reporting') ORDER BY 1`,
      );
      expect(rows).toEqual([
        { nspname: 'punchcard', owner: role },
        { nspname: 'reporting', owner: role },
      ]);
      const { rows: foreign } = await check.query(
        `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE n.nspname IN ('punchcard', 'reporting') AND pg_get_userbyid(c.relowner) <> $1`,
        [role],
      );
      expect(foreign[0].n).toBe(0);
    } finally {
      await check.end();
    }
  });
});
