/** An in-process backfill (no CLI start-up cost), for tests that run many of them. */
import type { Pool } from 'pg';
import { loadConfig } from '../../src/config.ts';
import { buildStreams } from '../../src/sources/registry.ts';
import { runPlan, type RunSummary } from '../../src/pipeline/run.ts';
import { planTasks } from '../../src/pipeline/plan.ts';
import { silentLogger } from '../../src/logger.ts';

export interface InProcessBackfill {
  pool: Pool;
  /** Environment as the CLI would read it (API URLs, tokens, HTTP settings). */
  env: NodeJS.ProcessEnv;
  from: string;
  to: string;
  /** Undefined: each stream's own windows (calendar months for clockodo). */
  windowDays?: number;
  streams?: string[];
  concurrency?: number;
  /** Short backoffs keep retried faults fast. */
  fastRetries?: boolean;
}

export function backfillInProcess(options: InProcessBackfill): Promise<RunSummary> {
  const config = loadConfig(options.env);
  const logger = silentLogger();
  const streams = buildStreams(config, { streams: options.streams }, { logger, retry: options.fastRetries ? { minTimeoutMs: 20, maxTimeoutMs: 100 } : undefined });
  return runPlan({
    pool: options.pool,
    logger,
    plan: { kind: 'backfill', sources: [...new Set(streams.map((s) => s.source))], streams: streams.map((s) => s.name), from: options.from, to: options.to, windowDays: options.windowDays ?? 0 },
    tasks: planTasks(streams, options.from, options.to, options.windowDays),
    concurrency: options.concurrency ?? 2,
  });
}
