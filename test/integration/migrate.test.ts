import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { describe, expect, test } from 'vitest';
import { spawnSync } from 'node:child_process';
import { openDatabase } from '../../src/db/connection.ts';
import { startEmbedded } from '../../src/db/embedded.ts';
import {
  assertSupportedServer,
  MigrationError,
  migrate,
  migrationStatus,
  pendingMigrations,
  readMigrations,
} from '../../src/db/migrate.ts';
import { createTestDatabase, dbTest, type TestDatabase } from '../support/database.ts';

const A = `CREATE TABLE mt_a (id bigint PRIMARY KEY, note text);\n`;
// Several statements, and a short sleep so concurrent runs overlap for real.
const B = `ALTER TABLE mt_a ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();
SELECT pg_sleep(0.2);
CREATE INDEX mt_a_created_at_idx ON mt_a (created_at);
`;
const C = `CREATE VIEW mt_a_notes AS SELECT id, note FROM mt_a WHERE note IS NOT NULL;\n`;

async function writeMigration(dir: string, name: string, sql: string): Promise<void> {
  await fs.mkdir(path.join(dir, name), { recursive: true });
  await fs.writeFile(path.join(dir, name, 'migration.sql'), sql);
}

/** An empty database and a temp migrations folder holding A and B. */
const migrationTest = test.extend<{ db: TestDatabase; dir: string }>({
  // eslint-disable-next-line no-empty-pattern
  db: async ({}, use) => {
    const db = await createTestDatabase({ empty: true });
    try {
      await use(db);
    } finally {
      await db.drop();
    }
  },
  // eslint-disable-next-line no-empty-pattern
  dir: async ({}, use) => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'punchcard-migrations-'));
    await writeMigration(dir, '20240101000000_a', A);
    await writeMigration(dir, '20240102000000_b', B);
    try {
      await use(dir);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
});

describe('migrate', () => {
  migrationTest('applies pending migrations in name order; a second run is a no-op', async ({ db, dir }) => {
    expect(await pendingMigrations(db.pool, dir)).toEqual(['20240101000000_a', '20240102000000_b']);

    const first = await migrate(db.pool, { migrationsDir: dir });
    expect(first).toEqual({ applied: ['20240101000000_a', '20240102000000_b'], alreadyApplied: 0 });

    const second = await migrate(db.pool, { migrationsDir: dir });
    expect(second).toEqual({ applied: [], alreadyApplied: 2 });
    expect(await pendingMigrations(db.pool, dir)).toEqual([]);

    await writeMigration(dir, '20240103000000_c', C);
    expect(await pendingMigrations(db.pool, dir)).toEqual(['20240103000000_c']);
    expect(await migrate(db.pool, { migrationsDir: dir })).toEqual({
      applied: ['20240103000000_c'],
      alreadyApplied: 2,
    });
    const { rows } = await db.pool.query('SELECT count(*)::int AS n FROM public."_prisma_migrations"');
    expect(rows[0].n).toBe(3);
  });

  migrationTest('two concurrent runs apply each migration exactly once', async ({ db, dir }) => {
    // Two pools: as if two processes started at the same moment.
    const p1 = new pg.Pool({ connectionString: db.url, max: 2 });
    const p2 = new pg.Pool({ connectionString: db.url, max: 2 });
    // An idle session the server ends later (the clone dropped WITH (FORCE)) must not surface as an
    // unhandled error of the run (seen once on the embedded PostgreSQL 15 in CI).
    for (const pool of [p1, p2]) pool.on('error', () => undefined);
    try {
      const [r1, r2] = await Promise.all([
        migrate(p1, { migrationsDir: dir }),
        migrate(p2, { migrationsDir: dir }),
      ]);
      // The lock covers a whole run: one process applies everything, the other finds it done.
      const results = [r1, r2].sort((x, y) => y.applied.length - x.applied.length);
      expect(results[0]).toEqual({ applied: ['20240101000000_a', '20240102000000_b'], alreadyApplied: 0 });
      expect(results[1]).toEqual({ applied: [], alreadyApplied: 2 });
    } finally {
      await Promise.all([p1.end(), p2.end()]);
    }
    const { rows } = await db.pool.query(
      'SELECT migration_name, count(*)::int AS n FROM public."_prisma_migrations" GROUP BY 1 ORDER BY 1',
    );
    expect(rows).toEqual([
      { migration_name: '20240101000000_a', n: 1 },
      { migration_name: '20240102000000_b', n: 1 },
    ]);
  });

  migrationTest('records rows the way Prisma does, with sha256 checksums of the files', async ({ db, dir }) => {
    await migrate(db.pool, { migrationsDir: dir });

    const cols = await db.pool.query(
      `SELECT column_name, data_type, character_maximum_length AS len, is_nullable, column_default
         FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name = '_prisma_migrations' ORDER BY ordinal_position`,
    );
    expect(cols.rows.map((c) => [c.column_name, c.data_type, c.len, c.is_nullable])).toEqual([
      ['id', 'character varying', 36, 'NO'],
      ['checksum', 'character varying', 64, 'NO'],
      ['finished_at', 'timestamp with time zone', null, 'YES'],
      ['migration_name', 'character varying', 255, 'NO'],
      ['logs', 'text', null, 'YES'],
      ['rolled_back_at', 'timestamp with time zone', null, 'YES'],
      ['started_at', 'timestamp with time zone', null, 'NO'],
      ['applied_steps_count', 'integer', null, 'NO'],
    ]);

    const { rows } = await db.pool.query(
      `SELECT id, checksum, migration_name, logs, rolled_back_at, applied_steps_count,
              finished_at IS NOT NULL AND finished_at >= started_at AS finished_ok
         FROM public."_prisma_migrations" ORDER BY migration_name`,
    );
    const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
    expect(rows).toEqual([
      expect.objectContaining({ migration_name: '20240101000000_a', checksum: sha(A) }),
      expect.objectContaining({ migration_name: '20240102000000_b', checksum: sha(B) }),
    ]);
    for (const r of rows) {
      expect(r.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(r).toMatchObject({ logs: null, rolled_back_at: null, applied_steps_count: 1, finished_ok: true });
    }
    expect((await readMigrations(dir)).map((m) => m.checksum)).toEqual([sha(A), sha(B)]);
  });

  migrationTest('an edited migration is detected and named', async ({ db, dir }) => {
    await migrate(db.pool, { migrationsDir: dir });

    // Line-ending changes alone (git autocrlf) are not an edit, as for Prisma.
    await fs.writeFile(path.join(dir, '20240101000000_a', 'migration.sql'), A.replace(/\n/g, '\r\n'));
    expect(await migrate(db.pool, { migrationsDir: dir })).toEqual({ applied: [], alreadyApplied: 2 });

    await fs.writeFile(path.join(dir, '20240101000000_a', 'migration.sql'), A + 'ALTER TABLE mt_a ADD COLUMN x int;\n');
    await writeMigration(dir, '20240103000000_c', C);

    const err = await migrate(db.pool, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as MigrationError).message).toMatch(/migration 20240101000000_a was edited after it was applied/);
    expect((err as MigrationError).migration).toBe('20240101000000_a');
    await expect(pendingMigrations(db.pool, dir)).rejects.toThrow(/20240101000000_a was edited/);
    // Nothing after the edited one was applied.
    expect((await migrationStatus(db.pool, dir)).pending).toEqual(['20240103000000_c']);
  });

  migrationTest('a failing migration is rolled back, not recorded, and named with its line', async ({ db, dir }) => {
    await writeMigration(dir, '20240103000000_c', `CREATE TABLE mt_c (id int);\nINSERT INTO mt_c VALUES ('nope');\n`);
    const err = await migrate(db.pool, { migrationsDir: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect((err as Error).message).toMatch(/migration 20240103000000_c failed: .*invalid input syntax.* at line 2/);

    const { rows } = await db.pool.query(`SELECT to_regclass('mt_c') AS c, to_regclass('mt_a') AS a`);
    expect(rows[0]).toEqual({ c: null, a: 'mt_a' }); // c rolled back; a and b stay applied
    expect(await pendingMigrations(db.pool, dir)).toEqual(['20240103000000_c']);
  });

  migrationTest('a run that Prisma recorded as failed blocks migrating', async ({ db, dir }) => {
    await migrate(db.pool, { migrationsDir: dir });
    await db.pool.query(
      `INSERT INTO public."_prisma_migrations" (id, checksum, migration_name, started_at)
       VALUES ('00000000-0000-4000-8000-000000000000', 'x', '20240103000000_c', now())`,
    );
    await writeMigration(dir, '20240103000000_c', C);
    await expect(migrate(db.pool, { migrationsDir: dir })).rejects.toThrow(/20240103000000_c is recorded as started but not finished/);
  });

  migrationTest('a folder without migration.sql is an error naming it', async ({ db, dir }) => {
    await fs.mkdir(path.join(dir, '20240104000000_empty'));
    await expect(migrate(db.pool, { migrationsDir: dir })).rejects.toThrow(/migration 20240104000000_empty has no migration.sql/);
  });
});

describe('the test template', () => {
  dbTest('holds every migration in prisma/migrations', async ({ db }) => {
    expect(await pendingMigrations(db.pool)).toEqual([]);
    const status = await migrationStatus(db.pool);
    expect(status.applied.length).toBe((await readMigrations()).length);
  });
});

describe('openDatabase', () => {
  dbTest('connects to a databaseUrl with a small pool tagged punchcard', async ({ db }) => {
    const lines: string[] = [];
    const handle = await openDatabase({ databaseUrl: db.url, logger: { info: (_o, m) => lines.push(m ?? '') } });
    try {
      expect(handle.embedded).toBe(false);
      const { rows } = await handle.pool.query(`SELECT current_setting('application_name') AS app, current_database() AS d`);
      expect(rows[0]).toEqual({ app: 'punchcard', d: db.name });
      expect(handle.pool.options.max).toBe(10);
    } finally {
      await handle.close();
      await handle.close(); // idempotent
    }
    expect(lines).toContain('connected to PostgreSQL');
  });

  test('names the server, without its password, when it cannot connect', async () => {
    await expect(openDatabase({ databaseUrl: 'postgres://u:s3cret@127.0.0.1:1/db' })).rejects.toThrow(
      /cannot connect to postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/db/,
    );
    await expect(openDatabase({ databaseUrl: 'postgres://u:s3cret@127.0.0.1:1/db' })).rejects.not.toThrow(/s3cret/);
  });
});

describe('embedded server', () => {
  test('initialises once, reuses its port, is shared by a second process, survives a stale pid file', async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'punchcard-embedded-'));
    if (process.getuid?.() === 0) await fs.chmod(tmp, 0o711); // the server runs as `postgres`
    const dataDir = path.join(tmp, 'home', 'pgdata');
    try {
      const first = await startEmbedded({ dataDir, postgresFlags: ['-c', 'fsync=off'] });
      try {
        expect(first.owned).toBe(true);
        expect(first.timings.initMs).toBeGreaterThan(0);
        expect((await fs.stat(dataDir)).mode & 0o777).toBe(0o700);
        expect((await fs.readFile(path.join(dataDir, 'punchcard-port'), 'utf8')).trim()).toBe(String(first.port));

        // Another process finding it running connects to it instead of starting a second server.
        const second = await openDatabase({ dataDir });
        try {
          expect(second.embedded).toBe(true);
          const { rows } = await second.pool.query('SELECT current_database() AS d, inet_server_port() AS p');
          expect(rows[0]).toEqual({ d: 'punchcard', p: first.port });
        } finally {
          await second.close(); // not its server: leaves it running
        }
        const c = new pg.Client(first.url);
        await c.connect();
        await c.end();
      } finally {
        await first.stop();
      }

      // A postmaster.pid left by a server that died (its pid no longer runs) does not block a start.
      const dead = spawnSync('true').pid;
      await fs.writeFile(path.join(dataDir, 'postmaster.pid'), `${dead}\n${dataDir}\n0\n${first.port}\n\n`);
      const again = await startEmbedded({ dataDir });
      try {
        expect(again).toMatchObject({ owned: true, port: first.port, timings: { initMs: null } });
      } finally {
        await again.stop();
      }
    } finally {
      await fs.rm(tmp, { recursive: true, force: true });
    }
  });
});

describe('PostgreSQL versions', () => {
  test('refuses a server older than 14 in one line naming its version, before any statement that writes', async () => {
    const sent: string[] = [];
    const fake = (num: string, version: string) => ({
      query: async (sql: string) => {
        sent.push(sql);
        return { rows: [{ num, version }] };
      },
    });
    await expect(assertSupportedServer(fake('130016', '13.16') as never)).rejects.toThrow(
      /^PostgreSQL 13\.16 is older than 14, the oldest punchcard runs on \(tested: 14 to 18\); upgrade the server$/,
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^SELECT current_setting/);
    await expect(assertSupportedServer(fake('140023', '14.23') as never)).resolves.toBeUndefined();
    await expect(assertSupportedServer(fake('180004', '18.4') as never)).resolves.toBeUndefined();
  });
});
