/**
 * `punchcard worker`: the job schedule (jobs/schedule.ts, PUNCHCARD_CRON in PUNCHCARD_TZ) plus
 * `/healthz` and `/metrics` on PUNCHCARD_METRICS_PORT (src/ops/metrics.ts), until SIGTERM/SIGINT.
 * Then the schedule stops, a run in flight finishes or rolls back (it stops starting windows on
 * the same signal), the HTTP server and the database close, and the process exits 0.
 */
import { JOBS, startSchedule } from '../../../jobs/schedule.ts';
import { ConfigError } from '../../errors.ts';
import { requireCredentials } from '../../ops/sync.ts';
import { applySettings } from '../../ops/settings.ts';
import { startOpsServer, type OpsServer } from '../../ops/metrics.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function workerCommand(context: CommandContext): Promise<void> {
  const { config, logger, signal } = context;
  // The nightly job would fail every night; say so now, before the schedule starts.
  if (config.databaseUrl !== undefined) requireCredentials(config);
  const db = await openWarehouse(context, 'write');
  try {
    const changes = await applySettings(db.pool, config);
    if (changes.length > 0) logger.info({ settings: changes }, 'settings applied from the configuration');
    const scheduler = startSchedule(JOBS, { config, pool: db.pool, databaseUrl: db.url, logger, signal });
    let server: OpsServer;
    try {
      server = await startOpsServer({
        pool: db.pool,
        port: config.schedule.metricsPort,
        host: config.schedule.metricsHost,
        logger,
        syncInProgress: () => scheduler.busy(),
      });
    } catch (error) {
      await scheduler.stop();
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
    logger.info({ host, port: server.port, healthz: `${base}/healthz`, metrics: `${base}/metrics` }, 'worker listening');

    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info('worker stopping');
    try {
      await scheduler.stop();
    } finally {
      await server.close();
    }
  } finally {
    await db.close();
  }
  logger.info('worker stopped');
}
