/**
 * Cross-process, cross-host mutual exclusion of syncs: a session-level PostgreSQL advisory lock,
 * taken with `pg_try_advisory_lock` on a connection of its own that is held for the whole run.
 *
 * Keys are the two-int4 form `(PUNCHCARD_LOCK_CLASS, hashtext(name))`, a key space of its own:
 * it never collides with Prisma Migrate's single-bigint lock (72707369) nor with the loader's
 * per-stream `pg_advisory_xact_lock(hashtext(...))` (also the single-bigint form).
 *
 * The lock lives as long as its connection: a process that dies (even SIGKILL) frees it when the
 * server notices the closed socket. The connection's application_name names the holder
 * ("punchcard lock sync:timeclock host:pid"), so a process that finds the lock taken can say who
 * holds it.
 */
import { hostname } from 'node:os';
import pg from 'pg';
import type { Logger } from '../logger.ts';

/** "punc" in ASCII: the first key of every punchcard session lock. */
export const PUNCHCARD_LOCK_CLASS = 0x70756e63;

/** The lock a sync of one source takes (per source, whatever the account or streams). */
export function syncLockName(source: string): string {
  return `sync:${source}`;
}

export interface HeldLock {
  name: string;
  /** True once the lock's connection failed: the lock may be held by someone else now. */
  readonly lost: boolean;
  /** Unlocks and closes the connection. Idempotent; never throws. */
  release(): Promise<void>;
}

export type LockAttempt = { acquired: true; lock: HeldLock } | { acquired: false; holder: string | undefined };

export async function tryAdvisoryLock(databaseUrl: string, name: string, logger: Logger): Promise<LockAttempt> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: `punchcard lock ${name} ${hostname()}:${process.pid}`.slice(0, 63),
    connectionTimeoutMillis: 15_000,
  });
  let lost = false;
  client.on('error', (error) => {
    lost = true;
    logger.warn({ err: error, lock: name }, 'the connection holding the sync lock failed; the run goes on (loads stay serialised per stream)');
  });
  await client.connect();
  try {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [PUNCHCARD_LOCK_CLASS, name]);
    if (!rows[0]?.locked) {
      const holder = await lockHolder(client, name).catch(() => undefined);
      await client.end().catch(() => undefined);
      return { acquired: false, holder };
    }
  } catch (error) {
    await client.end().catch(() => undefined);
    throw error;
  }
  let released: Promise<void> | undefined;
  return {
    acquired: true,
    lock: {
      name,
      get lost() {
        return lost;
      },
      release() {
        released ??= (async () => {
          if (!lost) await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PUNCHCARD_LOCK_CLASS, name]).catch(() => undefined);
          await client.end().catch(() => undefined);
        })();
        return released;
      },
    },
  };
}

/** Who holds the lock: "<application_name> since <time>", when the server tells. */
async function lockHolder(client: pg.Client, name: string): Promise<string | undefined> {
  const { rows } = await client.query<{ who: string }>(
    `SELECT a.application_name || ' since ' || to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS who
     FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
       AND l.classid = $1::int4::oid AND l.objid = hashtext($2)::oid AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
    [PUNCHCARD_LOCK_CLASS, name],
  );
  return rows[0]?.who;
}
