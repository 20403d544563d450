/**
 * The fleet's job queue: pg-boss in the warehouse database (schema `pgboss`), so a fleet needs
 * nothing beyond the database it already has. Glossary:
 * - window job: one (run, account, stream, window); its handler is the per-window unit.
 * - failed-window job: pg-boss moves a window job here (dead letter) once it ran out of attempts,
 *   or its worker died on the last one; the handler records the failed window in the ledger.
 * - nightly job: one per cron tick for the whole fleet; its handler plans and enqueues the sync.
 */
import { hostname } from 'node:os';
import { PgBoss, type Db } from 'pg-boss';
import type { PoolClient } from 'pg';
import type { Config, QueueConfig } from '../config.ts';
import type { SourceName } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { ENTRYGROUPS_MONTHS_IN_FLIGHT } from '../sources/clockodo/streams/entrygroups.ts';
import { SOURCES } from '../sources/registry.ts';

export const QUEUE_SCHEMA = 'pgboss';
export const WINDOW_QUEUE = 'punchcard-window';
export const FAILED_WINDOW_QUEUE = 'punchcard-window-failed';
export const NIGHTLY_QUEUE = 'punchcard-nightly';

export interface WindowJobData {
  runId: number;
  source: SourceName;
  account: string;
  stream: string;
  start: string;
  end: string;
}

export interface NightlyJobData {
  /** The cron tick (ISO instant) the nightly sync is for. */
  tick: string;
}

export interface OpenQueueOptions {
  /** Runs the supervisor (lapsed leases, retention) in this process. Workers do; short commands need not. */
  supervise?: boolean;
  /** Shown in the instance registry (status, /metrics): "worker", "backfill", … */
  role: string;
  /** Connections for the queue's own pool. */
  maxConnections?: number;
  /** Record this process in pg-boss's instance registry (default true; a one-shot `status` need not). */
  register?: boolean;
  /** Read the queue only: neither install nor migrate pg-boss's schema (`status`). */
  readOnly?: boolean;
}

export async function openQueue(databaseUrl: string, config: QueueConfig, logger: Logger, options: OpenQueueOptions): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString: databaseUrl,
    schema: QUEUE_SCHEMA,
    max: options.maxConnections ?? config.concurrency + 4,
    application_name: `punchcard queue ${options.role} ${hostname()}:${process.pid}`.slice(0, 63),
    instanceName: `${options.role} ${hostname()}:${process.pid}`,
    supervise: options.supervise ?? false,
    registerInstance: options.register ?? !options.readOnly,
    migrate: !options.readOnly,
    createSchema: !options.readOnly,
    superviseIntervalSeconds: config.maintenanceSeconds,
    monitorIntervalSeconds: config.maintenanceSeconds,
    // How often pg-boss refreshes its cache of queue settings and counts (the window hands do not
    // wait on its ready count: see startWindowWorkers).
    queueCacheIntervalSeconds: Math.min(config.maintenanceSeconds, 10),
    // node-cron in every worker is the schedule (jobs/schedule.ts); pg-boss's own cron stays off.
    schedule: false,
  });
  boss.on('error', (error) => logger.error({ err: error }, 'job queue error'));
  await boss.start();
  if (!options.readOnly) await ensureQueues(boss, config);
  return boss;
}

/** Creates the queues, or brings their retry and lease settings to the configured ones. */
export async function ensureQueues(boss: PgBoss, config: QueueConfig): Promise<void> {
  const windowSettings = {
    retryLimit: config.attempts - 1,
    retryDelay: config.retryDelaySeconds,
    retryBackoff: true,
    retryDelayMax: 3600,
    expireInSeconds: config.timeoutSeconds,
    heartbeatSeconds: config.heartbeatSeconds,
  };
  // The dead-letter queue must exist before a queue may name it. Its handler only writes a ledger row.
  await upsertQueue(boss, FAILED_WINDOW_QUEUE, { retryLimit: 20, retryDelay: 5, retryBackoff: true, expireInSeconds: 300 });
  await upsertQueue(boss, WINDOW_QUEUE, { ...windowSettings, deadLetter: FAILED_WINDOW_QUEUE });
  await upsertQueue(boss, NIGHTLY_QUEUE, { retryLimit: 5, retryDelay: 30, retryBackoff: true, expireInSeconds: 600 });
}

async function upsertQueue(boss: PgBoss, name: string, options: Parameters<PgBoss['createQueue']>[1] & object): Promise<void> {
  const existing = await boss.getQueue(name);
  if (!existing) {
    try {
      await boss.createQueue(name, options);
      return;
    } catch (error) {
      // Another worker created it at the same moment: fall through to the update.
      if (!(await boss.getQueue(name))) throw error;
    }
  }
  const { deadLetter, ...rest } = options;
  await boss.updateQueue(name, { ...rest, ...(deadLetter ? { deadLetter } : {}) });
}

/** pg-boss statements inside a transaction of ours (the run's ledger row and its jobs commit together). */
export function transactionDb(client: PoolClient): Db {
  return { executeSql: (text: string, values?: unknown[]) => client.query(text, values) };
}

/**
 * Fleet-wide caps, as pg-boss group concurrency (counted in the database across all workers): a
 * TimeClock account runs at most its maxConcurrency windows at once; a clockodo account at most
 * ENTRYGROUPS_MONTHS_IN_FLIGHT entrygroups months (one, as the in-process runner: loads of a stream
 * take turns on its advisory lock anyway, see lockStream in load-window.ts). Every worker derives the
 * same tiers from the same accounts file.
 */
export function groupOf(source: SourceName, account: string, stream: string): { id: string; tier: string } | undefined {
  if (source === 'timeclock') return { id: `timeclock:${account}`, tier: `timeclock:${account}` };
  if (source === 'clockodo' && stream === 'entrygroups') return { id: `clockodo:${account}:entrygroups`, tier: `clockodo:${account}:entrygroups` };
  return undefined;
}

export function groupTiers(config: Config): Record<string, number> {
  const tiers: Record<string, number> = {};
  for (const account of config.timeclockAccounts) tiers[groupOf('timeclock', account.account, 'sessions')!.tier] = account.maxConcurrency;
  for (const account of config.clockodoAccounts) tiers[groupOf('clockodo', account.account, 'entrygroups')!.tier] = ENTRYGROUPS_MONTHS_IN_FLIGHT;
  return tiers;
}

/**
 * Biggest first. A window job's pg-boss priority (taken highest first, equal ones in creation
 * order): clockodo entrygroups months, the longest windows by far (one answer per month), start
 * first, so the short windows fill the hands around them instead of a lone month running last;
 * then clockodo users; then the TimeClock streams. The priority is stored on the job row, so a
 * retried job keeps it (and a dead-lettered one carries it), and a resumed or retry-failed run
 * inserts its jobs by this same rule.
 */
export function windowPriority(source: SourceName, stream: string): number {
  if (source === 'clockodo') return stream === 'entrygroups' ? 20 : 10;
  return 0;
}

export function isKnownSource(value: string): value is SourceName {
  return value in SOURCES;
}
