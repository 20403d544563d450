/**
 * Runs on the queue. A run is planned as one job per (account, stream, window), inserted with the
 * run's ledger row in one transaction (pg-boss takes our transaction as its `db`), so a run exists
 * exactly when its jobs do. Any worker takes any job; each job is the per-window unit (syncWindow:
 * fetch, transform, load and ledger row in one transaction). A window's outcome — committed, or
 * failed once the queue gave up on it — counts the run's windows_pending down in the transaction
 * that records it, and whoever records the last one settles the run.
 */
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { Job, JobWithMetadata, PgBoss } from 'pg-boss';
import pg, { type Pool, type PoolClient } from 'pg';
import type { Config } from '../config.ts';
import { inTransaction } from '../db/client.ts';
import { describeError, SourceError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { closeAbandonedRuns, committedWindows, findResumableRun, reopenRun, startRun, windowKey, type RunPlan, type RunStatus } from '../load/ledger.ts';
import { recordFailedWindow, type WindowCounts, type WindowIdentity } from '../load/load-window.ts';
import { detectRestatements } from '../load/pay-periods.ts';
import { withDatabaseRetries } from '../load/retryable.ts';
import type { RunSummary, WindowEvent, WindowTask } from '../pipeline/run.ts';
import { disposeWindow, syncWindow } from '../pipeline/window.ts';
import type { Stream } from '../pipeline/stream.ts';
import { buildStreams } from '../sources/registry.ts';
import { FAILED_WINDOW_QUEUE, groupOf, groupTiers, NIGHTLY_QUEUE, transactionDb, WINDOW_QUEUE, windowPriority, type NightlyJobData, type WindowJobData } from './boss.ts';
import { takeGroupSlot, type GroupSlot } from './group-turn.ts';
import { createPrefetcher, type Prefetcher } from './prefetch.ts';
import { clockodoRateKey, createPgRateLimiter } from './rate-limit.ts';

export interface QueuedRun {
  runId: number;
  total: number;
  alreadyCommitted: number;
  enqueued: number;
  /** The run's last ledger row before this enqueue: following it reports only what comes after. */
  ledgerMark: string;
}

async function ledgerMark(pool: Pool, runId: number): Promise<string> {
  const { rows } = await pool.query<{ mark: string }>('SELECT coalesce(max(id), 0)::text AS mark FROM punchcard.sync_windows WHERE run_id = $1', [runId]);
  return rows[0]!.mark;
}

const streamKey = (source: string, account: string, stream: string) => `${source}|${account}|${stream}`;

function jobData(runId: number, task: WindowTask): WindowJobData {
  return { runId, source: task.stream.source, account: task.stream.account, stream: task.stream.name, start: task.window.start, end: task.window.end };
}

/** A window job, biggest first (windowPriority), in its stream's concurrency group when the stream has one. */
function jobOf(data: WindowJobData) {
  const group = groupOf(data.source, data.account, data.stream);
  return { data, priority: windowPriority(data.source, data.stream), ...(group ? { group } : {}) };
}

const jobFor = (runId: number, task: WindowTask) => jobOf(jobData(runId, task));

/** Jobs of a run that a worker holds or will take (created, retry, active). */
async function liveJobs(boss: PgBoss, runId: number): Promise<Array<Job<WindowJobData> & { state: string }>> {
  const jobs = await boss.findJobs<WindowJobData>(WINDOW_QUEUE, { data: { runId }, limit: 100_000 });
  return jobs.filter((job) => job.state === 'created' || job.state === 'retry' || job.state === 'active');
}

/**
 * Plans a run on the queue. With `resume`, the latest unfinished run of the same plan is reopened:
 * its committed windows stay, windows a worker still holds or will take are left to it, and the
 * rest are enqueued again.
 */
export async function enqueueRun(
  boss: PgBoss,
  pool: Pool,
  plan: RunPlan,
  tasks: WindowTask[],
  options: { resume?: boolean; logger: Logger; lockedSyncSources?: readonly string[] },
): Promise<QueuedRun> {
  const abandoned = await closeAbandonedRuns(pool, { lockedSyncSources: options.lockedSyncSources });
  if (abandoned > 0) options.logger.info({ runs: abandoned }, 'closed runs left running by a process that ended without finishing them');
  const resumable = options.resume ? await findResumableRun(pool, plan) : undefined;
  if (options.resume && resumable === undefined) options.logger.info('nothing to resume for this plan: starting a new run');
  if (resumable === undefined) {
    const runId = await inTransaction(pool, async (client) => {
      const id = await startRun(client, plan, tasks.length);
      if (tasks.length > 0) await boss.insert(WINDOW_QUEUE, tasks.map((task) => jobFor(id, task)), { db: transactionDb(client) });
      return id;
    });
    if (tasks.length === 0) await settleRun(pool, runId, options.logger);
    return { runId, total: tasks.length, alreadyCommitted: 0, enqueued: tasks.length, ledgerMark: '0' };
  }
  const runId = resumable;
  const mark = await ledgerMark(pool, runId);
  const committed = await committedWindows(pool, runId);
  const live = new Set((await liveJobs(boss, runId)).map((job) => windowKey(job.data.source, job.data.account, job.data.stream, job.data.start, job.data.end)));
  const key = (task: WindowTask) => windowKey(task.stream.source, task.stream.account, task.stream.name, task.window.start, task.window.end);
  const open = tasks.filter((task) => !committed.has(key(task)));
  const again = open.filter((task) => !live.has(key(task)));
  await inTransaction(pool, async (client) => {
    await reopenRun(client, runId, open.length);
    if (again.length > 0) await boss.insert(WINDOW_QUEUE, again.map((task) => jobFor(runId, task)), { db: transactionDb(client) });
  });
  options.logger.info({ runId, committedWindows: tasks.length - open.length, enqueued: again.length, inFlight: open.length - again.length }, 'resuming run');
  if (open.length === 0) await settleRun(pool, runId, options.logger);
  return { runId, total: tasks.length, alreadyCommitted: tasks.length - open.length, enqueued: again.length, ledgerMark: mark };
}

/**
 * `punchcard retry-failed`: the failed windows no later run has loaded again, enqueued once more
 * in the runs they failed in (each run reopened, counting down just those windows).
 */
export async function requeueFailedWindows(boss: PgBoss, pool: Pool, logger: Logger): Promise<QueuedRun[]> {
  const { rows } = await pool.query<WindowJobData & { runId: string }>(
    `SELECT DISTINCT run_id::text AS "runId", source, account, stream, window_start::text AS start, window_end::text AS "end"
     FROM punchcard.outstanding_failed_windows ORDER BY 1, 2, 3, 4, 5`,
  );
  const byRun = new Map<number, WindowJobData[]>();
  for (const row of rows) {
    const runId = Number(row.runId);
    byRun.set(runId, byRun.get(runId) ?? []).get(runId)!.push({ ...row, runId });
  }
  const runs: QueuedRun[] = [];
  for (const [runId, windows] of byRun) {
    const mark = await ledgerMark(pool, runId);
    await inTransaction(pool, async (client) => {
      await reopenRun(client, runId, windows.length);
      await boss.insert(WINDOW_QUEUE, windows.map(jobOf), { db: transactionDb(client) });
    });
    logger.info({ runId, windows: windows.length }, 'failed windows enqueued again');
    runs.push({ runId, total: windows.length, alreadyCommitted: 0, enqueued: windows.length, ledgerMark: mark });
  }
  return runs;
}

/** A second commit of a window in one run: it rolled back whole. */
class AlreadyCommittedError extends Error {
  constructor() {
    super('another worker committed this window first');
    this.name = 'AlreadyCommittedError';
  }
}

/**
 * In the transaction that records one window's outcome (its ledger row already written): counts
 * the run down and returns what is left (undefined for a run that is not queued). The update locks
 * the run's row until commit, so outcomes of one run are recorded one after the other, and a
 * window committed twice in a run (a retried job whose first worker was only slow, a resumed run)
 * is seen here and rolled back whole: each window is committed exactly once.
 */
async function countDown(client: PoolClient, data: WindowJobData): Promise<number | undefined> {
  const { rows } = await client.query<{ left: number }>(
    `UPDATE punchcard.sync_runs SET windows_pending = windows_pending - 1 WHERE id = $1 AND status = 'running' AND windows_pending > 0 RETURNING windows_pending AS left`,
    [data.runId],
  );
  // A statement of its own, after the update: its snapshot is taken once the run's row lock is ours,
  // so it sees the ledger row of whoever held the lock before (one CTE with the update would not).
  const { rows: earlier } = await client.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM punchcard.sync_windows
     WHERE run_id = $1 AND status = 'succeeded' AND (source, account, stream, window_start, window_end) = ($2, $3, $4, $5::date, $6::date)`,
    [data.runId, data.source, data.account, data.stream, data.start, data.end],
  );
  // Our own row is uncommitted but visible to us: one is us, two is a second commit.
  if (earlier[0]!.n > 1) throw new AlreadyCommittedError();
  return rows[0]?.left;
}

/**
 * Finishes a run whose windows all have an outcome: succeeded, partial or failed from the ledger.
 * Idempotent and race-free: only the caller whose update claims the run checks for restatements.
 */
export async function settleRun(pool: Pool, runId: number, logger: Logger): Promise<RunStatus | undefined> {
  const { rows } = await pool.query<{ succeeded: number; failed: number; error: string | null }>(
    `WITH w AS (
       SELECT bool_or(status = 'succeeded') AS ok FROM punchcard.sync_windows WHERE run_id = $1
       GROUP BY source, account, stream, window_start, window_end)
     SELECT (SELECT count(*) FILTER (WHERE ok) FROM w)::int AS succeeded,
            (SELECT count(*) FILTER (WHERE NOT ok) FROM w)::int AS failed,
            (SELECT error FROM punchcard.sync_windows WHERE run_id = $1 AND status = 'failed' ORDER BY id LIMIT 1) AS error`,
    [runId],
  );
  const { succeeded, failed, error } = rows[0]!;
  const status: RunStatus = failed === 0 ? 'succeeded' : succeeded === 0 ? 'failed' : 'partial';
  // The run's final status and its restatements commit together: whoever sees it settled sees them.
  const settled = await withDatabaseRetries(
    () =>
      inTransaction(pool, async (client) => {
        const claimed = await client.query(
          `UPDATE punchcard.sync_runs SET status = $2, finished_at = now(), error = $3 WHERE id = $1 AND status = 'running' AND windows_pending = 0`,
          [runId, status, failed === 0 ? null : error],
        );
        if (claimed.rowCount !== 1) return undefined;
        return { restatements: succeeded > 0 ? await detectRestatements(client, runId) : 0 };
      }),
    { attempts: 4, baseDelayMs: 200 },
  );
  if (settled === undefined) return undefined;
  if (settled.restatements > 0) logger.warn({ runId, restatements: settled.restatements }, 'closed pay periods changed: see reporting.restatements');
  logger.info({ runId, status, windowsSucceeded: succeeded, windowsFailed: failed }, `run ${runId} ${status}`);
  return status;
}

/** What a worker needs to take window jobs: the warehouse, and the streams of every configured account. */
export interface WindowWorkerDeps {
  pool: Pool;
  logger: Logger;
  streams: Map<string, Stream>;
  /** Each group tier's cap (boss.ts groupTiers): a grouped job holds one of its group's slots while it works (group-turn.ts). */
  groupTiers?: Record<string, number>;
  /** Connections that hold those slots, one per hand. */
  groupSlots?: Pool;
  /** Fetches a group's next window while this one loads (prefetch.ts). */
  prefetcher?: Prefetcher;
}

/**
 * Streams of every account, keyed by (source, account, stream). clockodo's entrygroups limit is
 * counted in PostgreSQL, per API user, across the fleet.
 */
export function fleetStreams(config: Config, pool: Pool, logger: Logger, signal?: AbortSignal): Map<string, Stream> {
  const streams = buildStreams(config, {}, {
    logger,
    signal,
    clockodoLimiter: (account) =>
      createPgRateLimiter(pool, { key: clockodoRateKey(account.url, account.user), limit: account.entrygroupsPerMinute, spanMs: account.entrygroupsSpanSeconds * 1000 }),
  });
  return new Map(streams.map((stream) => [streamKey(stream.source, stream.account, stream.name), stream]));
}

function identityOf(data: WindowJobData): WindowIdentity {
  return { runId: data.runId, source: data.source, account: data.account, stream: data.stream, window: { start: data.start, end: data.end }, startedAt: new Date() };
}

async function runState(pool: Pool, data: WindowJobData): Promise<{ running: boolean; committed: boolean }> {
  const { rows } = await pool.query<{ running: boolean; committed: boolean }>(
    `SELECT r.status = 'running' AS running,
            EXISTS (SELECT 1 FROM punchcard.sync_windows w
                    WHERE w.run_id = r.id AND w.status = 'succeeded' AND (w.source, w.account, w.stream, w.window_start, w.window_end) = ($2, $3, $4, $5::date, $6::date)) AS committed
     FROM punchcard.sync_runs r WHERE r.id = $1`,
    [data.runId, data.source, data.account, data.stream, data.start, data.end],
  );
  return rows[0] ?? { running: false, committed: false };
}


/** One window job: the per-window unit, then the run settled if this was its last window. */
export async function processWindowJob(deps: WindowWorkerDeps, job: Job<WindowJobData>): Promise<WindowCounts | undefined> {
  const data = job.data;
  const log = deps.logger.child({ runId: data.runId, source: data.source, account: data.account, stream: data.stream, window: `${data.start}..${data.end}`, attempt: job.retryCount + 1 });
  const stream = deps.streams.get(streamKey(data.source, data.account, data.stream));
  if (!stream) throw new Error(`this worker has no ${data.source} account "${data.account}" with stream ${data.stream}: give every worker the same PUNCHCARD_ACCOUNTS`);
  const notNeeded = async () => {
    const state = await runState(deps.pool, data);
    if (state.running && !state.committed) return false;
    log.info({ runRunning: state.running, committed: state.committed }, 'window not needed any more; job completed without work');
    await disposeWindow(await deps.prefetcher?.take(job));
    return true;
  };
  if (await notNeeded()) return undefined;
  const cap = job.groupId && job.groupTier ? deps.groupTiers?.[job.groupTier] : undefined;
  let slot: GroupSlot | undefined;
  if (cap !== undefined && deps.groupSlots) {
    const group = { id: job.groupId!, cap };
    const onWait = () => log.info({ group: group.id, cap }, 'admitted past its group\'s cap by a simultaneous fetch: waiting for its turn');
    // While it waits, the run may be stopped or the window committed by another attempt.
    slot = await takeGroupSlot(deps.groupSlots, group, onWait, async () => (await runState(deps.pool, data)).running === false);
    if (slot === undefined) {
      await notNeeded(); // gave up waiting: the run stopped
      return undefined;
    }
    if (slot.waitedMs > 0) {
      log.info({ group: group.id, waitedMs: slot.waitedMs }, 'group turn taken');
      if (await notNeeded()) {
        await slot.release();
        return undefined;
      }
    }
  }
  try {
    return await workWindow(deps, job, stream, log);
  } finally {
    await slot?.release();
  }
}

async function workWindow(deps: WindowWorkerDeps, job: Job<WindowJobData>, stream: Stream, log: Logger): Promise<WindowCounts | undefined> {
  const data = job.data;
  const started = Date.now();
  log.info('window started');
  let left: number | undefined;
  try {
    const prefetched = await deps.prefetcher?.take(job);
    const identity = identityOf(data);
    const counts = await syncWindow(deps.pool, identity, { stream, window: identity.window }, log, {
      prepared: prefetched,
      afterPrepare: () => deps.prefetcher?.startAfter(job, stream),
      hooks: {
        beforeCommit: async (client) => {
          left = await countDown(client, data);
        },
      },
    });
    log.info({ ms: Date.now() - started, prefetched: prefetched !== undefined, ...counts }, 'window done');
    if (left === 0) await settleRun(deps.pool, data.runId, log);
    return counts;
  } catch (error) {
    if (error instanceof AlreadyCommittedError) {
      log.warn('another worker committed this window first; this attempt rolled back whole');
      return undefined;
    }
    log.warn({ err: error, ms: Date.now() - started }, 'window attempt failed; the queue retries it with backoff');
    throw error;
  }
}

/** A window job that ran out of attempts (dead-lettered): a failed window in the ledger. */
export async function processFailedWindowJob(deps: Pick<WindowWorkerDeps, 'pool' | 'logger'>, job: JobWithMetadata<WindowJobData>): Promise<void> {
  const data = job.data;
  const log = deps.logger.child({ runId: data.runId, source: data.source, account: data.account, stream: data.stream, window: `${data.start}..${data.end}` });
  const state = await runState(deps.pool, data);
  if (!state.running || state.committed) return;
  const message = failureMessage(job.sourceOutput);
  let left: number | undefined;
  await withDatabaseRetries(
    () =>
      recordFailedWindow(deps.pool, identityOf(data), message, {
        beforeCommit: async (client) => {
          left = await countDown(client, data);
        },
      }),
    { attempts: 4, baseDelayMs: 200 },
  );
  log.error({ error: message, attempts: (job.sourceRetryCount ?? 0) + 1 }, 'window failed');
  if (left === 0) await settleRun(deps.pool, data.runId, log);
}

function failureMessage(output: unknown): string {
  const message = (output as { message?: unknown } | null)?.message ?? (output as { value?: { message?: unknown } } | null)?.value?.message;
  return typeof message === 'string' ? message : describeError(output ?? 'the job failed');
}

const HAND_STAGGER_MS = 100;

/** Is this process the queue's only live instance (pg-boss's registry: not stopped, heard from lately)? */
async function onlyLiveInstance(boss: PgBoss): Promise<boolean> {
  const me = `${hostname()}:${process.pid}`;
  return (await boss.getInstances()).every((instance) => !instance.live || `${instance.host}:${instance.pid}` === me);
}

/**
 * Starts taking window jobs (and recording dead-lettered ones) in this process; returns a stop function.
 *
 * One pg-boss worker per hand, each taking one window at a time. pg-boss waits its polling interval
 * after every fetch, a job or not (its burst mode reads a ready count cached every few seconds, so it
 * seldom engages), and windows are often shorter than that interval. So a hand that has finished a
 * window asks for the next at once (notifyWorker skips that one wait); when the fetch comes back
 * empty (nothing ready, or every ready job's group at its cap) the hand polls at the interval again.
 */
export async function startWindowWorkers(boss: PgBoss, config: Config, deps: WindowWorkerDeps, concurrency: number): Promise<() => Promise<void>> {
  const tiers = groupTiers(config);
  const groupConcurrency = { default: 1_000, tiers };
  const prefetcher = createPrefetcher(deps.pool, deps.logger, (data) => deps.streams.get(streamKey(data.source, data.account, data.stream)), { alone: () => onlyLiveInstance(boss) });
  // One connection per hand: a hand holds at most one slot, so a hand never waits on the pool for it.
  const groupSlots = new pg.Pool({ ...deps.pool.options, max: concurrency, application_name: `punchcard group slots ${hostname()}:${process.pid}`.slice(0, 63) });
  groupSlots.on('error', (error) => deps.logger.warn({ err: error }, 'a group slot connection failed; its slot is free again'));
  const gated = { ...deps, groupTiers: tiers, prefetcher, groupSlots };
  const hands: string[] = [];
  const stopHands = () => Promise.all(hands.map((id) => boss.offWork(WINDOW_QUEUE, { id, wait: true })));
  let failures: string;
  try {
    for (let hand = 0; hand < concurrency; hand++) {
      // Hands started together fetch together, and pg-boss then admits both past a group's cap (one
      // of them would only wait its turn: group-turn.ts). Apart by HAND_STAGGER_MS, the second sees
      // the first's job active and takes other work.
      if (hand > 0) await new Promise((resolve) => setTimeout(resolve, HAND_STAGGER_MS));
      // Known once work() returns, which is before this hand can have fetched, let alone finished, a job.
      let self: string | undefined;
      self = await boss.work<WindowJobData>(
        WINDOW_QUEUE,
        { localConcurrency: 1, batchSize: 1, pollingIntervalSeconds: 0.5, groupConcurrency, perJobResults: true as const },
        async ([job]) => {
          try {
            await processWindowJob(gated, job!);
            return [{ id: job!.id, status: 'completed' as const }];
          } catch (error) {
            // Another attempt cannot help (credentials refused, a request the API rejects): a failed window now.
            if (error instanceof SourceError && !error.retryable) return [{ id: job!.id, status: 'deadletter' as const, output: { message: describeError(error) } }];
            throw error;
          } finally {
            if (self !== undefined) boss.notifyWorker(self);
          }
        },
      );
      hands.push(self);
    }
    failures = await boss.work<WindowJobData>(FAILED_WINDOW_QUEUE, { batchSize: 1, pollingIntervalSeconds: 1, includeMetadata: true as const }, async ([job]) => {
      await processFailedWindowJob(deps, job as JobWithMetadata<WindowJobData>);
    });
  } catch (error) {
    await stopHands();
    await prefetcher.close();
    await groupSlots.end();
    throw error;
  }
  return async () => {
    await stopHands();
    await prefetcher.close();
    await groupSlots.end();
    await boss.offWork(FAILED_WINDOW_QUEUE, { id: failures, wait: true });
  };
}

export interface WaitOptions {
  pool: Pool;
  boss: PgBoss;
  logger: Logger;
  run: QueuedRun;
  streams: Map<string, Stream>;
  signal?: AbortSignal;
  onStart?: (total: number, alreadyCommitted: number) => void;
  onWindow?: (event: WindowEvent) => void;
  pollMs?: number;
}

interface LedgerRow {
  id: string;
  source: string;
  account: string;
  stream: string;
  start: string;
  end: string;
  status: 'succeeded' | 'failed';
  received: number;
  inserted: number;
  updated: number;
  deleted: number;
  rejected: number;
  error: string | null;
  ms: number;
}

/**
 * Follows a run until it is settled, reporting each window the ledger records (whichever worker
 * recorded it). On the stop signal the run's queued jobs are cancelled and the run is marked
 * interrupted; windows in flight finish or roll back, and `--resume` enqueues the rest again.
 */
export async function followRun(options: WaitOptions): Promise<RunSummary> {
  const { pool, run } = options;
  const started = Date.now();
  const summary: RunSummary = {
    runId: run.runId,
    status: 'running',
    windows: { total: run.total, succeeded: 0, failed: 0, skipped: 0, alreadyCommitted: run.alreadyCommitted },
    rows: { received: 0, inserted: 0, updated: 0, deleted: 0, rejected: 0 },
    failures: [],
    restatements: 0,
    durationMs: 0,
  };
  options.onStart?.(run.total, run.alreadyCommitted);
  let lastId = run.ledgerMark;
  const seen = async () => {
    const { rows } = await pool.query<LedgerRow>(
      `SELECT id, source, account, stream, window_start::text AS start, window_end::text AS "end", status,
              coalesce(rows_received, 0)::int AS received, coalesce(rows_inserted, 0)::int AS inserted, coalesce(rows_updated, 0)::int AS updated,
              coalesce(rows_deleted, 0)::int AS deleted, coalesce(rows_rejected, 0)::int AS rejected, error,
              coalesce(extract(epoch FROM finished_at - started_at) * 1000, 0)::int AS ms
       FROM punchcard.sync_windows WHERE run_id = $1 AND id > $2 ORDER BY id`,
      [run.runId, lastId],
    );
    for (const row of rows) {
      lastId = row.id;
      const stream = options.streams.get(streamKey(row.source, row.account, row.stream)) ?? ({ source: row.source, account: row.account, name: row.stream } as Stream);
      const task = { stream, window: { start: row.start, end: row.end } };
      if (row.status === 'succeeded') {
        summary.windows.succeeded += 1;
        const counts = { received: row.received, inserted: row.inserted, updated: row.updated, deleted: row.deleted, rejected: row.rejected };
        for (const key of Object.keys(counts) as Array<keyof WindowCounts>) summary.rows[key] += counts[key];
        options.onWindow?.({ task, outcome: 'succeeded', counts, durationMs: row.ms });
      } else {
        summary.windows.failed += 1;
        summary.failures.push({ stream: row.stream, window: task.window, error: row.error ?? '' });
        options.onWindow?.({ task, outcome: 'failed', error: row.error ?? '', durationMs: row.ms });
      }
    }
  };
  const status = async (): Promise<{ status: RunStatus; pending: number | null }> => {
    const { rows } = await pool.query<{ status: RunStatus; pending: number | null }>('SELECT status, windows_pending AS pending FROM punchcard.sync_runs WHERE id = $1', [run.runId]);
    return rows[0]!;
  };
  for (;;) {
    await seen();
    let current = await status();
    // A worker that recorded the last window but died before settling leaves this to us.
    if (current.status === 'running' && current.pending === 0) {
      await settleRun(pool, run.runId, options.logger);
      current = await status();
    }
    if (current.status !== 'running') {
      await seen();
      summary.status = current.status;
      break;
    }
    if (options.signal?.aborted) {
      await interruptRun(options.boss, pool, run.runId);
      await seen();
      summary.status = 'interrupted';
      summary.windows.skipped = Math.max(0, run.total - run.alreadyCommitted - summary.windows.succeeded - summary.windows.failed);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 250));
  }
  if (summary.status === 'succeeded' || summary.status === 'partial') {
    const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM punchcard.restatements WHERE run_id = $1', [run.runId]);
    summary.restatements = rows[0]!.n;
  }
  summary.durationMs = Date.now() - started;
  return summary;
}

/** Stops a run: its queued jobs are cancelled, and it is marked interrupted (jobs in flight still commit their window). */
export async function interruptRun(boss: PgBoss, pool: Pool, runId: number): Promise<void> {
  const queued = (await liveJobs(boss, runId)).filter((job) => job.state !== 'active');
  if (queued.length > 0) await boss.cancel(WINDOW_QUEUE, queued.map((job) => job.id));
  await pool.query(`UPDATE punchcard.sync_runs SET status = 'interrupted', finished_at = now(), windows_pending = NULL WHERE id = $1 AND status = 'running'`, [runId]);
}

// ---- the nightly run: one per cron tick for the whole fleet ---------------------------------------

/** A job id every worker derives alike from the tick, so the second worker's send is a no-op. */
export function nightlyJobId(tick: Date): string {
  const hex = createHash('sha256').update(`punchcard nightly ${tick.toISOString()}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Enqueues the nightly sync of a tick; null when another worker already did. */
export async function enqueueNightly(boss: PgBoss, tick: Date): Promise<string | null> {
  const data: NightlyJobData = { tick: tick.toISOString() };
  return boss.send(NIGHTLY_QUEUE, data, { id: nightlyJobId(tick), singletonKey: `nightly:${data.tick}` });
}
