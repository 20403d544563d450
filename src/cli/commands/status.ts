/**
 * `punchcard status [--json]`: per stream the latest outcome, last success, freshest synced day and
 * outstanding failed windows (reporting.sync_status), the failed windows themselves and the last
 * 10 runs. Streams of configured sources that never ran are listed as "never synced".
 */
import { readStatus, formatStatus, type StatusReport } from '../../ops/status.ts';
import { configuredSources, SOURCES } from '../../sources/registry.ts';
import { openWarehouse, type CommandContext } from '../context.ts';
import { openQueue } from '../../queue/boss.ts';
import { queueInstalled, readQueueStatus } from '../../queue/stats.ts';

export async function statusCommand(context: CommandContext, flags: { json?: boolean }): Promise<StatusReport> {
  const accounts = { timeclock: context.config.timeclockAccounts, clockodo: context.config.clockodoAccounts };
  const expected = configuredSources(context.config).flatMap((source) =>
    accounts[source].flatMap(({ account }) => SOURCES[source].map((stream) => ({ source, account, stream }))),
  );
  const db = await openWarehouse(context, 'read');
  try {
    const report = await readStatus(db.pool, new Date(), expected);
    if (await queueInstalled(db.pool)) {
      const boss = await openQueue(db.url, context.config.queue, context.logger, { role: 'status', maxConnections: 2, readOnly: true });
      try {
        report.queue = await readQueueStatus(boss, db.pool);
      } finally {
        await boss.stop({ graceful: false, timeout: 1000 });
      }
    }
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : formatStatus(report));
    return report;
  } finally {
    await db.close();
  }
}
