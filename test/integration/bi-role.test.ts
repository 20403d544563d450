/**
 * The BI role created by `punchcard grant-bi` reads every reporting view and nothing else:
 * no internal table, no personal column.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const role = `pc_bi_test_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
let db: TestDatabase;
let bi: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase();
  const result = await runCli(['grant-bi', '--role', role, '--password-env', 'BI_PASSWORD'], cliEnv({ DATABASE_URL: db.url, BI_PASSWORD: password }));
  expect(result.stderr).toBe('');
  expect(result.stdout).toMatch(new RegExp(`created role ${role}.*password set`));
  const url = new URL(db.url);
  url.username = role;
  url.password = password;
  bi = new pg.Pool({ connectionString: url.href, max: 2 });
  bi.on('error', () => undefined); // sessions ended by DROP DATABASE ... WITH (FORCE)
});

afterAll(async () => {
  await bi?.end();
  const admin = db?.pool;
  await db?.drop();
  // Roles are cluster-wide: drop the one this test created (its grants went with the database).
  if (admin) {
    const cleanup = new pg.Client({ connectionString: db.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });
    await cleanup.connect();
    await cleanup.query(`SELECT set_config('pc.role', $1, false)`, [role]);
    await cleanup.query(`DO $$ BEGIN EXECUTE format('DROP ROLE IF EXISTS %I', current_setting('pc.role')); END $$`);
    await cleanup.end();
  }
});

describe('BI role', () => {
  it('can select every reporting view', async () => {
    const { rows: views } = await db.pool.query<{ name: string }>(`SELECT format('%I.%I', schemaname, viewname) AS name FROM pg_views WHERE schemaname = 'reporting' ORDER BY 1`);
    expect(views.length).toBeGreaterThanOrEqual(8);
    for (const { name } of views) {
      await expect(bi.query(`SELECT * FROM ${name} LIMIT 1`), name).resolves.toBeDefined();
    }
  });

  it('cannot select any internal table, nor passport or birthday anywhere', async () => {
    const { rows: tables } = await db.pool.query<{ name: string }>(`SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname = 'punchcard' ORDER BY 1`);
    expect(tables.map((t) => t.name)).toContain('punchcard.tc_employees');
    for (const { name } of tables) {
      await expect(bi.query(`SELECT * FROM ${name} LIMIT 1`), name).rejects.toThrow(/permission denied/);
    }
    await expect(bi.query('SELECT passport, birthday FROM punchcard.tc_employees')).rejects.toThrow(/permission denied/);
    const { rows: personal } = await bi.query(`SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'reporting' AND column_name IN ('passport', 'birthday', 'gender')`);
    expect(personal).toEqual([]);
  });

  it('runs every example query of docs/bi-guide.md', async () => {
    const guide = readFileSync(new URL('../../docs/bi-guide.md', import.meta.url), 'utf8');
    const queries = [...guide.matchAll(/```sql\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(queries).toHaveLength(3);
    for (const query of queries) await expect(bi.query(query), query).resolves.toBeDefined();
  });
});
