/**
 * Every source and stream punchcard knows, in one place: the CLI (`--source`, `--streams`),
 * the scheduled sync and `check` all select from here.
 */
import type { ClockodoConfig, Config } from '../config.ts';
import type { RequestLimiter } from './clockodo/client.ts';
import { UsageError, type SourceName } from '../errors.ts';
import type { Logger } from '../logger.ts';
import type { Stream } from '../pipeline/stream.ts';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from './http.ts';
import { TIMECLOCK_STREAMS, timeclockStreams } from './timeclock/index.ts';
import { CLOCKODO_STREAMS, clockodoStreams } from './clockodo/index.ts';

export const SOURCES: Record<SourceName, readonly string[]> = {
  timeclock: TIMECLOCK_STREAMS,
  clockodo: CLOCKODO_STREAMS,
};

export interface StreamSelection {
  /** Undefined: every configured source. */
  source?: string;
  /** Undefined: every stream of the selected sources. */
  streams?: string[];
}

export interface BuildOptions {
  logger: Logger;
  signal?: AbortSignal;
  retry?: Partial<RetryPolicy>;
  /**
   * The entrygroups limiter of a clockodo account. Default: an in-process one; the fleet passes
   * a PostgreSQL-backed one so that the limit holds across every worker.
   */
  clockodoLimiter?: (account: ClockodoConfig) => RequestLimiter;
}

export function parseSourceName(value: string): SourceName {
  // Own keys only: `"__proto__" in SOURCES` is true and would select Object.prototype.
  if (Object.hasOwn(SOURCES, value)) return value as SourceName;
  throw new UsageError(`unknown source "${value}" (known: ${Object.keys(SOURCES).join(', ')})`);
}

/** Sources with credentials in the configuration. */
export function configuredSources(config: Config): SourceName[] {
  const sources: SourceName[] = [];
  if (config.timeclockAccounts.length > 0) sources.push('timeclock');
  if (config.clockodoAccounts.length > 0) sources.push('clockodo');
  return sources;
}

export function buildStreams(config: Config, selection: StreamSelection, options: BuildOptions): Stream[] {
  const wanted = selection.source === undefined ? undefined : parseSourceName(selection.source);
  if (wanted && !configuredSources(config).includes(wanted)) {
    const variables = wanted === 'timeclock' ? 'TIMECLOCK_API_TOKEN' : 'CLOCKODO_API_USER and CLOCKODO_API_KEY';
    throw new UsageError(`source ${wanted} has no credentials: set ${variables}`);
  }
  const sources = wanted ? [wanted] : configuredSources(config);
  const known = new Set(sources.flatMap((source) => SOURCES[source]));
  for (const stream of selection.streams ?? []) {
    if (!known.has(stream)) {
      throw new UsageError(`unknown stream "${stream}" for ${sources.join(', ') || 'the configured sources'} (known: ${[...known].join(', ')})`);
    }
  }
  const transport = {
    timeoutMs: config.http.timeoutMs,
    maxResponseBytes: config.http.maxResponseBytes,
    retry: { ...DEFAULT_RETRY_POLICY, retries: config.http.retries, ...options.retry },
    logger: options.logger,
    signal: options.signal,
  };
  const streams: Stream[] = [];
  if (sources.includes('timeclock')) {
    for (const account of config.timeclockAccounts) {
      streams.push(...timeclockStreams(account, { ...transport, logger: options.logger.child({ source: 'timeclock', account: account.account }) }));
    }
  }
  if (sources.includes('clockodo')) {
    for (const account of config.clockodoAccounts) {
      streams.push(
        ...clockodoStreams(account, {
          ...transport,
          logger: options.logger.child({ source: 'clockodo', account: account.account }),
          entrygroupsLimiter: options.clockodoLimiter?.(account),
        }),
      );
    }
  }
  return selection.streams ? streams.filter((s) => selection.streams!.includes(s.name)) : streams;
}
