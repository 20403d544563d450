/**
 * `punchcard sync` (also `npm start`): re-read the last PUNCHCARD_LOOKBACK_DAYS days of every
 * configured source, once (see src/ops/sync.ts). Exit 0 when every source succeeded or was
 * skipped because another sync of it is running; 1 when a window failed; 130 when interrupted.
 */
import { runSync, isDemoSync, requireCredentials, DEFAULT_SYNC_CONCURRENCY, type SyncRequest, type SyncResult } from '../../ops/sync.ts';
import { buildStreams } from '../../sources/registry.ts';
import { parseIntOption, parseListOption } from '../arguments.ts';
import { openWarehouse, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { printSummary } from './backfill.ts';
import { openQueueSession } from '../../queue/session.ts';

export interface SyncFlags {
  source?: string;
  streams?: string;
  lookbackDays?: string;
  windowDays?: string;
  concurrency?: string;
  demo?: boolean;
  /** Commander's negation of --no-wait. */
  wait?: boolean;
}

export function parseSyncFlags(flags: SyncFlags, defaults: { lookbackDays: number }, now: Date): SyncRequest {
  return {
    now,
    source: flags.source,
    streams: parseListOption(flags.streams),
    lookbackDays: parseIntOption('--lookback-days', flags.lookbackDays, defaults.lookbackDays, 1, 3660),
    windowDays: flags.windowDays === undefined ? undefined : parseIntOption('--window-days', flags.windowDays, 7, 1, 366),
    concurrency: parseIntOption('--concurrency', flags.concurrency, DEFAULT_SYNC_CONCURRENCY, 1, 32),
    demo: flags.demo ?? false,
  };
}

export async function syncCommand(context: CommandContext, flags: SyncFlags): Promise<SyncResult> {
  const request = parseSyncFlags(flags, { lookbackDays: context.config.schedule.lookbackDays }, new Date());
  // Bad --source/--streams fail before a database is opened (the demo checks them once the simulators run).
  if (!isDemoSync(context.config, request)) {
    if (request.source === undefined) requireCredentials(context.config);
    buildStreams(context.config, request, { logger: context.logger });
  }
  const db = await openWarehouse(context, 'write');
  const wait = flags.wait ?? true;
  // The demo's simulators live only as long as this process: its windows run here, not on the queue.
  const queue = isDemoSync(context.config, request) ? undefined : await openQueueSession(context.config, db.url, context.logger, 'sync', wait);
  try {
    const result = await runSync(
      {
        config: context.config,
        pool: db.pool,
        databaseUrl: db.url,
        logger: context.logger,
        signal: context.signal,
        progress: () => createProgress(context.logger, context.interactive),
        queue: queue ? { boss: queue.boss, wait } : undefined,
      },
      request,
    );
    printSyncResult(result);
    process.exitCode = exitCodeOf(result);
    return result;
  } finally {
    await queue?.close();
    await db.close();
  }
}

export function exitCodeOf(result: SyncResult): number {
  if (result.status === 'interrupted') return 130;
  return result.status === 'failed' || result.status === 'partial' ? 1 : 0;
}

export function printSyncResult(result: SyncResult): void {
  if (result.sources.length === 0) process.stdout.write('nothing to sync\n');
  for (const source of result.sources) {
    process.stdout.write(`${result.demo ? 'demo ' : ''}${source.source} ${source.from}..${source.to}: `);
    if (source.summary) printSummary(source.summary);
    else process.stdout.write(`run ${source.runId} ${source.status}: ${source.reason ?? ''}\n`);
  }
}
