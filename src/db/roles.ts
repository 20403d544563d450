/**
 * The read-only role for BI tools: USAGE on schema `reporting` and SELECT on its views (present
 * and future), nothing in the internal schema. Views run with their owner's rights, so the role
 * reads reporting data without any grant on the tables behind it.
 *
 * Role names and passwords are bound as parameters and quoted by PostgreSQL itself (format %I/%L):
 * DDL cannot take bind parameters directly, and no value is ever spliced into SQL text here.
 */
import type { Pool } from 'pg';
import { inTransaction } from './client.ts';

export interface BiRoleOptions {
  role: string;
  /** Sets (or changes) the login password; undefined keeps the current one. */
  password?: string;
}

export async function grantBiRole(pool: Pool, options: BiRoleOptions): Promise<{ created: boolean }> {
  return inTransaction(pool, async (client) => {
    await client.query(`SELECT set_config('punchcard.bi_role', $1, true), set_config('punchcard.bi_password', $2, true)`, [options.role, options.password ?? '']);
    const { rows } = await client.query<{ exists: boolean }>('SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS exists', [options.role]);
    const created = !rows[0]!.exists;
    await client.query(`
      DO $$
      DECLARE
        r text := current_setting('punchcard.bi_role');
        pw text := current_setting('punchcard.bi_password');
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
          EXECUTE format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', r);
        END IF;
        IF pw <> '' THEN
          EXECUTE format('ALTER ROLE %I PASSWORD %L', r, pw);
        END IF;
        EXECUTE format('REVOKE ALL ON SCHEMA punchcard FROM %I', r);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA punchcard FROM %I', r);
        EXECUTE format('GRANT USAGE ON SCHEMA reporting TO %I', r);
        EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO %I', r);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA reporting GRANT SELECT ON TABLES TO %I', r);
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), r);
      END
      $$`);
    return { created };
  });
}
