/**
 * The nightly job: on PUNCHCARD_CRON in PUNCHCARD_TZ every worker's tick enqueues the nightly
 * sync under a job id derived from the tick, so the fleet gets one run per tick however many
 * workers tick; whichever worker takes that job plans the sync and enqueues its windows.
 */
import { enqueueNightly } from '../src/queue/runs.ts';
import type { JobDefinition } from './job.ts';

export const nightlySync: JobDefinition = {
  name: 'nightly-sync',
  schedule: (config) => ({ cron: config.schedule.cron, timezone: config.schedule.timezone, variable: 'PUNCHCARD_CRON' }),
  run: async (context) => {
    const id = await enqueueNightly(context.boss, context.now);
    context.logger.info({ tick: context.now.toISOString(), enqueued: id !== null }, id === null ? 'another worker already enqueued this tick\'s sync' : 'nightly sync enqueued');
  },
};
