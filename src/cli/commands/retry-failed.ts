/**
 * `punchcard retry-failed [--no-wait] [--concurrency n]`: every failed window no later run has
 * loaded again goes back on the queue, in the run it failed in; unless --no-wait, this process
 * works the queue until those runs are settled (like backfill). Exit 0 when all loaded, 1 otherwise.
 */
import { followRun, requeueFailedWindows } from '../../queue/runs.ts';
import { openQueueSession, workingTheQueue } from '../../queue/session.ts';
import { parseIntOption } from '../arguments.ts';
import { whileRunning } from '../../pipeline/run.ts';
import { openWarehouse, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { printQueued, printSummary } from './backfill.ts';

export async function retryFailedCommand(context: CommandContext, flags: { wait?: boolean; concurrency?: string }): Promise<void> {
  const concurrency = parseIntOption('--concurrency', flags.concurrency, 2, 1, 32);
  const wait = flags.wait ?? true;
  const db = await openWarehouse(context, 'write');
  try {
    const queue = await openQueueSession(context.config, db.url, context.logger, 'retry-failed', wait);
    try {
      const runs = await requeueFailedWindows(queue.boss, db.pool, context.logger);
      if (runs.length === 0) {
        process.stdout.write('no outstanding failed windows\n');
        return;
      }
      if (!wait) {
        for (const run of runs) printQueued(run);
        return;
      }
      const deps = { config: context.config, pool: db.pool, boss: queue.boss, logger: context.logger, signal: context.signal };
      await workingTheQueue(deps, concurrency, async (streams) => {
        for (const run of runs) {
          const progress = createProgress(context.logger, context.interactive);
          try {
            const summary = await whileRunning(() => followRun({
              pool: db.pool,
              boss: queue.boss,
              logger: context.logger,
              run,
              streams,
              signal: context.signal,
              onStart: (total, done) => progress.start(total, done),
              onWindow: (event) => progress.window(event),
            }));
            printSummary(summary);
            if (summary.status !== 'succeeded') process.exitCode = summary.status === 'interrupted' ? 130 : 1;
          } finally {
            progress.stop();
          }
        }
      });
    } finally {
      await queue.close();
    }
  } finally {
    await db.close();
  }
}
