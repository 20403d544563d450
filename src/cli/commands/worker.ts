/**
 * `punchcard worker`: one pair of hands of the fleet. It takes window jobs from the queue
 * (PUNCHCARD_WORKER_CONCURRENCY at once; fleet-wide caps per account are the queue's group
 * concurrency and the PostgreSQL-backed clockodo limiter), records dead-lettered windows as failed,
 * plans the nightly sync when it takes that tick's job, runs the supervisor that hands a dead
 * worker's jobs to the others, and ticks the schedule (jobs/schedule.ts) — every worker ticks; the
 * tick's job is enqueued once. `/healthz` and `/metrics` on PUNCHCARD_METRICS_PORT. On
 * SIGTERM/SIGINT it stops taking jobs, lets jobs in hand finish or roll back, and exits 0.
 */
import { JOBS, startSchedule } from '../../../jobs/schedule.ts';
import { ConfigError } from '../../errors.ts';
import { applySettings } from '../../ops/settings.ts';
import { startOpsServer, type OpsServer } from '../../ops/metrics.ts';
import { DEFAULT_SYNC_CONCURRENCY, requireCredentials, runSync } from '../../ops/sync.ts';
import { NIGHTLY_QUEUE, type NightlyJobData } from '../../queue/boss.ts';
import { fleetStreams, startWindowWorkers } from '../../queue/runs.ts';
import { openQueueSession } from '../../queue/session.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function workerCommand(context: CommandContext): Promise<void> {
  const { config, logger, signal } = context;
  // The nightly job would fail every night; say so now, before the schedule starts.
  if (config.databaseUrl !== undefined) requireCredentials(config);
  const db = await openWarehouse(context, 'write');
  try {
    const changes = await applySettings(db.pool, config);
    if (changes.length > 0) logger.info({ settings: changes }, 'settings applied from the configuration');
    const queue = await openQueueSession(config, db.url, logger, 'worker', true);
    const { boss } = queue;
    let stopWindows: (() => Promise<void>) | undefined;
    let nightlyWorker: string | undefined;
    let scheduler: ReturnType<typeof startSchedule> | undefined;
    let server: OpsServer | undefined;
    try {
      const streams = fleetStreams(config, db.pool, logger, signal);
      stopWindows = await startWindowWorkers(boss, config, { pool: db.pool, logger, streams }, config.queue.concurrency);
      nightlyWorker = await boss.work<NightlyJobData>(NIGHTLY_QUEUE, { batchSize: 1, pollingIntervalSeconds: 2 }, async ([job]) => {
        const tick = new Date(job!.data.tick);
        logger.info({ tick: job!.data.tick }, 'planning the nightly sync');
        await runSync(
          { config, pool: db.pool, databaseUrl: db.url, logger, signal, queue: { boss, wait: false } },
          { now: tick, lookbackDays: config.schedule.lookbackDays, concurrency: DEFAULT_SYNC_CONCURRENCY },
        );
      });
      scheduler = startSchedule(JOBS, { config, pool: db.pool, databaseUrl: db.url, logger, signal, boss });
      try {
        server = await startOpsServer({
          pool: db.pool,
          port: config.schedule.metricsPort,
          host: config.schedule.metricsHost,
          logger,
          syncInProgress: () => scheduler!.busy(),
          boss,
        });
      } catch (error) {
        if ((error as { code?: string }).code === 'EADDRINUSE') {
          throw new ConfigError(`PUNCHCARD_METRICS_PORT ${config.schedule.metricsPort} is already in use (0 picks a free port)`, 'PUNCHCARD_METRICS_PORT');
        }
        if ((error as { code?: string }).code === 'EADDRNOTAVAIL') {
          throw new ConfigError(`PUNCHCARD_METRICS_HOST ${config.schedule.metricsHost} is not an address of this machine`, 'PUNCHCARD_METRICS_HOST');
        }
        throw error;
      }
      const { metricsHost: host } = config.schedule;
      const base = `http://${host.includes(':') ? `[${host}]` : host}:${server.port}`;
      logger.info(
        {
          host,
          port: server.port,
          concurrency: config.queue.concurrency,
          accounts: config.timeclockAccounts.length + config.clockodoAccounts.length,
          healthz: `${base}/healthz`,
          metrics: `${base}/metrics`,
        },
        'worker listening',
      );
      await new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        else signal.addEventListener('abort', () => resolve(), { once: true });
      });
      logger.info('worker stopping');
    } finally {
      await scheduler?.stop();
      if (nightlyWorker) await boss.offWork(NIGHTLY_QUEUE, { id: nightlyWorker, wait: true });
      await stopWindows?.();
      await server?.close();
      await queue.close();
    }
  } finally {
    await db.close();
  }
  logger.info('worker stopped');
}
