/**
 * `punchcard check`: is this installation able to sync? One result per check: the database
 * answers, every migration is applied, and each configured source accepts its credentials with
 * one tiny request. A source without credentials is "not configured", which is not a failure.
 *
 * SOURCE_PROBES is keyed by SourceName, so a new source does not compile until it has a probe.
 */
import type { Pool } from 'pg';
import type { Config } from '../config.ts';
import { describeError, type SourceName } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { migrationStatus } from '../db/migrate.ts';
import { addDays, todayIn } from '../pipeline/windows.ts';
import { utcBoundsOfLocalDays } from '../transform/clockodo/time.ts';
import { parseDayGroup } from '../transform/clockodo/entrygroups.ts';
import { configuredSources, SOURCES } from '../sources/registry.ts';
import { DEFAULT_RETRY_POLICY, type HttpTransportOptions } from '../sources/http.ts';
import { createClientFromConfig } from '../sources/clockodo/index.ts';
import { createTimeclockClient } from '../sources/timeclock/client.ts';

export type CheckOutcome = 'ok' | 'failed' | 'not configured' | 'skipped';

export interface CheckResult {
  name: string;
  outcome: CheckOutcome;
  detail: string;
}

export interface ProbeOptions {
  config: Config;
  logger: Logger;
  now: Date;
  signal?: AbortSignal;
}

/** One request that only succeeds with accepted credentials; resolves with a short description. */
type Probe = (options: ProbeOptions, transport: Omit<HttpTransportOptions, 'source' | 'secrets'>) => Promise<string>;

export const SOURCE_PROBES: Record<SourceName, Probe> = {
  timeclock: async ({ config, now }, transport) => {
    const tc = config.timeclock!;
    const day = todayIn(tc.timezone, now);
    const client = createTimeclockClient({ ...transport, url: tc.url, token: tc.token });
    const result = await client.call('sessions', { startDate: day, endDate: day });
    return `credentials accepted (sessions ${day}: ${result.length} employee record(s)) at ${new URL(tc.url).host}`;
  },
  clockodo: async ({ config, now }, transport) => {
    const co = config.clockodo!;
    const client = createClientFromConfig(co, transport);
    const users = await client.ping();
    const day = await probeDayGroup(client, addDays(todayIn(co.timezone, now), -1), co.timezone);
    return `credentials accepted${users === undefined ? '' : ` (${users} user(s))`} at ${new URL(co.url).host}; ${day}`;
  },
};

/**
 * No public source shows how clockodo writes a `day` group, so one day grouped by `day` is asked
 * for and its group printed exactly as sent, with how punchcard reads it: an operator sees the
 * format of a real account without reading raw answers.
 */
async function probeDayGroup(client: ReturnType<typeof createClientFromConfig>, day: string, zone: string): Promise<string> {
  const answer = await client.entrygroups({ ...utcBoundsOfLocalDays({ start: day, end: day }, zone), grouping: ['day'] });
  const groups = answer.groups;
  const first = Array.isArray(groups) ? groups[0] : groups && typeof groups === 'object' ? Object.values(groups)[0] : undefined;
  if (!first || typeof first !== 'object') return `day group of ${day}: no time entries that day, so no day value to show`;
  const sent = (first as { group?: unknown }).group;
  const read = parseDayGroup(sent);
  // A format punchcard cannot read would reject every entrygroups row: that is a failed check.
  if (!read.ok) throw new Error(`credentials accepted, but the day group of ${day} was sent as ${JSON.stringify(sent)}, which punchcard cannot read (${read.reason})`);
  return `day group of ${day} sent as ${JSON.stringify(sent)} (read as ${read.value})`;
}

/** Database checks: reachable (given a pool that connected) and migrations applied. */
export async function checkDatabase(pool: Pool, where: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  try {
    const { rows } = await pool.query<{ version: string }>(`SELECT current_setting('server_version') AS version`);
    results.push({ name: 'database', outcome: 'ok', detail: `reachable: PostgreSQL ${rows[0]!.version} (${where})` });
  } catch (error) {
    return [
      { name: 'database', outcome: 'failed', detail: `unreachable (${where}): ${describeError(error)}` },
      { name: 'migrations', outcome: 'skipped', detail: 'the database is unreachable' },
    ];
  }
  try {
    const status = await migrationStatus(pool);
    const problems = [
      status.pending.length > 0 ? `${status.pending.length} pending (${status.pending.join(', ')}): run \`punchcard migrate\`` : '',
      status.edited.length > 0 ? `edited after they were applied: ${status.edited.join(', ')}` : '',
      status.failed.length > 0 ? `recorded as failed: ${status.failed.join(', ')}` : '',
    ].filter(Boolean);
    const note = status.missingLocally.length > 0 ? `; ${status.missingLocally.length} applied migration(s) not in this checkout` : '';
    results.push(
      problems.length === 0
        ? { name: 'migrations', outcome: 'ok', detail: `all ${status.applied.length} applied${note}` }
        : { name: 'migrations', outcome: 'failed', detail: problems.join('; ') },
    );
  } catch (error) {
    results.push({ name: 'migrations', outcome: 'failed', detail: describeError(error) });
  }
  return results;
}

/** One result per known source: probed when configured, else "not configured". */
export async function checkSources(options: ProbeOptions): Promise<CheckResult[]> {
  const configured = configuredSources(options.config);
  const transport = {
    timeoutMs: Math.min(options.config.http.timeoutMs, 15_000),
    // A check answers quickly or says why: one retry for a transient hiccup, short waits.
    retry: { ...DEFAULT_RETRY_POLICY, retries: 1, minTimeoutMs: 200, maxTimeoutMs: 1_000, maxRetryAfterMs: 2_000 },
    logger: options.logger,
    signal: options.signal,
  };
  const results: CheckResult[] = [];
  for (const source of Object.keys(SOURCES) as SourceName[]) {
    if (!configured.includes(source)) {
      results.push({ name: source, outcome: 'not configured', detail: 'no credentials set' });
      continue;
    }
    try {
      results.push({ name: source, outcome: 'ok', detail: await SOURCE_PROBES[source](options, { ...transport, logger: options.logger.child({ source }) }) });
    } catch (error) {
      results.push({ name: source, outcome: 'failed', detail: describeError(error) });
    }
  }
  return results;
}

/** "ok      database: reachable ..." — one line per result. Pure. */
export function formatChecks(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.outcome.length));
  return results.map((r) => `${r.outcome.padEnd(width)}  ${r.name}: ${r.detail}`).join('\n') + '\n';
}

export function anyFailed(results: CheckResult[]): boolean {
  return results.some((r) => r.outcome === 'failed');
}
