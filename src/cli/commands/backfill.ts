/**
 * `punchcard backfill --from --to`: any date range, split into windows per stream, fetched with
 * bounded concurrency, each window loaded in its own transaction. Leaves no half-loaded window:
 * Ctrl-C lets windows in flight finish or roll back, then prints the summary.
 */
import { buildStreams } from '../../sources/registry.ts';
import { requireCredentials } from '../../ops/sync.ts';
import type { RunSummary } from '../../pipeline/run.ts';
import { planTasks } from '../../pipeline/plan.ts';
import type { Stream } from '../../pipeline/stream.ts';
import { printable } from '../../errors.ts';
import { checkRange, parseDateOption, parseIntOption, parseListOption } from '../arguments.ts';
import { openWarehouse, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import type { RunPlan } from '../../load/ledger.ts';
import type { QueuedRun } from '../../queue/runs.ts';
import { openQueueSession, runOnQueue, type QueuedRunResult } from '../../queue/session.ts';

export interface BackfillFlags {
  from?: string;
  to?: string;
  source?: string;
  streams?: string;
  windowDays?: string;
  concurrency?: string;
  resume?: boolean;
  /** Commander's negation of --no-wait. */
  wait?: boolean;
}

export interface BackfillRequest {
  from: string;
  to: string;
  source?: string;
  streams?: string[];
  windowDays?: number;
  concurrency: number;
  resume: boolean;
  wait: boolean;
}

export function parseBackfillFlags(flags: BackfillFlags, maxDays?: number): BackfillRequest {
  const from = parseDateOption('--from', flags.from);
  const to = parseDateOption('--to', flags.to);
  checkRange(from, to, maxDays);
  return {
    from,
    to,
    source: flags.source,
    streams: parseListOption(flags.streams),
    windowDays: flags.windowDays === undefined ? undefined : parseIntOption('--window-days', flags.windowDays, 7, 1, 366),
    concurrency: parseIntOption('--concurrency', flags.concurrency, 2, 1, 32),
    resume: flags.resume ?? false,
    wait: flags.wait ?? true,
  };
}

export async function backfillCommand(context: CommandContext, flags: BackfillFlags): Promise<RunSummary | undefined> {
  const request = parseBackfillFlags(flags, context.config.maxBackfillDays);
  if (request.source === undefined) requireCredentials(context.config);
  const streams = buildStreams(context.config, { source: request.source, streams: request.streams }, { logger: context.logger, signal: context.signal });
  const db = await openWarehouse(context, 'write');
  try {
    const queue = await openQueueSession(context.config, db.url, context.logger, 'backfill', request.wait);
    try {
      const progress = createProgress(context.logger, context.interactive);
      let result: QueuedRunResult;
      try {
        result = await runOnQueue(
          { config: context.config, pool: db.pool, boss: queue.boss, logger: context.logger, signal: context.signal },
          {
            plan: backfillPlan(streams, request),
            tasks: planTasks(streams, request.from, request.to, request.windowDays),
            resume: request.resume,
            wait: request.wait,
            concurrency: request.concurrency,
            onStart: (total, done) => progress.start(total, done),
            onWindow: (event) => progress.window(event),
          },
        );
      } finally {
        progress.stop();
      }
      if (!result.waited) {
        printQueued(result.run);
        return undefined;
      }
      printSummary(result.summary);
      if (result.summary.status !== 'succeeded') process.exitCode = result.summary.status === 'interrupted' ? 130 : 1;
      return result.summary;
    } finally {
      await queue.close();
    }
  } finally {
    await db.close();
  }
}

export function backfillPlan(streams: Stream[], request: Pick<BackfillRequest, 'from' | 'to' | 'windowDays'>): RunPlan {
  return {
    kind: 'backfill',
    sources: [...new Set(streams.map((s) => s.source))],
    streams: [...new Set(streams.map((s) => `${s.source}.${s.name}`))],
    from: request.from,
    to: request.to,
    windowDays: request.windowDays ?? 0,
  };
}

export function printQueued(run: QueuedRun): void {
  process.stdout.write(`run ${run.runId} queued: ${run.enqueued} windows enqueued, ${run.alreadyCommitted} already committed (of ${run.total}); follow it with punchcard status\n`);
}

export function printSummary(summary: RunSummary): void {
  const w = summary.windows;
  const r = summary.rows;
  const lines = [
    `run ${summary.runId} ${summary.status} in ${(summary.durationMs / 1000).toFixed(1)} s`,
    `windows: ${w.succeeded} loaded, ${w.failed} failed, ${w.skipped} not started, ${w.alreadyCommitted} already committed (of ${w.total})`,
    `rows: ${r.received} received, ${r.inserted} inserted, ${r.updated} updated, ${r.deleted} marked deleted, ${r.rejected} rejected`,
    ...summary.failures.slice(0, 10).map((f) => `failed: ${f.stream} ${f.window.start}..${f.window.end}: ${printable(f.error)}`),
  ];
  if (summary.failures.length > 10) lines.push(`… and ${summary.failures.length - 10} more failed windows (see punchcard status)`);
  if (summary.restatements > 0) lines.push(`warning: ${summary.restatements} change(s) to closed pay periods recorded in reporting.restatements`);
  process.stdout.write(`${lines.join('\n')}\n`);
}
