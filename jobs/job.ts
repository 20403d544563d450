/**
 * What a scheduled job is: a name, when it runs, and the function it runs — the same function a
 * CLI command calls, so a scheduled run and a manual one behave alike. Definitions stay thin.
 */
import type { Config } from '../src/config.ts';
import type { PgBoss } from 'pg-boss';
import type { SyncDeps } from '../src/ops/sync.ts';

/** What a job run gets: the warehouse, the configuration, a logger, the stop signal, and the tick's time. */
export interface JobContext extends Omit<SyncDeps, 'progress' | 'queue'> {
  /** The fleet's job queue. */
  boss: PgBoss;
  /** The moment the run is for (the cron tick); jobs never read the clock themselves. */
  now: Date;
}

export interface JobSchedule {
  /** node-cron expression: 5 fields, or 6 with seconds first. */
  cron: string;
  /** IANA zone the expression is read in. */
  timezone: string;
  /** The variable the expression comes from, named when it is invalid. */
  variable: string;
}

export interface JobDefinition {
  name: string;
  schedule(config: Config): JobSchedule;
  run(context: JobContext): Promise<unknown>;
}
