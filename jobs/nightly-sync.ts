/** The nightly job: `punchcard sync` with the configured lookback, on PUNCHCARD_CRON in PUNCHCARD_TZ. */
import { DEFAULT_SYNC_CONCURRENCY, runSync } from '../src/ops/sync.ts';
import type { JobDefinition } from './job.ts';

export const nightlySync: JobDefinition = {
  name: 'nightly-sync',
  schedule: (config) => ({ cron: config.schedule.cron, timezone: config.schedule.timezone, variable: 'PUNCHCARD_CRON' }),
  run: (context) => runSync(context, { now: context.now, lookbackDays: context.config.schedule.lookbackDays, concurrency: DEFAULT_SYNC_CONCURRENCY }),
};
