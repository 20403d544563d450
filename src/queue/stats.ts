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

export function formatQueueMetrics(status: QueueStatus): string {
  const lines: string[] = [];
  const family = (name: string, help: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of samples) {
      const text = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',');
      lines.push(`${name}${text ? `{${text}}` : ''} ${value}`);
    }
  };
  family('punchcard_queue_jobs', 'Window jobs on the queue by state (waiting includes retrying).', [
    [{ state: 'waiting' }, status.waiting],
    [{ state: 'retrying' }, status.retrying],
    [{ state: 'active' }, status.active],
    [{ state: 'failed' }, status.failed],
  ]);
  family('punchcard_queue_oldest_waiting_seconds', 'Age of the oldest waiting window job (0 when none waits).', [[{}, status.oldestWaitingSeconds ?? 0]]);
  family(
    'punchcard_queue_worker_jobs_in_flight',
    'Window jobs each live queue instance held at its last heartbeat.',
    status.workers.filter((w) => w.live).map((w) => [{ worker: w.name }, w.inFlight]),
  );
  return `${lines.join('\n')}\n`;
}

