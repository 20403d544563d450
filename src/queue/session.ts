/**
 * What `backfill`, `sync` and `retry-failed` share: the queue opened next to the warehouse, the
 * run enqueued, and — unless `--no-wait` — this process working the queue itself until the run is
 * settled, so one process alone behaves as before and every other worker just adds hands.
 */
import type { PgBoss } from 'pg-boss';
import type { Pool } from 'pg';
import type { Config } from '../config.ts';
import type { Logger } from '../logger.ts';
import type { RunPlan } from '../load/ledger.ts';
import { whileRunning, type RunSummary, type WindowEvent, type WindowTask } from '../pipeline/run.ts';
import { openQueue } from './boss.ts';
import { enqueueRun, fleetStreams, followRun, startWindowWorkers, type QueuedRun } from './runs.ts';

export interface QueueSession {
  boss: PgBoss;
  close(): Promise<void>;
}

export async function openQueueSession(config: Config, databaseUrl: string, logger: Logger, role: string, supervise: boolean): Promise<QueueSession> {
  const boss = await openQueue(databaseUrl, config.queue, logger, { role, supervise });
  return { boss, close: () => boss.stop({ graceful: true, timeout: 30_000 }) };
}

export interface QueuedRunRequest {
  plan: RunPlan;
  tasks: WindowTask[];
  resume?: boolean;
  /** false: enqueue and return (other workers do the work). */
  wait: boolean;
  /** Windows this process runs at once while it waits. */
  concurrency: number;
  /** Sources whose in-process sync lock the caller holds (their stale in-process runs can be closed). */
  lockedSyncSources?: readonly string[];
  onStart?: (total: number, alreadyCommitted: number) => void;
  onWindow?: (event: WindowEvent) => void;
}

type QueueDeps = { config: Config; pool: Pool; boss: PgBoss; logger: Logger; signal?: AbortSignal };

export type QueuedRunResult = { waited: true; summary: RunSummary } | { waited: false; run: QueuedRun };

export async function runOnQueue(deps: QueueDeps, request: QueuedRunRequest): Promise<QueuedRunResult> {
  if (!request.wait) return { waited: false, run: await enqueueRun(deps.boss, deps.pool, request.plan, request.tasks, { resume: request.resume, logger: deps.logger, lockedSyncSources: request.lockedSyncSources }) };
  // From its ledger row on, a run this process follows is wound down on Ctrl-C, not cut off.
  return whileRunning(async () => {
    const run = await enqueueRun(deps.boss, deps.pool, request.plan, request.tasks, { resume: request.resume, logger: deps.logger, lockedSyncSources: request.lockedSyncSources });
    return { waited: true as const, summary: await workAndFollow(deps, request, run) };
  });
}

async function workAndFollow(deps: QueueDeps, request: QueuedRunRequest, run: QueuedRun): Promise<RunSummary> {
  return workingTheQueue(deps, request.concurrency, (streams) =>
    followRun({ pool: deps.pool, boss: deps.boss, logger: deps.logger, run, streams, signal: deps.signal, onStart: request.onStart, onWindow: request.onWindow }),
  );
}

/** Runs `follow` while this process works window jobs with `concurrency` hands; stops them after. */
export async function workingTheQueue<T>(deps: QueueDeps, concurrency: number, follow: (streams: ReturnType<typeof fleetStreams>) => Promise<T>): Promise<T> {
  const streams = fleetStreams(deps.config, deps.pool, deps.logger, deps.signal);
  const stop = await startWindowWorkers(deps.boss, deps.config, { pool: deps.pool, logger: deps.logger, streams }, concurrency);
  try {
    return await follow(streams);
  } finally {
    await stop();
  }
}
