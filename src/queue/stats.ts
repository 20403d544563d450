/**
 * What `status` and /metrics show of the queue: window jobs waiting, in flight and failed, the age
 * of the oldest waiting job (read fresh from pg-boss's job table, which pg-boss documents as
 * queryable), and jobs in hand per worker (pg-boss's instance registry, refreshed on each
 * instance heartbeat, every 30 s).
 */
import type { PgBoss } from 'pg-boss';
import type { Pool } from 'pg';
import { WINDOW_QUEUE } from './boss.ts';

export interface QueueStatus {
  /** Window jobs waiting (created or retry), of which `retrying` wait for a retry. */
  waiting: number;
  retrying: number;
  active: number;
  /** Window jobs that ran out of attempts, still retained by the queue. */
  failed: number;
  /** Seconds the oldest waiting window job has waited; null when none waits. */
  oldestWaitingSeconds: number | null;
  workers: Array<{ name: string; host: string; pid: number; live: boolean; inFlight: number; heartbeatAt: string }>;
}

export async function readQueueStatus(boss: PgBoss, pool: Pool): Promise<QueueStatus> {
  const { rows } = await pool.query<{ waiting: number; retrying: number; active: number; failed: number; oldest: number | null }>(
    `SELECT count(*) FILTER (WHERE state IN ('created', 'retry'))::int AS waiting,
            count(*) FILTER (WHERE state = 'retry')::int AS retrying,
            count(*) FILTER (WHERE state = 'active')::int AS active,
            count(*) FILTER (WHERE state = 'failed')::int AS failed,
            extract(epoch FROM now() - min(created_on) FILTER (WHERE state IN ('created', 'retry')))::float8 AS oldest
     FROM pgboss.job WHERE name = $1`,
    [WINDOW_QUEUE],
  );
  const counts = rows[0]!;
  const instances = await boss.getInstances();
  const workers = instances
    .filter((instance) => instance.stoppedOn === null)
    .map((instance) => ({
      name: instance.name ?? instance.id,
      host: instance.host,
      pid: instance.pid,
      live: instance.live,
      inFlight: instance.workers.filter((w) => w.queue === WINDOW_QUEUE).reduce((sum, w) => sum + w.active, 0),
      heartbeatAt: new Date(instance.heartbeatOn).toISOString(),
    }));
  return { waiting: counts.waiting, retrying: counts.retrying, active: counts.active, failed: counts.failed, oldestWaitingSeconds: counts.oldest, workers };
}

/** Is the queue installed yet (the first worker or queued run installs it)? */
export async function queueInstalled(pool: Pool): Promise<boolean> {
  const { rows } = await pool.query<{ ok: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS ok`, ['pgboss.job']);
  return rows[0]!.ok;
}

