/**
 * The migration runner. Migrations are kept in Prisma's layout,
 * `prisma/migrations/<timestamp>_<name>/migration.sql`, and recorded in Prisma's own table
 * `public._prisma_migrations`, the way `prisma migrate deploy` records them, so that
 * `prisma migrate status|deploy` agree with this runner wherever the Prisma engine is available
 * (it cannot be downloaded on every machine, hence this runner).
 *
 * Glossary
 * - applied: a row in _prisma_migrations with finished_at set and rolled_back_at NULL.
 * - failed: a row with finished_at NULL and rolled_back_at NULL (left by Prisma when a migration
 *   failed half-way; this runner never leaves one because each migration runs in a transaction).
 * - edited: applied, but the file's content no longer matches the recorded checksum.
 *
 * Each migration runs in its own transaction, so a migration must not contain statements that
 * cannot run in one (CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE before PG 12, VACUUM).
 * Runs are serialised by the same session advisory lock Prisma Migrate takes (72707369), so two
 * punchcard processes — or punchcard and Prisma — never migrate at the same time.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';

export interface MigrateLogger {
  info(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

export interface MigrateOptions {
  /** Folder holding `<name>/migration.sql`. Default: the repository's `prisma/migrations`. */
  migrationsDir?: string;
  logger?: MigrateLogger;
  /** How long to wait for another process's migration run. Default 5 minutes. */
  lockTimeoutMs?: number;
}

export interface MigrateResult {
  /** Names applied by this call, in order. */
  applied: string[];
  /** How many migrations were already applied before this call. */
  alreadyApplied: number;
}

export interface LocalMigration {
  name: string;
  file: string;
  sql: string;
  /** sha256 hex of the file's bytes, as Prisma records it. */
  checksum: string;
}

export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Applied migrations whose file changed since. */
  edited: string[];
  /** Migrations Prisma recorded as started but not finished (need `prisma migrate resolve`). */
  failed: string[];
  /** Applied migrations with no folder here (a newer checkout applied them, or one was deleted). */
  missingLocally: string[];
}

export class MigrationError extends Error {
  readonly migration: string | undefined;
  constructor(message: string, migration?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
    this.migration = migration;
  }
}

/** The oldest PostgreSQL major the migrations run on (column compression and `SET COMPRESSION` came in 14). */
export const OLDEST_SUPPORTED_PG_MAJOR = 14;

/**
 * Refuses, before anything is written, a server older than OLDEST_SUPPORTED_PG_MAJOR: its first
 * failure would otherwise be a syntax error deep in a migration. CI runs the migrations on 14–18.
 */
export async function assertSupportedServer(client: Pick<pg.ClientBase, 'query'>): Promise<void> {
  const { rows } = await client.query<{ num: string; version: string }>(
    `SELECT current_setting('server_version_num') AS num, current_setting('server_version') AS version`,
  );
  const major = Math.floor(Number(rows[0]!.num) / 10_000);
  if (major < OLDEST_SUPPORTED_PG_MAJOR) {
    throw new MigrationError(
      `PostgreSQL ${rows[0]!.version} is older than ${OLDEST_SUPPORTED_PG_MAJOR}, the oldest punchcard runs on (tested: 14 to 18); upgrade the server`,
    );
  }
}

/** Prisma Migrate's advisory lock key (schema-engine, postgres connector). */
export const PRISMA_MIGRATE_LOCK_KEY = 72707369;

export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL('../../prisma/migrations/', import.meta.url));

/** The DDL Prisma's schema engine uses for its table on PostgreSQL. */
const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS public."_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

export function checksumOf(sql: string | Buffer): string {
  return createHash('sha256').update(sql).digest('hex');
}

/**
 * Whether `sql` matches a recorded checksum, as Prisma decides it: the file as is, or with its
 * line endings converted either way (git may check files out with CRLF), and accepting the
 * non-zero-padded hex that old Prisma versions wrote.
 */
export function checksumMatches(sql: string, recorded: string): boolean {
  const variants = [sql, sql.replace(/\r\n/g, '\n'), sql.replace(/\r?\n/g, '\r\n')];
  return variants.some((v) => {
    const digest = createHash('sha256').update(v).digest();
    if (recorded.length === 64) return digest.toString('hex') === recorded;
    return [...digest].map((b) => b.toString(16)).join('') === recorded;
  });
}

/** The migrations in `dir`, sorted by folder name (Prisma's order). */
export async function readMigrations(dir: string = DEFAULT_MIGRATIONS_DIR): Promise<LocalMigration[]> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const names = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out: LocalMigration[] = [];
  for (const name of names) {
    const file = path.join(dir, name, 'migration.sql');
    let buf: Buffer;
    try {
      buf = await fs.readFile(file);
    } catch (err) {
      throw new MigrationError(`migration ${name} has no migration.sql (${file})`, name, { cause: err });
    }
    out.push({ name, file, sql: buf.toString('utf8'), checksum: checksumOf(buf) });
  }
  return out;
}

interface Row {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
}

async function readRecorded(db: pg.Pool | pg.PoolClient): Promise<Row[] | null> {
  const exists = await db.query<{ t: string | null }>(`SELECT to_regclass('public."_prisma_migrations"')::text AS t`);
  if (exists.rows[0]?.t == null) return null;
  const res = await db.query<Row>(
    `SELECT migration_name, checksum, finished_at, rolled_back_at
       FROM public."_prisma_migrations" ORDER BY started_at, migration_name`,
  );
  return res.rows;
}

function compare(local: LocalMigration[], recorded: Row[]): MigrationStatus {
  const live = recorded.filter((r) => r.rolled_back_at === null);
  const appliedRows = new Map<string, Row>();
  const failed = new Set<string>();
  for (const r of live) {
    if (r.finished_at !== null) appliedRows.set(r.migration_name, r);
    else failed.add(r.migration_name);
  }
  const localNames = new Set(local.map((m) => m.name));
  const status: MigrationStatus = { applied: [], pending: [], edited: [], failed: [], missingLocally: [] };
  for (const m of local) {
    const row = appliedRows.get(m.name);
    if (row) {
      status.applied.push(m.name);
      if (!checksumMatches(m.sql, row.checksum)) status.edited.push(m.name);
    } else if (failed.has(m.name)) {
      status.failed.push(m.name);
    } else {
      status.pending.push(m.name);
    }
  }
  for (const name of appliedRows.keys()) if (!localNames.has(name)) status.missingLocally.push(name);
  for (const name of failed) if (!localNames.has(name)) status.failed.push(name);
  return status;
}

function assertHealthy(status: MigrationStatus, dir: string): void {
  const edited = status.edited[0];
  if (edited !== undefined) {
    throw new MigrationError(
      `migration ${edited} was edited after it was applied (its checksum differs from the one recorded in ` +
        `_prisma_migrations). Restore ${path.join(dir, edited, 'migration.sql')} and put the change in a new migration.` +
        (status.edited.length > 1 ? ` Also edited: ${status.edited.slice(1).join(', ')}.` : ''),
      edited,
    );
  }
  const failed = status.failed[0];
  if (failed !== undefined) {
    throw new MigrationError(
      `migration ${failed} is recorded as started but not finished in _prisma_migrations (a failed Prisma run). ` +
        `Check the database, then mark it with \`prisma migrate resolve --rolled-back ${failed}\` ` +
        `(or set rolled_back_at on its row).`,
      failed,
    );
  }
}

/** Compares the migrations folder with `_prisma_migrations` without changing anything. */
export async function migrationStatus(pool: pg.Pool, dir: string = DEFAULT_MIGRATIONS_DIR): Promise<MigrationStatus> {
  const local = await readMigrations(dir);
  return compare(local, (await readRecorded(pool)) ?? []);
}

/**
 * Names of migrations not yet applied, in order. Throws a MigrationError when an applied
 * migration was edited or a failed Prisma run is recorded (the same checks `migrate` makes).
 */
export async function pendingMigrations(pool: pg.Pool, dir: string = DEFAULT_MIGRATIONS_DIR): Promise<string[]> {
  const status = await migrationStatus(pool, dir);
  assertHealthy(status, dir);
  return status.pending;
}

/** Applies pending migrations, in name order, each in its own transaction. */
export async function migrate(pool: pg.Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const dir = opts.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const logger = opts.logger;
  const local = await readMigrations(dir);

  const client = await pool.connect();
  let broken = false;
  let locked = false;
  // A connection ended by the server while we hold it must fail the next statement, not the process.
  const onError = () => {
    broken = true;
  };
  client.on('error', onError);
  try {
    await assertSupportedServer(client);
    await acquireLock(client, opts.lockTimeoutMs ?? 300_000);
    locked = true;
    await client.query(CREATE_MIGRATIONS_TABLE);

    // Read the state only now, under the lock: another process may just have migrated.
    const status = compare(local, (await readRecorded(client)) ?? []);
    assertHealthy(status, dir);
    if (status.missingLocally.length > 0) {
      logger?.warn?.(
        { migrations: status.missingLocally },
        'the database has migrations applied that are not in the migrations folder (an older checkout?)',
      );
    }

    const applied: string[] = [];
    const pending = new Set(status.pending);
    for (const m of local) {
      if (!pending.has(m.name)) continue;
      const t0 = performance.now();
      try {
        await client.query('BEGIN');
        // Simple-query protocol (no parameters): the file may hold many statements.
        await client.query(m.sql);
        await client.query(
          `INSERT INTO public."_prisma_migrations"
             (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
           VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
          [randomUUID(), m.checksum, m.name],
        );
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw new MigrationError(`migration ${m.name} failed: ${describePgError(err, m.sql)}`, m.name, { cause: err });
      }
      applied.push(m.name);
      logger?.info({ migration: m.name, ms: Math.round(performance.now() - t0) }, 'migration applied');
    }
    return { applied, alreadyApplied: status.applied.length };
  } catch (err) {
    if (!(err instanceof MigrationError)) broken = true;
    throw err;
  } finally {
    if (locked && !broken) {
      await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK_KEY]).catch(() => {
        broken = true;
      });
    }
    // A client whose state is unknown is destroyed, which also frees a lock it may still hold.
    client.off('error', onError);
    client.release(broken ? true : undefined);
  }
}

async function acquireLock(client: pg.PoolClient, timeoutMs: number): Promise<void> {
  await client.query(`SELECT set_config('lock_timeout', $1, false)`, [`${Math.max(1, Math.round(timeoutMs))}ms`]);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK_KEY]);
  } catch (err) {
    if ((err as { code?: string }).code === '55P03') {
      throw new MigrationError(
        `timed out after ${timeoutMs} ms waiting for the migration lock (pg_advisory_lock(${PRISMA_MIGRATE_LOCK_KEY})); ` +
          'another process is migrating this database or left a session holding the lock',
      );
    }
    throw err;
  } finally {
    await client.query('RESET lock_timeout').catch(() => undefined);
  }
}

function describePgError(err: unknown, sql: string): string {
  const e = err as Error & { code?: string; position?: string; detail?: string; hint?: string };
  let msg = e.message ?? String(err);
  if (e.code) msg += ` (SQLSTATE ${e.code})`;
  const pos = Number.parseInt(e.position ?? '', 10);
  if (Number.isInteger(pos) && pos > 0) {
    const before = sql.slice(0, pos - 1);
    const line = before.split('\n').length;
    const text = sql.split('\n')[line - 1]?.trim() ?? '';
    msg += ` at line ${line}: ${text}`;
  }
  if (e.detail) msg += `; ${e.detail}`;
  if (e.hint) msg += `; hint: ${e.hint}`;
  return msg;
}
