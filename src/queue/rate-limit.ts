/**
 * A request limit shared by every worker of the fleet: at most `limit` request starts per `span`
 * for one key (a clockodo API user's entrygroups GETs), kept as a sliding-window log in PostgreSQL.
 * pg-boss throttles sends, not requests inside a job (and a job retries its requests), so the
 * limit is counted where the requests start. Reservations of one key are serialised by a
 * transaction-level advisory lock; the database clock decides, so hosts' clocks may disagree.
 *
 * A reservation counts for span + margin: the request reaches the API a moment after it is
 * reserved, and that moment varies, so two requests a full span apart here may arrive a few
 * milliseconds closer there.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'pg';
import { inTransaction } from '../db/client.ts';
import type { RequestLimiter } from '../sources/clockodo/client.ts';

/** "rate" in ASCII: the first key of the limiter's advisory locks, a key space of its own. */
const RATE_LOCK_CLASS = 0x72617465;

export interface PgRateLimiterOptions {
  key: string;
  limit: number;
  spanMs: number;
  /** Default 1000 ms. */
  marginMs?: number;
}

export function createPgRateLimiter(pool: Pool, options: PgRateLimiterOptions): RequestLimiter {
  const windowMs = options.spanMs + (options.marginMs ?? 1000);
  return {
    async acquire(signal) {
      for (;;) {
        signal?.throwIfAborted();
        const waitMs = await inTransaction(pool, async (client) => {
          await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [RATE_LOCK_CLASS, options.key]);
          await client.query(`DELETE FROM punchcard.rate_events WHERE key = $1 AND at <= clock_timestamp() - $2 * interval '1 millisecond'`, [options.key, windowMs]);
          const { rows } = await client.query<{ n: number; wait_ms: number | null }>(
            `SELECT count(*)::int AS n,
                    ceil(extract(epoch FROM min(at) + $2 * interval '1 millisecond' - clock_timestamp()) * 1000)::float8 AS wait_ms
             FROM (SELECT at FROM punchcard.rate_events WHERE key = $1 ORDER BY at DESC LIMIT $3) AS recent`,
            [options.key, windowMs, options.limit],
          );
          const { n, wait_ms } = rows[0]!;
          if (n < options.limit) {
            await client.query('INSERT INTO punchcard.rate_events (key) VALUES ($1)', [options.key]);
            return 0;
          }
          return Math.max(1, wait_ms ?? 1);
        });
        if (waitMs === 0) return;
        await sleep(waitMs, undefined, { signal });
      }
    },
  };
}

/** The key a clockodo API user's entrygroups GETs are counted under. */
export function clockodoRateKey(url: string, user: string): string {
  return `clockodo:entrygroups:${url}:${user.toLowerCase()}`;
}
