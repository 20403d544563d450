/** The runs ledger: one row per run, one per (stream, window) inside it (see load-window.ts). */
import { hostname } from 'node:os';
import type { Pool, PoolClient } from 'pg';
import { scrubSecrets } from '../errors.ts';
import { processAlive } from '../process-alive.ts';

/** A pool, or a client inside a transaction of the caller's. */
export type Queryable = Pool | PoolClient;

export interface RunPlan {
  kind: 'backfill' | 'sync';
  sources: string[];
  streams: string[];
  from: string;
  to: string;
  windowDays: number;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'partial' | 'interrupted' | 'skipped';

export function planKey(plan: RunPlan): string {
  return JSON.stringify([plan.kind, [...plan.sources].sort(), [...plan.streams].sort(), plan.from, plan.to, plan.windowDays]);
}

export async function startRun(pool: Queryable, plan: RunPlan, windowsPending?: number): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO punchcard.sync_runs (kind, plan_key, sources, streams, range_from, range_to, window_days, host, pid, windows_pending)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
    [plan.kind, planKey(plan), plan.sources, plan.streams, plan.from, plan.to, plan.windowDays, hostname(), process.pid, windowsPending ?? null],
  );
  return Number(rows[0]!.id);
}

/** A run that did not start because another process holds its lock: one finished row, status 'skipped'. */
export async function recordSkippedRun(pool: Pool, plan: RunPlan, reason: string): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO punchcard.sync_runs (kind, plan_key, sources, streams, range_from, range_to, window_days, host, pid, status, finished_at, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'skipped', now(), $10) RETURNING id`,
    [plan.kind, planKey(plan), plan.sources, plan.streams, plan.from, plan.to, plan.windowDays, hostname(), process.pid, scrubSecrets(reason)],
  );
  return Number(rows[0]!.id);
}

/** The latest run of the same plan that did not finish cleanly, for --resume. */
export async function findResumableRun(pool: Pool, plan: RunPlan): Promise<number | undefined> {
  const { rows } = await pool.query<{ id: string }>(
    `SELECT id FROM punchcard.sync_runs
     WHERE plan_key = $1 AND status IN ('running', 'failed', 'partial', 'interrupted')
     ORDER BY started_at DESC, id DESC LIMIT 1`,
    [planKey(plan)],
  );
  return rows[0] ? Number(rows[0].id) : undefined;
}

export async function reopenRun(pool: Queryable, runId: number, windowsPending?: number): Promise<void> {
  await pool.query(`UPDATE punchcard.sync_runs SET status = 'running', finished_at = NULL, error = NULL, host = $2, pid = $3, windows_pending = $4 WHERE id = $1`, [
    runId,
    hostname(),
    process.pid,
    windowsPending ?? null,
  ]);
}

/** Keys "source|account|stream|start|end" of the windows a run has committed. */
export async function committedWindows(pool: Queryable, runId: number): Promise<Set<string>> {
  const { rows } = await pool.query<{ key: string }>(
    `SELECT source || '|' || account || '|' || stream || '|' || window_start::text || '|' || window_end::text AS key
     FROM punchcard.sync_windows WHERE run_id = $1 AND status = 'succeeded'`,
    [runId],
  );
  return new Set(rows.map((r) => r.key));
}

export function windowKey(source: string, account: string, stream: string, start: string, end: string): string {
  return `${source}|${account}|${stream}|${start}|${end}`;
}

/**
 * Closes in-process runs a killed process left `running`: status 'failed', finished now, with the reason.
 * A run is known dead when it was started on this host by a process that no longer exists, or when
 * it is a sync of sources whose sync lock the caller holds (a live sync would hold it).
 */
export async function closeAbandonedRuns(pool: Pool, options: { lockedSyncSources?: readonly string[] } = {}): Promise<number> {
  const { rows } = await pool.query<{ id: string; kind: string; sources: string[]; host: string | null; pid: number | null }>(
    // A queued run (windows_pending set) belongs to no process: the fleet's workers carry it on.
    `SELECT id, kind, sources, host, pid FROM punchcard.sync_runs WHERE status = 'running' AND windows_pending IS NULL`,
  );
  const here = hostname();
  const locked = new Set(options.lockedSyncSources ?? []);
  const dead = rows.filter((run) => {
    if (run.host === here && run.pid === process.pid) return false;
    if (run.host === here && run.pid !== null && !processAlive(run.pid)) return true;
    return run.kind === 'sync' && run.sources.length > 0 && run.sources.every((source) => locked.has(source));
  });
  if (dead.length === 0) return 0;
  const { rowCount } = await pool.query(
    `UPDATE punchcard.sync_runs
     SET status = 'failed', finished_at = now(),
         error = 'abandoned: process ' || coalesce(pid::text, '?') || ' on ' || coalesce(host, '?') || ' ended without finishing this run (killed?)'
     WHERE id = ANY($1::bigint[]) AND status = 'running'`,
    [dead.map((run) => run.id)],
  );
  return rowCount ?? 0;
}

export async function finishRun(pool: Pool, runId: number, status: RunStatus, error?: string): Promise<void> {
  await pool.query(`UPDATE punchcard.sync_runs SET status = $2, finished_at = now(), error = $3 WHERE id = $1`, [runId, status, error === undefined ? null : scrubSecrets(error)]);
}
