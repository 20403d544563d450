/**
 * The schedule: every job of JOBS on node-cron, in its zone, in every worker. A job's run is quick
 * (the nightly one only enqueues the tick's sync, once for the fleet); a tick that comes while the
 * previous one's run is still going is skipped (logged). `stop()` ends the schedule and waits
 * for a run in flight, which stops starting windows once the context's signal is raised.
 */
import cron, { type Logger as CronLogger, type ScheduledTask } from 'node-cron';
import { ConfigError } from '../src/errors.ts';
import type { Logger } from '../src/logger.ts';
import type { JobContext, JobDefinition } from './job.ts';
import { nightlySync } from './nightly-sync.ts';

export const JOBS: readonly JobDefinition[] = [nightlySync];

export interface Scheduler {
  /** Whether any job is running now. */
  busy(): boolean;
  /** Stops every schedule and waits for runs in flight. Idempotent. */
  stop(): Promise<void>;
}

export function startSchedule(jobs: readonly JobDefinition[], context: Omit<JobContext, 'now'>): Scheduler {
  const entries = jobs.map((job) => {
    const when = job.schedule(context.config);
    if (!cron.validate(when.cron)) throw new ConfigError(`${when.variable} "${when.cron}" is not a valid cron expression (5 fields, or 6 with seconds first)`, when.variable);
    return { job, when, logger: context.logger.child({ job: job.name }) };
  });
  const inFlight = new Map<string, Promise<void>>();

  const tasks: ScheduledTask[] = entries.map(({ job, when, logger }) => {
    const tick = (now: Date) => {
      if (inFlight.has(job.name)) {
        logger.warn({ tick: now.toISOString() }, 'the previous run is still going; skipping this tick');
        return;
      }
      const started = Date.now();
      logger.info({ tick: now.toISOString() }, 'job started');
      const run = job
        .run({ ...context, logger, now })
        .then(
          () => logger.info({ ms: Date.now() - started }, 'job finished'),
          (error: unknown) => logger.error({ err: error, ms: Date.now() - started }, 'job failed'),
        )
        .finally(() => inFlight.delete(job.name));
      inFlight.set(job.name, run);
    };
    const task = cron.schedule(when.cron, (ctx) => tick(tickInstant(ctx.date, when.cron)), {
      name: job.name,
      timezone: when.timezone,
      logger: cronLogger(logger),
    });
    logger.info({ cron: when.cron, timezone: when.timezone, next: task.getNextRun()?.toISOString() }, 'job scheduled');
    return task;
  });

  let stopping: Promise<void> | undefined;
  return {
    busy: () => inFlight.size > 0,
    stop() {
      stopping ??= (async () => {
        for (const task of tasks) await task.destroy();
        if (inFlight.size > 0) context.logger.info({ jobs: [...inFlight.keys()] }, 'waiting for the run in flight to finish or roll back');
        await Promise.all(inFlight.values());
      })();
      return stopping;
    },
  };
}

/**
 * The instant a tick is for, the same in every worker: the firing time cut to the expression's
 * granularity (the minute, or the second for a 6-field expression), since processes fire a few
 * milliseconds apart. The nightly job's id is derived from it.
 */
export function tickInstant(fired: Date, expression: string): Date {
  const unit = expression.trim().split(/\s+/).length >= 6 ? 1000 : 60_000;
  return new Date(Math.floor(fired.getTime() / unit) * unit);
}

/** node-cron's own messages (missed executions and the like) into our logger. */
function cronLogger(logger: Logger): CronLogger {
  return {
    info: (message) => logger.debug({ from: 'node-cron' }, message),
    warn: (message) => logger.warn({ from: 'node-cron' }, message),
    error: (message, err) => logger.error({ from: 'node-cron', err: err ?? message }, typeof message === 'string' ? message : message.message),
    debug: (message) => logger.debug({ from: 'node-cron' }, typeof message === 'string' ? message : message.message),
  };
}
