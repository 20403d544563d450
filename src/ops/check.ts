/**
 * `punchcard check`: is this installation able to sync? One result per check: the database
 * answers, every migration is applied, and each configured source accepts its credentials with
 * one tiny request. A source without credentials is "not configured", which is not a failure.
 *
 * SOURCE_PROBES is keyed by SourceName, so a new source does not compile until it has a probe.
 */
import type { Pool } from 'pg';
import { knownAccountLabels, type ClockodoConfig, type Config, type TimeclockConfig } from '../config.ts';
import { describeError, printable, UsageError, type SourceName } from '../errors.ts';
import type { Logger } from '../logger.ts';
import { migrationStatus } from '../db/migrate.ts';
import { addDays, todayIn } from '../pipeline/windows.ts';
import { transformSessions } from '../transform/timeclock/sessions.ts';
import { timeclockReading } from '../sources/timeclock/index.ts';
import { utcBoundsOfLocalDays } from '../transform/clockodo/time.ts';
import { parseDayGroup } from '../transform/clockodo/entrygroups.ts';
import { SOURCES } from '../sources/registry.ts';
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

interface AccountOf {
  timeclock: TimeclockConfig;
  clockodo: ClockodoConfig;
}

/** One request that only succeeds with the account's credentials accepted; resolves with a short description. */
type Probe<A> = (account: A, options: ProbeOptions, transport: Omit<HttpTransportOptions, 'source' | 'secrets'>) => Promise<string>;

export const SOURCE_PROBES: { [S in SourceName]: Probe<AccountOf[S]> } = {
  timeclock: async (tc, { now }, transport) => {
    const day = todayIn(tc.timezone, now);
    const client = createTimeclockClient({ ...transport, url: tc.url, token: tc.token });
    const result = await client.call('sessions', { startDate: day, endDate: day });
    return `credentials accepted (sessions ${day}: ${result.length} employee record(s)) at ${new URL(tc.url).host}`;
  },
  clockodo: async (co, { now }, transport) => {
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

function checkTransport(options: ProbeOptions) {
  return {
    timeoutMs: Math.min(options.config.http.timeoutMs, 15_000),
    maxResponseBytes: options.config.http.maxResponseBytes,
    // A check answers quickly or says why: one retry for a transient hiccup, short waits.
    retry: { ...DEFAULT_RETRY_POLICY, retries: 1, minTimeoutMs: 200, maxTimeoutMs: 1_000, maxRetryAfterMs: 2_000 },
    logger: options.logger,
    signal: options.signal,
  };
}

/** The accounts `check` probes: every configured one, or those labelled `label` (`--account`). */
export interface CheckedAccounts {
  timeclock: TimeclockConfig[];
  clockodo: ClockodoConfig[];
}

/** Throws a UsageError listing the known labels when `label` names no configured account. */
export function accountsToCheck(config: Config, label: string | undefined): CheckedAccounts {
  if (label === undefined) return { timeclock: config.timeclockAccounts, clockodo: config.clockodoAccounts };
  const chosen = { timeclock: config.timeclockAccounts.filter((a) => a.account === label), clockodo: config.clockodoAccounts.filter((a) => a.account === label) };
  if (chosen.timeclock.length + chosen.clockodo.length === 0) {
    throw new UsageError(`--account ${JSON.stringify(label)} is not a configured account (known: ${knownAccountLabels(config)})`);
  }
  return chosen;
}

/**
 * The name a result line carries: the source alone for the single-account variables (as always),
 * the source and the label once an accounts file may list several accounts of it.
 */
export function checkName(config: Config, source: SourceName, account: string): string {
  return config.accountsFile === undefined ? source : `${source} ${JSON.stringify(account)}`;
}

/**
 * One block per account (its credentials, and for TimeClock its stamps), each line named by
 * checkName. A source without accounts is "not configured", which is not a failure; with
 * --account, only the accounts of that label are checked and an unlabelled source is left out.
 */
export async function checkAccounts(options: ProbeOptions, accounts: CheckedAccounts, label: string | undefined, pool?: Pool): Promise<CheckResult[]> {
  const transport = checkTransport(options);
  const results: CheckResult[] = [];
  const probe = async <S extends SourceName>(source: S, account: AccountOf[S]): Promise<CheckResult> => {
    const name = checkName(options.config, source, account.account);
    try {
      const logger = options.logger.child({ source, account: account.account });
      return { name, outcome: 'ok', detail: await SOURCE_PROBES[source](account, options, { ...transport, logger }) };
    } catch (error) {
      return { name, outcome: 'failed', detail: describeError(error) };
    }
  };
  for (const source of Object.keys(SOURCES) as SourceName[]) {
    const list = accounts[source];
    if (list.length === 0) {
      if (label === undefined) results.push({ name: source, outcome: 'not configured', detail: 'no credentials set' });
      continue;
    }
    if (source === 'timeclock') {
      for (const tc of list as TimeclockConfig[]) {
        const credentials = await probe('timeclock', tc);
        results.push(credentials);
        if (credentials.outcome === 'ok') results.push(await checkTimeclockStamps(options, tc, pool));
      }
    } else {
      for (const co of list as ClockodoConfig[]) results.push(await probe('clockodo', co));
    }
  }
  return results;
}

/**
 * The latest TimeClock session of the last window of days, as sent (stamp and zone) and as
 * punchcard stores it under TIMECLOCK_STAMPS (local stamp, zone, UTC), plus the UTC the warehouse
 * holds for it when it was loaded: an operator compares this line with the TimeClock web app to
 * confirm how the account's stamps are meant.
 */
export async function checkTimeclockStamps(options: ProbeOptions, tc: TimeclockConfig, pool?: Pool): Promise<CheckResult> {
  const name = `${checkName(options.config, 'timeclock', tc.account)} stamps`;
  try {
    const window = { start: addDays(todayIn(tc.timezone, options.now), 1 - tc.windowDays), end: todayIn(tc.timezone, options.now) };
    const client = createTimeclockClient({ ...checkTransport(options), logger: options.logger.child({ source: 'timeclock' }), url: tc.url, token: tc.token });
    const answer = await client.call('sessions', { startDate: window.start, endDate: window.end });
    const rows = transformSessions(answer, tc.account, window, timeclockReading(tc)).tables.find((t) => t.spec.table === 'punchcard.tc_sessions')!.rows;
    const latest = rows.reduce<Record<string, unknown> | undefined>((best, row) => (best === undefined || String(row.start_utc) > String(best.start_utc) ? row : best), undefined);
    if (latest === undefined) return { name, outcome: 'skipped', detail: `no session from ${window.start} to ${window.end} to show` };
    const sent = latest.raw as { startDate?: unknown; timezone?: unknown };
    const zoneNote = (latest.flags as string[]).includes('zone_defaulted') ? ' (none sent: TIMECLOCK_TIMEZONE)' : '';
    let warehouse = 'not in the warehouse yet';
    if (pool) {
      // An unmigrated warehouse is the migrations line's problem, not this one's.
      const stored = await pool
        .query<{ utc: string }>(
          `SELECT to_char(start_utc AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS utc FROM punchcard.sessions WHERE account = $1 AND employee_number = $2 AND start_local = $3::timestamp`,
          [tc.account, latest.employee_number, latest.start_local],
        )
        .then((r) => r.rows[0], () => undefined);
      if (stored) warehouse = `warehouse ${stored.utc}`;
    }
    return {
      name,
      outcome: 'ok',
      detail:
        `employee ${String(latest.employee_number)}: sent startDate ${JSON.stringify(sent.startDate)} timezone ${JSON.stringify(sent.timezone ?? null)}; ` +
        `stored local ${String(latest.start_local).replace('T', ' ')} ${String(latest.timezone)}${zoneNote} = UTC ${String(latest.start_utc)} ` +
        `(TIMECLOCK_STAMPS=${tc.stamps}; ${warehouse}): compare with the TimeClock web app`,
    };
  } catch (error) {
    return { name, outcome: 'failed', detail: describeError(error) };
  }
}

/** "ok      database: reachable ..." — one line per result. Pure. */
export function formatChecks(results: CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.outcome.length));
  return results.map((r) => `${r.outcome.padEnd(width)}  ${r.name}: ${printable(r.detail)}`).join('\n') + '\n';
}

export function anyFailed(results: CheckResult[]): boolean {
  return results.some((r) => r.outcome === 'failed');
}
