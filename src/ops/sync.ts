/**
 * The scheduled sync (`punchcard sync`, the worker's nightly job): for every configured source,
 * re-read the last `lookbackDays` local days up to today — "today" in that source's zone — and
 * load them window by window through the same pipeline as a backfill (kind 'sync' in the ledger).
 *
 * On the job queue (`punchcard sync`, the worker's nightly job) each source's run is enqueued as
 * one job per (account, stream, window) and worked by whichever workers are up; overlapping syncs
 * converge, and the schedule enqueues one per tick (jobs/nightly-sync.ts). In-process (deps
 * without `queue`: tests, the demo) each source runs under its own advisory lock (locks.ts): a
 * second sync of the same source records a 'skipped' run. Sources run one after the other.
 *
 * With `demo`, or without credentials on the embedded default database, the simulators are synced
 * instead (demo-sources.ts), under the account label "demo"; with DATABASE_URL and no credentials
 * it refuses (exit 2) rather than fill a real warehouse with fake people. `now` is a parameter: nothing here reads the clock to decide the range.
 */
import type { Pool } from 'pg';
import type { PgBoss } from 'pg-boss';
import { runOnQueue } from '../queue/session.ts';
import type { Config } from '../config.ts';
import { ConfigError, type SourceName } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { recordSkippedRun, type RunPlan, type RunStatus } from '../load/ledger.ts';
import { planTasks } from '../pipeline/plan.ts';
import { runPlan, type RunSummary, type WindowEvent, type WindowTask } from '../pipeline/run.ts';
import type { Stream } from '../pipeline/stream.ts';
import { addDays, todayIn } from '../pipeline/windows.ts';
import { buildStreams, configuredSources, SOURCES } from '../sources/registry.ts';
import { withDemoSources } from './demo-sources.ts';
import { syncLockName, tryAdvisoryLock } from './locks.ts';

export const DEFAULT_SYNC_CONCURRENCY = 2;

export interface SyncRequest {
  /** The moment the sync is for; "today" is its date in each source's zone. */
  now: Date;
  /** Only this source (must have credentials); undefined: every configured source. */
  source?: string;
  /** Only these streams of the selected sources. */
  streams?: string[];
  /** Local days re-read, today included. */
  lookbackDays: number;
  /** Days per window; undefined: each stream's own split. */
  windowDays?: number;
  concurrency: number;
  /** Sync the simulators even when credentials are configured. */
  demo?: boolean;
}

export interface SourceProgress {
  start(total: number, alreadyCommitted: number): void;
  window(event: WindowEvent): void;
  stop(): void;
}

export interface SyncDeps {
  config: Config;
  pool: Pool;
  /** The database the pool is connected to; each source's lock gets a connection of its own. */
  databaseUrl: string;
  logger: Logger;
  /** Stops starting windows; windows in flight finish or roll back. */
  signal?: AbortSignal;
  /** Environment for the demo configuration (zones, HTTP settings). Default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Progress of one source's run (a bar on a terminal); default: nothing beyond the run's own logs. */
  progress?: (source: SourceName) => SourceProgress;
  /**
   * Run on the job queue: enqueue each source's run and, with `wait`, work the queue here until it
   * is settled. Without it the windows run in this process (tests, and the demo's embedded setup).
   */
  queue?: { boss: PgBoss; wait: boolean };
}

/** One source's share of a sync, before anything runs. Pure data. */
export interface SourceSyncPlan {
  source: SourceName;
  timezone: string;
  from: string;
  to: string;
  streams: Stream[];
  tasks: WindowTask[];
  plan: RunPlan;
}

export interface SourceSyncResult {
  source: SourceName;
  from: string;
  to: string;
  runId: number;
  status: RunStatus;
  /** Undefined when the run was skipped. */
  summary?: RunSummary;
  /** Why the run was skipped. */
  reason?: string;
}

export interface SyncResult {
  demo: boolean;
  /** The worst outcome: interrupted > failed > partial > succeeded > skipped. */
  status: RunStatus;
  sources: SourceSyncResult[];
}

/**
 * Whether a sync runs on the simulators: asked for, or no credentials at all, no --source, and the
 * embedded default database. With DATABASE_URL (a real warehouse) missing credentials are an error
 * (requireCredentials), never a silent demo.
 */
export function isDemoSync(config: Config, request: Pick<SyncRequest, 'demo' | 'source'>): boolean {
  return request.demo === true || (request.source === undefined && configuredSources(config).length === 0 && config.databaseUrl === undefined);
}

/** The sources a real run needs, as a ConfigError naming the variables when none is configured. */
export function requireCredentials(config: Config): void {
  if (configuredSources(config).length > 0) return;
  const demo =
    config.databaseUrl === undefined
      ? 'or run `punchcard demo` for the built-in simulators'
      : 'DATABASE_URL is set, so the built-in simulators are synced only when asked: `punchcard sync --demo` or `punchcard demo`';
  throw new ConfigError(
    `no source has credentials: set TIMECLOCK_API_TOKEN and/or CLOCKODO_API_USER + CLOCKODO_API_KEY (${demo})`,
    'TIMECLOCK_API_TOKEN',
  );
}

/** The time zone whose calendar a source's windows use (its first account's). */
export function sourceTimezone(config: Config, source: SourceName): string {
  const zone = config[source]?.timezone;
  if (zone === undefined) throw new Error(`source ${source} is not configured`);
  return zone;
}

/** The time zone of one account: "today" differs between tenants in different zones. */
export function accountTimezone(config: Config, source: SourceName, account: string): string {
  const accounts: Array<{ account: string; timezone: string }> = source === 'timeclock' ? config.timeclockAccounts : config.clockodoAccounts;
  return accounts.find((a) => a.account === account)?.timezone ?? sourceTimezone(config, source);
}

/** The range and windows of each source: `lookbackDays` days ending today in the source's zone. Pure. */
export function planSync(streams: Stream[], config: Config, request: Pick<SyncRequest, 'now' | 'lookbackDays' | 'windowDays'>): SourceSyncPlan[] {
  const bySource = new Map<SourceName, Stream[]>();
  for (const stream of streams) bySource.set(stream.source, [...(bySource.get(stream.source) ?? []), stream]);
  return [...bySource].map(([source, sourceStreams]) => {
    const timezone = sourceTimezone(config, source);
    const byAccount = new Map<string, Stream[]>();
    for (const stream of sourceStreams) byAccount.set(stream.account, [...(byAccount.get(stream.account) ?? []), stream]);
    const ranges = [...byAccount].map(([account, streams]) => {
      const to = todayIn(accountTimezone(config, source, account), request.now);
      return { streams, to, from: addDays(to, -(request.lookbackDays - 1)) };
    });
    const from = ranges.map((r) => r.from).sort()[0]!;
    const to = ranges.map((r) => r.to).sort().at(-1)!;
    return {
      source,
      timezone,
      from,
      to,
      streams: sourceStreams,
      tasks: ranges.flatMap((r) => planTasks(r.streams, r.from, r.to, request.windowDays)),
      plan: {
        kind: 'sync',
        sources: [source],
        streams: [...new Set(sourceStreams.map((s) => `${s.source}.${s.name}`))],
        from,
        to,
        windowDays: request.windowDays ?? 0,
      },
    };
  });
}

/** The function `punchcard sync` and the worker's nightly job both call. */
export async function runSync(deps: SyncDeps, request: SyncRequest): Promise<SyncResult> {
  if (isDemoSync(deps.config, request)) {
    if (request.demo !== true) deps.logger.warn('no source has credentials (TIMECLOCK_API_TOKEN, CLOCKODO_API_USER + CLOCKODO_API_KEY): running in demo mode');
    return withDemoSources(deps.env ?? process.env, deps.logger, async (config) => ({ ...(await syncSources({ ...deps, config }, request)), demo: true }));
  }
  if (request.source === undefined) requireCredentials(deps.config);
  return syncSources(deps, request);
}

async function syncSources(deps: SyncDeps, request: SyncRequest): Promise<SyncResult> {
  const { config, logger } = deps;
  // Throws a UsageError for an unknown stream or a --source without credentials.
  const streams = buildStreams(config, { source: request.source, streams: request.streams }, { logger, signal: deps.signal });
  if (request.source === undefined) {
    const configured = configuredSources(config);
    for (const source of Object.keys(SOURCES) as SourceName[]) {
      if (!configured.includes(source)) logger.info({ source }, `${source} has no credentials; skipping it`);
    }
  }
  const results: SourceSyncResult[] = [];
  for (const sourcePlan of planSync(streams, config, request)) {
    if (deps.signal?.aborted) break;
    results.push(await syncSource(deps, request, sourcePlan));
  }
  return { demo: false, status: worstStatus(results.map((r) => r.status)), sources: results };
}

async function syncSource(deps: SyncDeps, request: SyncRequest, sourcePlan: SourceSyncPlan): Promise<SourceSyncResult> {
  const { source, from, to, plan } = sourcePlan;
  const runLog = deps.logger.child({ kind: 'sync' });
  const log = runLog.child({ source });
  if (deps.queue) {
    // On the queue, two syncs of a source may overlap: their windows load one at a time per stream
    // (the loader's lock) and converge to the same rows, and the nightly tick is enqueued once.
    const progress = deps.progress?.(source);
    // Not a guard (queued syncs may overlap): holding it proves no in-process sync of the source
    // (the demo's) is alive, so runs such a sync left behind can be closed.
    const attempt = await tryAdvisoryLock(deps.databaseUrl, syncLockName(source), log);
    try {
      log.info({ from, to, windows: sourcePlan.tasks.length }, `syncing ${source}`);
      const result = await runOnQueue(
        { config: deps.config, pool: deps.pool, boss: deps.queue.boss, logger: runLog, signal: deps.signal },
        {
          plan,
          tasks: sourcePlan.tasks,
          wait: deps.queue.wait,
          concurrency: request.concurrency,
          lockedSyncSources: attempt.acquired ? [source] : [],
          onStart: (total, done) => progress?.start(total, done),
          onWindow: (event) => progress?.window(event),
        },
      );
      if (!result.waited) return { source, from, to, runId: result.run.runId, status: 'running', reason: `queued: ${result.run.enqueued} windows` };
      const summary = result.summary;
      log[summary.status === 'succeeded' ? 'info' : 'warn']({ runId: summary.runId, status: summary.status, windows: summary.windows, rows: summary.rows }, `sync of ${source} ${summary.status}`);
      return { source, from, to, runId: summary.runId, status: summary.status, summary };
    } finally {
      progress?.stop();
      if (attempt.acquired) await attempt.lock.release();
    }
  }
  const attempt = await tryAdvisoryLock(deps.databaseUrl, syncLockName(source), log);
  if (!attempt.acquired) {
    const reason = `another sync of ${source} is running${attempt.holder ? ` (${attempt.holder})` : ''}`;
    const runId = await recordSkippedRun(deps.pool, plan, reason);
    log.warn({ runId, holder: attempt.holder }, `another sync of ${source} is running; skipping`);
    return { source, from, to, runId, status: 'skipped', reason };
  }
  const progress = deps.progress?.(source);
  try {
    log.info({ from, to, timezone: sourcePlan.timezone, windows: sourcePlan.tasks.length }, `syncing ${source}`);
    const summary = await runPlan({
      pool: deps.pool,
      logger: runLog, // its window loggers add the source
      plan,
      tasks: sourcePlan.tasks,
      lockedSyncSources: [source],
      concurrency: request.concurrency,
      signal: deps.signal,
      onStart: (total, done) => progress?.start(total, done),
      onWindow: (event) => progress?.window(event),
    });
    const level = summary.status === 'succeeded' ? 'info' : 'warn';
    log[level]({ runId: summary.runId, status: summary.status, windows: summary.windows, rows: summary.rows, ms: summary.durationMs }, `sync of ${source} ${summary.status}`);
    return { source, from, to, runId: summary.runId, status: summary.status, summary };
  } finally {
    progress?.stop();
    await attempt.lock.release();
  }
}

const SEVERITY: RunStatus[] = ['skipped', 'succeeded', 'running', 'partial', 'failed', 'interrupted'];

export function worstStatus(statuses: RunStatus[]): RunStatus {
  if (statuses.length === 0) return 'skipped';
  return statuses.reduce((worst, status) => (SEVERITY.indexOf(status) > SEVERITY.indexOf(worst) ? status : worst));
}
