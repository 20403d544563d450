/**
 * `punchcard clockodo edit|delete`: change or delete a group of clockodo time entries through
 * PUT/DELETE /v2/entrygroups, the way clockodo asks integrations to do it:
 *
 *   1. everything the user typed is validated before any request (one line, exit 2);
 *   2. the request is sent without confirm_key: clockodo counts the entries and hands out a key,
 *      nothing changes; we print the selection, the change and the count;
 *   3. `Proceed? [y/N]` on the terminal (--yes skips it, --dry-run stops here, and without a
 *      terminal on stdin and without --yes we refuse: a pipe must not confirm a bulk change);
 *   4. the same request with the confirm key (never repeated after a timeout: it is not
 *      idempotent); the final count is printed;
 *   5. the affected calendar months of the entrygroups stream are loaded again, so the warehouse
 *      shows the change (--no-resync skips this).
 *
 * --since/--until take a local day (YYYY-MM-DD, in CLOCKODO_TIMEZONE: --since from 00:00:00,
 * --until to 23:59:59) or an exact UTC stamp (YYYY-MM-DDTHH:MM:SSZ). Entries are selected by
 * clockodo's rules for time_since/time_until.
 */
import { createInterface } from 'node:readline/promises';
import type { Pool } from 'pg';
import { chooseAccount, type ClockodoConfig } from '../../config.ts';
import { AbortedError, SourceError, UsageError } from '../../errors.ts';
import { planTasks } from '../../pipeline/plan.ts';
import { runPlan, type RunSummary } from '../../pipeline/run.ts';
import { isCalendarDate } from '../../pipeline/windows.ts';
import { BUDGET_TYPE_SHORT_NAMES, BUDGET_TYPES, type BudgetType, type ChangeKind, type ClockodoClient, type EntryFilter, type EntrygroupsChange, type NewValues } from '../../sources/clockodo/client.ts';
import { createClientFromConfig } from '../../sources/clockodo/index.ts';
import { entrygroupsStream } from '../../sources/clockodo/streams/entrygroups.ts';
import { DEFAULT_RETRY_POLICY } from '../../sources/http.ts';
import { clockodoStampOfInstant, isClockodoStamp, localDateOfStamp, epochOfStamp, utcBoundsOfLocalDays, wholeMonths } from '../../transform/clockodo/time.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export interface ClockodoChangeFlags {
  since?: string;
  until?: string;
  /** The document's own names, accepted as aliases of --since / --until. */
  timeSince?: string;
  timeUntil?: string;
  usersId?: string;
  customersId?: string;
  projectsId?: string;
  subprojectsId?: string;
  servicesId?: string;
  teamsId?: string;
  lumpsumServicesId?: string;
  billable?: string;
  text?: string;
  textsId?: string;
  budgetType?: string;
  setUsersId?: string;
  setCustomersId?: string;
  setProjectsId?: string;
  setSubprojectsId?: string;
  setServicesId?: string;
  setLumpsumServicesId?: string;
  setBillable?: string;
  setText?: string;
  setHourlyRate?: string;
  yes?: boolean;
  dryRun?: boolean;
  /** false with --no-resync. */
  resync?: boolean;
  /** The clockodo account's label; required when several are configured. */
  account?: string;
}

export interface ChangeRequest {
  kind: ChangeKind;
  change: EntrygroupsChange;
  /** Local days (CLOCKODO_TIMEZONE) touched by the selection. */
  firstDay: string;
  lastDay: string;
}

/** Where the command talks to the user; injectable for tests. */
export interface ClockodoIO {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
}

const MAX_ID = 2 ** 53 - 1;
const BILLABLE_NAMES = ['not billable', 'billable', 'billed'];

/** clockodo ids start at 1, for filters (OpenAPI minimum 1) and new values alike. */
function parseId(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (/^0+$/.test(value) && !option.startsWith('--set-')) {
    throw new UsageError(
      `${option} 0 is not a valid filter: clockodo's filter ids start at 1 (0 is "without" in clockodo's UI, not in its API, and a filter clockodo ignores would widen the selection)`,
    );
  }
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_ID) throw new UsageError(`${option} must be a whole number ≥ 1, got "${value}"`);
  return n;
}

/** A short name (strict, soft-completed, ...) or the API's own value (rep_filter_budget_...) → the API's value. */
function parseBudgetType(value: string | undefined): BudgetType | undefined {
  if (value === undefined) return undefined;
  // Own keys only: BUDGET_TYPE_SHORT_NAMES["__proto__"] or ["constructor"] are not budget types.
  const mapped = Object.hasOwn(BUDGET_TYPE_SHORT_NAMES, value)
    ? BUDGET_TYPE_SHORT_NAMES[value]
    : (BUDGET_TYPES as readonly string[]).includes(value)
      ? (value as BudgetType)
      : undefined;
  if (mapped === undefined) throw new UsageError(`--budget-type must be one of ${Object.keys(BUDGET_TYPE_SHORT_NAMES).join(', ')} (or the API's rep_filter_budget_… value), got "${value}"`);
  return mapped;
}

function parseBillable(option: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[012]$/.test(value)) throw new UsageError(`${option} must be 0 (not billable), 1 (billable) or 2 (billed), got "${value}"`);
  return Number(value);
}

/** A local day (start or end of it, in `zone`) or an exact UTC stamp → clockodo stamp. */
function parseBound(option: string, value: string | undefined, zone: string, edge: 'start' | 'end'): string {
  if (value === undefined) throw new UsageError(`${option} is required (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)`);
  if (isCalendarDate(value)) {
    const bounds = utcBoundsOfLocalDays({ start: value, end: value }, zone);
    return edge === 'start' ? bounds.timeSince : bounds.timeUntil;
  }
  if (isClockodoStamp(value)) return value;
  const instant = clockodoStampOfInstant(value);
  if (instant !== undefined) return instant;
  throw new UsageError(`${option} must be a day YYYY-MM-DD (local, ${zone}) or an instant YYYY-MM-DDTHH:MM:SSZ (or with an offset), got "${value}"`);
}

/** Validates every flag; pure. Throws a UsageError naming the first bad option. */
export function parseChangeFlags(kind: ChangeKind, flags: ClockodoChangeFlags, zone: string): ChangeRequest {
  if (flags.since !== undefined && flags.timeSince !== undefined) throw new UsageError('give either --since or --time-since, not both');
  if (flags.until !== undefined && flags.timeUntil !== undefined) throw new UsageError('give either --until or --time-until, not both');
  const since = flags.since ?? flags.timeSince;
  const until = flags.until ?? flags.timeUntil;
  const sinceOption = flags.timeSince !== undefined ? '--time-since' : '--since';
  const untilOption = flags.timeUntil !== undefined ? '--time-until' : '--until';
  const timeSince = parseBound(sinceOption, since, zone, 'start');
  const timeUntil = parseBound(untilOption, until, zone, 'end');
  if (epochOfStamp(timeSince) > epochOfStamp(timeUntil)) throw new UsageError(`${sinceOption} ${since} is after ${untilOption} ${until}`);

  if (flags.text !== undefined && flags.text.trim() === '') throw new UsageError('--text must not be empty: clockodo does not say what an empty text filter selects, and read as no filter it would change every entry in the range');
  if (flags.text !== undefined && flags.textsId !== undefined) throw new UsageError('give either --text or --texts-id, not both');
  const filter: EntryFilter = {
    users_id: parseId('--users-id', flags.usersId),
    customers_id: parseId('--customers-id', flags.customersId),
    projects_id: parseId('--projects-id', flags.projectsId),
    subprojects_id: parseId('--subprojects-id', flags.subprojectsId),
    services_id: parseId('--services-id', flags.servicesId),
    lumpsum_services_id: parseId('--lumpsum-services-id', flags.lumpsumServicesId),
    teams_id: parseId('--teams-id', flags.teamsId),
    billable: parseBillable('--billable', flags.billable),
    text: flags.text,
    texts_id: parseId('--texts-id', flags.textsId),
    budget_type: parseBudgetType(flags.budgetType),
  };
  const change: EntrygroupsChange = { timeSince, timeUntil, filter: withoutUndefined(filter) };

  if (kind === 'edit') {
    let hourlyRate: number | undefined;
    if (flags.setHourlyRate !== undefined) {
      if (!/^\d+(\.\d+)?$/.test(flags.setHourlyRate)) throw new UsageError(`--set-hourly-rate must be a number ≥ 0 such as 85 or 92.50, got "${flags.setHourlyRate}"`);
      hourlyRate = Number(flags.setHourlyRate);
    }
    const values: NewValues = withoutUndefined({
      users_id: parseId('--set-users-id', flags.setUsersId),
      customers_id: parseId('--set-customers-id', flags.setCustomersId),
      projects_id: parseId('--set-projects-id', flags.setProjectsId),
      subprojects_id: parseId('--set-subprojects-id', flags.setSubprojectsId),
      services_id: parseId('--set-services-id', flags.setServicesId),
      lumpsum_services_id: parseId('--set-lumpsum-services-id', flags.setLumpsumServicesId),
      billable: parseBillable('--set-billable', flags.setBillable),
      text: flags.setText,
      hourly_rate: hourlyRate,
    });
    if (Object.keys(values).length === 0) {
      throw new UsageError('edit needs at least one new value (--set-users-id, --set-customers-id, --set-projects-id, --set-subprojects-id, --set-services-id, --set-lumpsum-services-id, --set-billable, --set-text, --set-hourly-rate)');
    }
    change.values = values;
  }
  return { kind, change, firstDay: localDateOfStamp(timeSince, zone), lastDay: localDateOfStamp(timeUntil, zone) };
}

function withoutUndefined<T extends object>(object: T): T {
  return Object.fromEntries(Object.entries(object).filter(([, v]) => v !== undefined)) as T;
}

/** "billable → 2 (billed), text → "Review"" */
export function describeValues(values: NewValues): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (key === 'billable') return `billable → ${value} (${BILLABLE_NAMES[value as number]})`;
      if (key === 'text') return `text → ${JSON.stringify(value)}`;
      return `${key} → ${value}`;
    })
    .join(', ');
}

export function describeSelection(request: ChangeRequest, zone: string): string {
  const { change } = request;
  const filters = Object.entries(change.filter).map(([key, value]) => `${key}=${typeof value === 'string' && key === 'text' ? JSON.stringify(value) : value}`);
  const range = `${change.timeSince} – ${change.timeUntil} (local days ${request.firstDay}..${request.lastDay}, ${zone})`;
  return `time entries ${range}${filters.length > 0 ? ` where ${filters.join(', ')}` : ' (no filter: every entry in the range)'}`;
}

function entries(count: number): string {
  return `${count} time ${count === 1 ? 'entry' : 'entries'}`;
}

/** Reads one answer line from a terminal; only y / yes (any case) proceeds. */
export async function askConfirmation(io: ClockodoIO, question: string): Promise<boolean> {
  const rl = createInterface({ input: io.stdin, output: io.stdout, terminal: false });
  try {
    const closed = new Promise<string>((resolve) => rl.once('close', () => resolve('')));
    const answer = await Promise.race([rl.question(question).catch(() => ''), closed]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}

export interface ChangeOutcome {
  affected: number;
  changed?: number;
  resync?: RunSummary;
}

export async function clockodoChangeCommand(
  context: CommandContext,
  kind: ChangeKind,
  flags: ClockodoChangeFlags,
  io: ClockodoIO = { stdin: process.stdin, stdout: process.stdout },
  client?: ClockodoClient,
): Promise<ChangeOutcome> {
  // Chosen first: the account's zone reads --since/--until, and a wrong label stops before any request.
  const config = chooseAccount(context.config, 'clockodo', flags.account, '--account');
  const zone = config?.timezone ?? 'Europe/Berlin';
  const request = parseChangeFlags(kind, flags, zone);
  if (!config) throw new UsageError('clockodo is not configured: set CLOCKODO_API_USER and CLOCKODO_API_KEY');
  const api = client ?? createClientFromConfig(config, transportOf(context));
  const print = (line: string) => io.stdout.write(`${line}\n`);

  const { confirmKey, affectedEntries } = await api.requestChange(kind, request.change);
  const inAccount = context.config.clockodoAccounts.length > 1 ? ` in account ${config.account}` : '';
  print(`Selection${inAccount}: ${describeSelection(request, zone)}`);
  if (affectedEntries === 0 || confirmKey === undefined) {
    print(`${entries(0)} match: nothing was changed.`);
    return { affected: 0 };
  }
  print(kind === 'delete' ? `${entries(affectedEntries)} will be deleted.` : `${entries(affectedEntries)} will be edited: ${describeValues(request.change.values!)}.`);
  if (flags.dryRun) {
    print('Dry run: nothing was changed.');
    return { affected: affectedEntries };
  }
  if (!flags.yes) {
    if (!io.stdin.isTTY) {
      throw new AbortedError('stdin is not a terminal, so nobody can confirm: nothing was changed. Run it in a terminal, or add --yes to confirm without asking (--dry-run only counts)');
    }
    if (!(await askConfirmation(io, 'Proceed? [y/N] '))) throw new AbortedError('cancelled: nothing was changed');
  }

  // Open (and migrate) the warehouse before changing anything, so a database problem stops here.
  const db = flags.resync === false ? undefined : await openWarehouse(context, 'write');
  try {
    let changed: number;
    try {
      changed = await api.confirmChange(kind, request.change, confirmKey);
    } catch (error) {
      // The outcome of a timed-out or failed confirmation is unknown: load what clockodo now says.
      if (db && error instanceof SourceError && ['timeout', 'network', 'server', 'invalid-response'].includes(error.kind)) {
        await resync(context, db.pool, config, api, request).catch((resyncError) => context.logger.error({ err: resyncError }, 're-sync after an unknown outcome failed'));
      }
      throw error;
    }
    print(`${entries(changed)} ${kind === 'delete' ? 'deleted' : 'edited'}${changed !== affectedEntries ? ` (${affectedEntries} were counted before confirming)` : ''}.`);
    if (!db) {
      print('Not re-synced (--no-resync): run `punchcard backfill --source clockodo --streams entrygroups` over these days to update the warehouse.');
      return { affected: affectedEntries, changed };
    }
    const summary = await resync(context, db.pool, config, api, request);
    const range = `${summary.plan.from}..${summary.plan.to}`;
    if (summary.run.status !== 'succeeded') {
      const failure = summary.run.failures[0]?.error ?? summary.run.status;
      throw new AbortedError(
        `the change was made in clockodo, but re-loading entrygroups ${range} failed (${failure}); run \`punchcard backfill --source clockodo --streams entrygroups --from ${summary.plan.from} --to ${summary.plan.to}\``,
      );
    }
    const r = summary.run.rows;
    print(`Warehouse re-synced: entrygroups ${range} (run ${summary.run.runId}: ${r.inserted} inserted, ${r.updated} updated, ${r.deleted} marked deleted).`);
    return { affected: affectedEntries, changed, resync: summary.run };
  } finally {
    await db?.close();
  }
}

function transportOf(context: CommandContext) {
  return {
    timeoutMs: context.config.http.timeoutMs,
    maxResponseBytes: context.config.http.maxResponseBytes,
    retry: { ...DEFAULT_RETRY_POLICY, retries: context.config.http.retries },
    logger: context.logger.child({ source: 'clockodo' }),
    signal: context.signal,
  };
}

/** Loads the calendar months holding the selection's days again (entrygroups only). */
async function resync(
  context: CommandContext,
  pool: Pool,
  config: ClockodoConfig,
  client: ClockodoClient,
  request: ChangeRequest,
): Promise<{ plan: { from: string; to: string }; run: RunSummary }> {
  const { start: from, end: to } = wholeMonths(request.firstDay, request.lastDay);
  const stream = entrygroupsStream(client, config);
  const run = await runPlan({
    pool,
    logger: context.logger,
    plan: { kind: 'backfill', sources: ['clockodo'], streams: ['clockodo.entrygroups'], from, to, windowDays: 0 },
    tasks: planTasks([stream], from, to),
    concurrency: 1,
    signal: context.signal,
  });
  return { plan: { from, to }, run };
}
