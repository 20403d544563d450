/**
 * Runs a plan: every (stream, window) task is fetched, transformed and loaded with bounded
 * concurrency, each window in its own transaction, in order of completion. A failing window is
 * recorded and the others go on. Memory stays flat: at most `concurrency` windows are in flight,
 * and big answers are spooled to disk, not held.
 *
 * Stages overlap: a window is prepared (fetched, transformed) while another window of its stream
 * loads; windows of one stream then load one after the other, in this process as across processes
 * (an advisory lock), so a prepared window waits for its turn without holding a connection.
 */
import type { Pool } from 'pg';
import { describeError } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { recordFailedWindow, type WindowCounts } from '../load/load-window.ts';
import { detectRestatements } from '../load/pay-periods.ts';
import { withDatabaseRetries } from '../load/retryable.ts';
import { commitWindow, disposeWindow, prepareWindow, type PreparedWindow } from './window.ts';
import { forEachBounded, type Group } from './slots.ts';
import { closeAbandonedRuns, committedWindows, findResumableRun, finishRun, reopenRun, startRun, windowKey, type RunPlan, type RunStatus } from '../load/ledger.ts';
import type { DateWindow, Stream } from './stream.ts';

export interface WindowTask {
  stream: Stream;
  window: DateWindow;
}

export interface WindowEvent {
  task: WindowTask;
  outcome: 'succeeded' | 'failed' | 'skipped';
  counts?: WindowCounts;
  error?: string;
  durationMs: number;
}

export interface RunOptions {
  pool: Pool;
  logger: Logger;
  plan: RunPlan;
  tasks: WindowTask[];
  concurrency: number;
  /** Continue the latest unfinished run of the same plan, skipping its committed windows. */
  resume?: boolean;
  /** Sync locks the caller holds (source names): runs of those sources still `running` are dead. */
  lockedSyncSources?: readonly string[];
  /** Stops starting new windows; windows in flight finish or roll back. */
  signal?: AbortSignal;
  onStart?: (total: number, alreadyCommitted: number) => void;
  onWindow?: (event: WindowEvent) => void;
}

export interface RunSummary {
  runId: number;
  status: RunStatus;
  windows: { total: number; succeeded: number; failed: number; skipped: number; alreadyCommitted: number };
  rows: Omit<WindowCounts, 'received'> & { received: number };
  failures: Array<{ stream: string; window: DateWindow; error: string }>;
  /** Changes this run made to closed pay periods (see reporting.restatements). */
  restatements: number;
  durationMs: number;
}

/** Windows of a stream that caps its own concurrency (entrygroups: one month at a time) share a group. */
export function windowGroup(task: WindowTask): Group | undefined {
  const max = task.stream.maxConcurrentWindows;
  return max === undefined ? undefined : { key: `${task.stream.source}/${task.stream.account}/${task.stream.name}`, max };
}

/**
 * Runs of this process between their ledger row and its final status. The CLI's signal handler
 * reads it: with none active, nothing needs winding down and the first Ctrl-C/SIGTERM exits at once.
 */
let activeRuns = 0;
export function runsInProgress(): number {
  return activeRuns;
}

/** Counts `work` as a run in progress (an in-process run, or a queued run this process follows). */
export async function whileRunning<T>(work: () => Promise<T>): Promise<T> {
  activeRuns += 1;
  try {
    return await work();
  } finally {
    activeRuns -= 1;
  }
}

export async function runPlan(options: RunOptions): Promise<RunSummary> {
  return whileRunning(() => runPlanTracked(options));
}

async function runPlanTracked(options: RunOptions): Promise<RunSummary> {
  const { pool, logger, plan, tasks } = options;
  const started = Date.now();
  let runId: number | undefined;
  let committed = new Set<string>();
  const abandoned = await closeAbandonedRuns(pool, { lockedSyncSources: options.lockedSyncSources });
  if (abandoned > 0) logger.info({ runs: abandoned }, 'closed runs left running by a process that ended without finishing them');
  if (options.resume) {
    runId = await findResumableRun(pool, plan);
    if (runId !== undefined) {
      await reopenRun(pool, runId);
      committed = await committedWindows(pool, runId);
      logger.info({ runId, committedWindows: committed.size }, 'resuming run');
    } else {
      logger.info('nothing to resume for this plan: starting a new run');
    }
  }
  runId ??= await startRun(pool, plan);

  const summary: RunSummary = {
    runId,
    status: 'running',
    windows: { total: tasks.length, succeeded: 0, failed: 0, skipped: 0, alreadyCommitted: 0 },
    rows: { received: 0, inserted: 0, updated: 0, deleted: 0, rejected: 0 },
    failures: [],
    restatements: 0,
    durationMs: 0,
  };

  const pending = tasks.filter((task) => {
    const done = committed.has(windowKey(task.stream.source, task.stream.account, task.stream.name, task.window.start, task.window.end));
    if (done) summary.windows.alreadyCommitted += 1;
    return !done;
  });
  options.onStart?.(tasks.length, summary.windows.alreadyCommitted);

  const id = runId;
  const loadTurns = new Map<string, Promise<void>>();
  /** Runs `work` after every earlier call with the same key has finished. */
  const inTurn = async <T>(key: string, work: () => Promise<T>): Promise<T> => {
    const before = loadTurns.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    loadTurns.set(key, before.then(() => mine));
    await before;
    try {
      return await work();
    } finally {
      done();
    }
  };
  await forEachBounded(pending, options.concurrency, windowGroup, async (task) => {
    if (options.signal?.aborted) {
      summary.windows.skipped += 1;
      options.onWindow?.({ task, outcome: 'skipped', durationMs: 0 });
      return;
    }
    const windowStarted = new Date();
    const log = logger.child({ source: task.stream.source, stream: task.stream.name, window: `${task.window.start}..${task.window.end}` });
    const identity = {
      runId: id,
      source: task.stream.source,
      account: task.stream.account,
      stream: task.stream.name,
      window: task.window,
      startedAt: windowStarted,
    };
    let prepared: PreparedWindow | undefined;
    try {
      prepared = await prepareWindow(pool, identity, task);
      const ready = prepared;
      const counts = await inTurn(windowKey(task.stream.source, task.stream.account, task.stream.name, '', ''), () => commitWindow(pool, identity, task, ready, log));
      summary.windows.succeeded += 1;
      for (const key of Object.keys(counts) as Array<keyof WindowCounts>) summary.rows[key] += counts[key];
      options.onWindow?.({ task, outcome: 'succeeded', counts, durationMs: Date.now() - windowStarted.getTime() });
    } catch (error) {
      if (options.signal?.aborted) {
        // Stopped by Ctrl-C / SIGTERM mid-window: nothing of it was loaded. Not a failure of the
        // source (no failed window in the ledger, no error metric); the next run loads it.
        summary.windows.skipped += 1;
        log.info('window cancelled by the stop signal; nothing of it was loaded');
        options.onWindow?.({ task, outcome: 'skipped', durationMs: Date.now() - windowStarted.getTime() });
        return;
      }
      const message = describeError(error);
      summary.windows.failed += 1;
      summary.failures.push({ stream: task.stream.name, window: task.window, error: message });
      log.error({ err: error }, 'window failed');
      await withDatabaseRetries(() => recordFailedWindow(pool, identity, message), { attempts: 4, baseDelayMs: 200 }).catch((ledgerError) =>
        log.error({ err: ledgerError }, 'could not record the failed window in the ledger'),
      );
      options.onWindow?.({ task, outcome: 'failed', error: message, durationMs: Date.now() - windowStarted.getTime() });
    } finally {
      await disposeWindow(prepared);
    }
  });

  summary.status = options.signal?.aborted
    ? 'interrupted'
    : summary.windows.failed === 0
      ? 'succeeded'
      : summary.windows.succeeded === 0 && summary.windows.alreadyCommitted === 0
        ? 'failed'
        : 'partial';
  // Bookkeeping survives a connection lost at the end of the run, like the windows do.
  const again = <T>(work: () => Promise<T>) => withDatabaseRetries(work, { attempts: 4, baseDelayMs: 200 });
  if (summary.windows.succeeded > 0) {
    summary.restatements = await again(() => detectRestatements(pool, id));
    if (summary.restatements > 0) logger.warn({ restatements: summary.restatements }, 'closed pay periods changed: see reporting.restatements');
  }
  const firstError = summary.failures[0]?.error;
  await again(() => finishRun(pool, id, summary.status, firstError));
  summary.durationMs = Date.now() - started;
  return summary;
}
