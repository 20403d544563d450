/**
 * All configuration, parsed and validated in one place from the environment.
 *
 * A missing or malformed value becomes a ConfigError whose message names the variable; the CLI
 * prints that one line and exits 2. Secrets are kept here and handed to clients; they are never
 * logged (see logger.ts redaction) and never appear in error messages.
 */
import { readFileSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { IANAZone } from 'luxon';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ConfigError, UsageError, registerSecrets } from './errors.ts';

const DEFAULT_CRON = '30 2 * * *';

/** node-cron's own check, loaded only for a schedule other than the default (a sync never needs node-cron). */
function validCron(expression: string): boolean {
  const cron = createRequire(import.meta.url)('node-cron') as typeof import('node-cron');
  return cron.validate(expression);
}

/**
 * The YAML parser, loaded on first use: only an accounts file needs it, and its ~70 modules were
 * ~5-9 MB of every process's start-up peak (the nightly sync's included).
 */
function parseYaml(text: string): unknown {
  const { parse } = createRequire(import.meta.url)('yaml') as typeof import('yaml');
  return parse(text);
}

/**
 * The account label every row loaded from the built-in simulators carries. Real credentials may not
 * use it, so simulator rows can never pass for (or merge with) real data in a shared warehouse.
 */
export const DEMO_ACCOUNT = 'demo';

export const TIMECLOCK_PRODUCTION_URL = 'https://live.timeclock365.com/api/v1/json-rpc';
export const CLOCKODO_PRODUCTION_URL = 'https://my.clockodo.com/api';
export const DEFAULT_CLOCKODO_GROUPING = ['users_id', 'day', 'customers_id', 'projects_id', 'services_id', 'billable'] as const;

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const ianaZone = (fallback: string) =>
  optionalString.transform((value) => value ?? fallback).refine((zone) => IANAZone.isValidZone(zone), {
    message: 'must be an IANA time zone such as Europe/Berlin',
  });

/**
 * Whole numbers in plain decimal digits only: Number() would also take "0x10", "1e3", " 5" and
 * "5.0", so a typo could become a different value silently. Unset or empty means the default.
 */
const wholeNumber = (fallback: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((value) => (value === undefined || value === '' ? fallback : /^[0-9]{1,15}$/.test(value) ? Number(value) : Number.NaN))
    .refine((value) => Number.isInteger(value) && value >= min && value <= max, {
      message: `must be a whole number from ${min} to ${max}, in decimal digits`,
    });

const positiveInt = (fallback: number, max = 1_000_000) => wholeNumber(fallback, 1, max);

const nonNegativeInt = (fallback: number, max: number) => wholeNumber(fallback, 0, max);

/**
 * On/off settings take only their documented spellings (1/0, true/false, yes/no, on/off, any
 * case; unset or empty is the default): "maybe" or "ture" is refused rather than read as off.
 */
const strictBoolean = (fallback: boolean) =>
  optionalString
    .refine((value) => value === undefined || /^(1|0|true|false|yes|no|on|off)$/i.test(value), { message: 'must be true or false' })
    .transform((value) => (value === undefined ? fallback : /^(1|true|yes|on)$/i.test(value)));

const booleanFlag = strictBoolean(false);

const url = (fallback?: string) =>
  optionalString
    .transform((value) => value ?? fallback)
    .refine((value) => value === undefined || URL.canParse(value), { message: 'must be a URL' });

const accountLabel = optionalString
  .transform((value) => value ?? 'default')
  .refine((value) => value !== DEMO_ACCOUNT, { message: `must not be "${DEMO_ACCOUNT}": that label marks rows loaded from the built-in simulators` });

const envSchema = z.object({
  DATABASE_URL: url().refine((value) => value === undefined || /^postgres(ql)?:\/\//.test(value), {
    message: 'must be a postgres:// URL',
  }),
  PUNCHCARD_DATA_DIR: optionalString.transform((value) => value ?? '.punchcard'),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional()
    .transform((value) => value ?? 'info'),
  PUNCHCARD_ALLOW_INSECURE_HTTP: booleanFlag,
  PUNCHCARD_EXPOSE_PERSONAL_DATA: booleanFlag,
  PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS: nonNegativeInt(900, 86_400),
  HTTP_TIMEOUT_MS: positiveInt(30_000, 600_000),
  HTTP_RETRIES: nonNegativeInt(5, 20),
  // MB of 1,000,000 bytes: 512 MB stays below the longest string V8 can build from an answer.
  PUNCHCARD_MAX_RESPONSE_MB: positiveInt(512, 512),
  PUNCHCARD_MAX_BACKFILL_YEARS: positiveInt(10, 100),

  TIMECLOCK_API_URL: url(TIMECLOCK_PRODUCTION_URL),
  TIMECLOCK_API_TOKEN: optionalString,
  TIMECLOCK_ACCOUNT: accountLabel,
  TIMECLOCK_TIMEZONE: ianaZone('Asia/Jerusalem'),
  TIMECLOCK_WINDOW_DAYS: positiveInt(7, 31),
  TIMECLOCK_STAMPS: optionalString
    .transform((value) => (value ?? 'local').toLowerCase())
    .refine((value): value is 'local' | 'utc' => value === 'local' || value === 'utc', { message: 'must be local or utc' }),

  CLOCKODO_API_URL: url(CLOCKODO_PRODUCTION_URL),
  CLOCKODO_API_USER: optionalString,
  CLOCKODO_API_KEY: optionalString,
  CLOCKODO_EXTERNAL_APPLICATION: optionalString,
  CLOCKODO_CONTACT: optionalString,
  CLOCKODO_PREPEND_CUSTOMER_TO_PROJECT_NAME: strictBoolean(false),
  CLOCKODO_CALC_ALSO_REVENUES_FOR_PROJECTS_WITH_HARD_BUDGET: strictBoolean(false),
  CLOCKODO_ACCOUNT: accountLabel,
  CLOCKODO_TIMEZONE: ianaZone('Europe/Berlin'),
  CLOCKODO_GROUPING: optionalString,
  CLOCKODO_ROUND_TO_MINUTES: nonNegativeInt(0, 1440),
  CLOCKODO_ENTRYGROUPS_PER_MINUTE: positiveInt(10, 10_000),
  CLOCKODO_ENTRYGROUPS_SPAN_SECONDS: positiveInt(60, 3600),
  TIMECLOCK_MAX_CONCURRENCY: positiveInt(2, 64),

  PUNCHCARD_ACCOUNTS: optionalString,
  PUNCHCARD_WORKER_CONCURRENCY: positiveInt(2, 64),
  PUNCHCARD_JOB_ATTEMPTS: positiveInt(4, 20),
  PUNCHCARD_JOB_RETRY_DELAY_SECONDS: positiveInt(10, 3600),
  PUNCHCARD_JOB_HEARTBEAT_SECONDS: positiveInt(30, 3600).refine((value) => value >= 10, { message: 'must be at least 10 (seconds)' }),
  PUNCHCARD_JOB_TIMEOUT_SECONDS: positiveInt(3600, 86_400),
  PUNCHCARD_QUEUE_MAINTENANCE_SECONDS: positiveInt(30, 3600),

  // Checked here, before any command opens a database or starts a server.
  PUNCHCARD_CRON: optionalString
    .transform((value) => value ?? DEFAULT_CRON)
    .refine((value) => value === DEFAULT_CRON || validCron(value), { message: 'is not a valid cron expression (5 fields, or 6 with seconds first)' }),
  PUNCHCARD_TZ: ianaZone('UTC'),
  PUNCHCARD_LOOKBACK_DAYS: positiveInt(14, 3660),
  PUNCHCARD_METRICS_PORT: nonNegativeInt(9464, 65535),
  // Loopback unless widened on purpose: /metrics and /healthz carry no credentials but tell anyone
  // who can reach them what is synced and how often. A container sets 0.0.0.0 (its own network).
  PUNCHCARD_METRICS_HOST: optionalString
    .transform((value) => value ?? '127.0.0.1')
    .refine((value) => isIP(value) !== 0 || value === 'localhost', {
      message: 'must be an IP address to listen on (127.0.0.1, ::1, 0.0.0.0 for all IPv4 interfaces, :: for all) or localhost',
    }),
});

export interface TimeclockConfig {
  url: string;
  token: string;
  account: string;
  /** Also the zone of a session sent without one (flagged zone_defaulted). */
  timezone: string;
  windowDays: number;
  /** Windows of this account in flight at once, across every worker of the fleet. */
  maxConcurrency: number;
  /** How stamps are read: local wall-clock time in the session's zone (the document's reading) or UTC. */
  stamps: 'local' | 'utc';
}

export interface ClockodoConfig {
  url: string;
  user: string;
  apiKey: string;
  externalApplication: string;
  account: string;
  timezone: string;
  grouping: string[];
  roundToMinutes: number;
  /** Sent as `prepend_customer_to_project_name` (clockodo's default: true). */
  prependCustomerToProjectName: boolean;
  /** Sent as `calc_also_revenues_for_projects_with_hard_budget` (clockodo's default: false). */
  calcAlsoRevenuesForProjectsWithHardBudget: boolean;
  entrygroupsPerMinute: number;
  /** The span the entrygroups limit counts over (60: "per minute"; shorter only in tests). */
  entrygroupsSpanSeconds: number;
}

/** How the fleet's job queue (pg-boss, in the warehouse) runs windows. */
export interface QueueConfig {
  /** Windows one worker process runs at once. */
  concurrency: number;
  /** Tries per window before it is a failed window in the ledger. */
  attempts: number;
  /** First retry delay; the queue doubles it per attempt (with jitter). */
  retryDelaySeconds: number;
  /** A job whose worker stops sending heartbeats this long (a dead worker) is taken up again. */
  heartbeatSeconds: number;
  /** A job running this long is failed (and retried), heartbeat or not. */
  timeoutSeconds: number;
  /** How often the queue's supervisor looks for lapsed jobs. */
  maintenanceSeconds: number;
}

export interface Config {
  databaseUrl: string | undefined;
  dataDir: string;
  logLevel: string;
  allowInsecureHttp: boolean;
  exposePersonalData: boolean;
  /** Booked and attended time within this many seconds of each other reconcile ("ok"). */
  reconciliationToleranceSeconds: number;
  /** maxResponseBytes: the most an answer may hold after decompression; reading stops past it. */
  http: { timeoutMs: number; retries: number; maxResponseBytes: number };
  /** The longest range a backfill may cover, in days (PUNCHCARD_MAX_BACKFILL_YEARS × 366). */
  maxBackfillDays: number;
  /** The first TimeClock account (the only one without PUNCHCARD_ACCOUNTS); undefined: none configured. */
  timeclock: TimeclockConfig | undefined;
  /** Every TimeClock account: from PUNCHCARD_ACCOUNTS, else the one of the TIMECLOCK_* variables. */
  timeclockAccounts: TimeclockConfig[];
  /** Every clockodo account, likewise. */
  clockodoAccounts: ClockodoConfig[];
  /** The accounts file, when PUNCHCARD_ACCOUNTS names one. */
  accountsFile: string | undefined;
  queue: QueueConfig;
  timeclockUrl: string;
  /** undefined when CLOCKODO_API_USER / CLOCKODO_API_KEY are not set. */
  clockodo: ClockodoConfig | undefined;
  clockodoUrl: string;
  schedule: { cron: string; timezone: string; lookbackDays: number; metricsPort: number; metricsHost: string };
}

/** Names of the variables holding secrets: the logger redacts them and errors never echo them. */
export const SECRET_VARIABLES = ['TIMECLOCK_API_TOKEN', 'CLOCKODO_API_KEY', 'DATABASE_URL'] as const;

/** Control characters (C0, DEL, C1): no credential has one, and in a header or a message they hide it from scrubbing. */
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Refuses a secret holding a control character; CLOCKODO_API_USER travels with the key (Basic auth) so it is checked too. */
function refuseControlCharacters(env: NodeJS.ProcessEnv): void {
  for (const variable of [...SECRET_VARIABLES, 'CLOCKODO_API_USER']) {
    const value = env[variable]?.trim();
    if (value === undefined || value === '') continue;
    let decoded = '';
    if (variable === 'DATABASE_URL' && URL.canParse(value)) {
      try {
        decoded = decodeURIComponent(new URL(value).password);
      } catch {
        throw new ConfigError(`${variable} has a password that is not valid percent-encoding`, variable);
      }
    }
    if (CONTROL_CHARACTER.test(value) || CONTROL_CHARACTER.test(decoded)) {
      throw new ConfigError(`${variable} contains a control character (a line break, carriage return, tab or escape); set it without one`, variable);
    }
  }
}

/**
 * A secret in a variable named on the command line (`grant-bi --password-env VAR`), under the same
 * rules as the configured ones: no control characters, scrubbed from every text once read.
 * Undefined when the variable is unset or empty (own keys only: "__proto__" is not a variable).
 */
export function namedSecret(variable: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = Object.hasOwn(env, variable) ? env[variable] : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  if (CONTROL_CHARACTER.test(value)) {
    throw new ConfigError(`${variable} contains a control character (a line break, carriage return, tab or escape); set it without one`, variable);
  }
  registerSecrets([value]);
  return value;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  refuseControlCharacters(env);
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? 'environment');
    // Never echo the value: it may be a secret.
    throw new ConfigError(`${variable} ${issue.message}`, variable);
  }
  const e = parsed.data;
  const allowInsecureHttp = e.PUNCHCARD_ALLOW_INSECURE_HTTP;
  const timeclockUrl = timeclockEndpoint(requireSafeUrl('TIMECLOCK_API_URL', e.TIMECLOCK_API_URL!, allowInsecureHttp));
  const clockodoUrl = clockodoBase(requireSafeUrl('CLOCKODO_API_URL', e.CLOCKODO_API_URL!, allowInsecureHttp));

  if ((e.CLOCKODO_API_USER === undefined) !== (e.CLOCKODO_API_KEY === undefined)) {
    const missing = e.CLOCKODO_API_USER === undefined ? 'CLOCKODO_API_USER' : 'CLOCKODO_API_KEY';
    throw new ConfigError(`${missing} is required when the other clockodo credential is set`, missing);
  }

  const envTimeclock: TimeclockConfig[] =
    e.TIMECLOCK_API_TOKEN === undefined
      ? []
      : [
          {
            url: timeclockUrl,
            token: e.TIMECLOCK_API_TOKEN,
            account: e.TIMECLOCK_ACCOUNT,
            ...envTimeclockDefaults(e),
          },
        ];
  const envClockodo: ClockodoConfig[] =
    e.CLOCKODO_API_USER === undefined || e.CLOCKODO_API_KEY === undefined
      ? []
      : [
          {
            url: clockodoUrl,
            user: e.CLOCKODO_API_USER,
            apiKey: e.CLOCKODO_API_KEY,
            externalApplication: externalApplication(e.CLOCKODO_EXTERNAL_APPLICATION, e.CLOCKODO_CONTACT, e.CLOCKODO_API_USER),
            account: e.CLOCKODO_ACCOUNT,
            ...envClockodoDefaults(e),
            grouping: parseGrouping(e.CLOCKODO_GROUPING),
          },
        ];
  let timeclockAccounts = envTimeclock;
  let clockodoAccounts = envClockodo;
  if (e.PUNCHCARD_ACCOUNTS !== undefined) {
    const clash = e.TIMECLOCK_API_TOKEN !== undefined ? 'TIMECLOCK_API_TOKEN' : e.CLOCKODO_API_USER !== undefined ? 'CLOCKODO_API_USER' : undefined;
    if (clash) throw new ConfigError(`PUNCHCARD_ACCOUNTS and ${clash} are both set: list that account in the accounts file instead`, clash);
    const accounts = loadAccountsFile(e.PUNCHCARD_ACCOUNTS, env, { allowInsecureHttp, defaults: { timeclock: envTimeclockDefaults(e), clockodo: envClockodoDefaults(e) } });
    timeclockAccounts = accounts.timeclock;
    clockodoAccounts = accounts.clockodo;
  }
  registerSecrets([
    ...timeclockAccounts.map((a) => a.token),
    ...clockodoAccounts.flatMap((a) => [a.apiKey, `${a.user}:${a.apiKey}`]),
    ...databasePasswordForms(e.DATABASE_URL),
  ]);

  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.PUNCHCARD_DATA_DIR,
    logLevel: e.LOG_LEVEL,
    allowInsecureHttp,
    exposePersonalData: e.PUNCHCARD_EXPOSE_PERSONAL_DATA,
    reconciliationToleranceSeconds: e.PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS,
    http: { timeoutMs: e.HTTP_TIMEOUT_MS, retries: e.HTTP_RETRIES, maxResponseBytes: e.PUNCHCARD_MAX_RESPONSE_MB * 1_000_000 },
    maxBackfillDays: e.PUNCHCARD_MAX_BACKFILL_YEARS * 366,
    timeclockUrl,
    timeclock: timeclockAccounts[0],
    clockodoUrl,
    clockodo: clockodoAccounts[0],
    timeclockAccounts,
    clockodoAccounts,
    accountsFile: e.PUNCHCARD_ACCOUNTS,
    queue: {
      concurrency: e.PUNCHCARD_WORKER_CONCURRENCY,
      attempts: e.PUNCHCARD_JOB_ATTEMPTS,
      retryDelaySeconds: e.PUNCHCARD_JOB_RETRY_DELAY_SECONDS,
      heartbeatSeconds: e.PUNCHCARD_JOB_HEARTBEAT_SECONDS,
      timeoutSeconds: e.PUNCHCARD_JOB_TIMEOUT_SECONDS,
      maintenanceSeconds: e.PUNCHCARD_QUEUE_MAINTENANCE_SECONDS,
    },
    schedule: {
      cron: e.PUNCHCARD_CRON,
      timezone: e.PUNCHCARD_TZ,
      lookbackDays: e.PUNCHCARD_LOOKBACK_DAYS,
      metricsPort: e.PUNCHCARD_METRICS_PORT,
      metricsHost: e.PUNCHCARD_METRICS_HOST,
    },
  };
}

/** The configured accounts of a source (from PUNCHCARD_ACCOUNTS, else the single-account variables). */
export function accountsOf(config: Config, source: 'timeclock'): TimeclockConfig[];
export function accountsOf(config: Config, source: 'clockodo'): ClockodoConfig[];
export function accountsOf(config: Config, source: 'timeclock' | 'clockodo'): Array<TimeclockConfig | ClockodoConfig>;
export function accountsOf(config: Config, source: 'timeclock' | 'clockodo'): Array<TimeclockConfig | ClockodoConfig> {
  return source === 'timeclock' ? config.timeclockAccounts : config.clockodoAccounts;
}

const SOURCE_TITLES = { timeclock: 'TimeClock', clockodo: 'clockodo' } as const;

/** "timeclock a, b; clockodo a": every configured label, for an error line. */
export function knownAccountLabels(config: Config): string {
  const parts = (['timeclock', 'clockodo'] as const)
    .map((source) => [source, accountsOf(config, source).map((a) => a.account)] as const)
    .filter(([, labels]) => labels.length > 0)
    .map(([source, labels]) => `${source} ${labels.join(', ')}`);
  return parts.length > 0 ? parts.join('; ') : 'none configured';
}

/**
 * The one account of `source` a command acts on: the one labelled `label` (given as `option`),
 * else the only one configured; undefined when the source has none and no label was given.
 * Several accounts and no label is refused: a command that changes data or identities must not
 * guess which account was meant.
 */
export function chooseAccount(config: Config, source: 'timeclock', label: string | undefined, option: string): TimeclockConfig | undefined;
export function chooseAccount(config: Config, source: 'clockodo', label: string | undefined, option: string): ClockodoConfig | undefined;
export function chooseAccount(config: Config, source: 'timeclock' | 'clockodo', label: string | undefined, option: string): TimeclockConfig | ClockodoConfig | undefined {
  const accounts = accountsOf(config, source);
  if (label !== undefined) {
    const found = accounts.find((a) => a.account === label);
    if (!found) throw new UsageError(`${option} ${JSON.stringify(label)} is not a configured ${SOURCE_TITLES[source]} account (known: ${knownAccountLabels(config)})`);
    return found;
  }
  if (accounts.length > 1) {
    throw new UsageError(`${accounts.length} ${SOURCE_TITLES[source]} accounts are configured (${accounts.map((a) => a.account).join(', ')}): name one with ${option}`);
  }
  return accounts[0];
}

type EnvValues = z.infer<typeof envSchema>;

/** The per-account settings from the single-account variables (or their defaults): the single account's own, and what an accounts-file entry does not say. */
function envTimeclockDefaults(e: EnvValues) {
  return { timezone: e.TIMECLOCK_TIMEZONE, windowDays: e.TIMECLOCK_WINDOW_DAYS, maxConcurrency: e.TIMECLOCK_MAX_CONCURRENCY, stamps: e.TIMECLOCK_STAMPS as 'local' | 'utc' };
}
function envClockodoDefaults(e: EnvValues) {
  return {
    timezone: e.CLOCKODO_TIMEZONE,
    grouping: e.CLOCKODO_GROUPING,
    roundToMinutes: e.CLOCKODO_ROUND_TO_MINUTES,
    entrygroupsPerMinute: e.CLOCKODO_ENTRYGROUPS_PER_MINUTE,
    entrygroupsSpanSeconds: e.CLOCKODO_ENTRYGROUPS_SPAN_SECONDS,
    prependCustomerToProjectName: e.CLOCKODO_PREPEND_CUSTOMER_TO_PROJECT_NAME,
    calcAlsoRevenuesForProjectsWithHardBudget: e.CLOCKODO_CALC_ALSO_REVENUES_FOR_PROJECTS_WITH_HARD_BUDGET,
  };
}

// ---- the accounts file (PUNCHCARD_ACCOUNTS) --------------------------------------------------------

const ACCOUNT_LABEL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const INLINE_SECRET = 'an inline secret is not allowed: give {"env": "VARIABLE"} or {"file": "/path/readable/by/owner/only"}';

/** A credential by reference only: the name of an environment variable, or an owner-only file. */
const secretRef = z.unknown().superRefine((value, ctx) => {
  if (typeof value === 'string' || typeof value === 'number') {
    ctx.addIssue({ code: 'custom', message: INLINE_SECRET });
    return;
  }
  const ok =
    value !== null &&
    typeof value === 'object' &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    ((typeof (value as { env?: unknown }).env === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test((value as { env: string }).env)) ||
      (typeof (value as { file?: unknown }).file === 'string' && (value as { file: string }).file.startsWith('/')));
  if (!ok) ctx.addIssue({ code: 'custom', message: 'must be {"env": "VARIABLE_NAME"} or {"file": "/absolute/path"}' });
}) as z.ZodType<{ env: string } | { file: string }>;

const label = z
  .string()
  .regex(ACCOUNT_LABEL, { message: 'must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit' })
  .refine((value) => value !== DEMO_ACCOUNT, { message: `must not be "${DEMO_ACCOUNT}": that label marks rows loaded from the built-in simulators` });
const zone = z.string().refine((value) => IANAZone.isValidZone(value), { message: 'must be an IANA time zone such as Europe/Berlin' });
const whole = (min: number, max: number) => z.number().int().min(min, { message: `must be a whole number from ${min} to ${max}` }).max(max, { message: `must be a whole number from ${min} to ${max}` });
const urlField = z.string().refine((value) => URL.canParse(value), { message: 'must be a URL' });

const timeclockEntry = z
  .object({
    source: z.literal('timeclock'),
    account: label,
    url: urlField.optional(),
    token: secretRef,
    timezone: zone.optional(),
    windowDays: whole(1, 31).optional(),
    maxConcurrency: whole(1, 64).optional(),
    stamps: z.enum(['local', 'utc']).optional(),
  })
  .strict();

const clockodoEntry = z
  .object({
    source: z.literal('clockodo'),
    account: label,
    url: urlField.optional(),
    user: z.string().min(3, { message: 'must be the API user e-mail' }),
    key: secretRef,
    externalApplication: z.string().min(1).optional(),
    contact: z.string().min(3).optional(),
    prependCustomerToProjectName: z.boolean().optional(),
    calcAlsoRevenuesForProjectsWithHardBudget: z.boolean().optional(),
    timezone: zone.optional(),
    grouping: z.union([z.string(), z.array(z.string())]).optional(),
    roundToMinutes: whole(0, 1440).optional(),
    entrygroupsPerMinute: whole(1, 10_000).optional(),
    entrygroupsSpanSeconds: whole(1, 3600).optional(),
  })
  .strict();

export interface AccountsFileDefaults {
  timeclock: { timezone: string; windowDays: number; maxConcurrency: number; stamps: 'local' | 'utc' };
  clockodo: {
    timezone: string;
    grouping: string | undefined;
    roundToMinutes: number;
    entrygroupsPerMinute: number;
    entrygroupsSpanSeconds: number;
    prependCustomerToProjectName: boolean;
    calcAlsoRevenuesForProjectsWithHardBudget: boolean;
  };
}

/**
 * Reads and validates the accounts file. Any problem is one ConfigError naming the file, the entry
 * (index and label) and the field; nothing is half-accepted.
 */
export function loadAccountsFile(
  path: string,
  env: NodeJS.ProcessEnv,
  options: { allowInsecureHttp: boolean; defaults: AccountsFileDefaults },
): { timeclock: TimeclockConfig[]; clockodo: ClockodoConfig[] } {
  const where = `PUNCHCARD_ACCOUNTS ${path}`;
  const fail = (message: string): never => {
    throw new ConfigError(`${where}: ${message}`, 'PUNCHCARD_ACCOUNTS');
  };
  let text = '';
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    fail(`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  let document: unknown;
  try {
    document = /\.json$/i.test(path) ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    fail(`is not valid ${/\.json$/i.test(path) ? 'JSON' : 'YAML'}: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}`);
  }
  const list = (document as { accounts?: unknown } | null)?.accounts;
  if (!Array.isArray(list)) fail('must hold {"accounts": [ … ]}');
  const entries = list as unknown[];
  const timeclock: TimeclockConfig[] = [];
  const clockodo: ClockodoConfig[] = [];
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    const record = (entry !== null && typeof entry === 'object' ? entry : {}) as Record<string, unknown>;
    const source = record.source;
    const name = typeof record.account === 'string' ? ` (${String(source)} "${record.account}")` : '';
    const entryFail = (field: string, message: string): never => fail(`accounts[${index}]${name}, field ${field}: ${message}`);
    if (source !== 'timeclock' && source !== 'clockodo') entryFail('source', `unknown source ${JSON.stringify(source ?? null)} (known: timeclock, clockodo)`);
    const parsed = (source === 'timeclock' ? timeclockEntry : clockodoEntry).safeParse(entry);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      const field = issue.code === 'unrecognized_keys' ? issue.keys.join(', ') : issue.path.join('.') || 'entry';
      entryFail(field, issue.code === 'unrecognized_keys' ? 'unknown field' : issue.message);
    }
    const key = `${String(source)}|${String(record.account)}`;
    if (seen.has(key)) entryFail('account', `duplicate label: another ${String(source)} account is already called "${String(record.account)}"`);
    seen.add(key);
    const secret = (field: string, ref: { env: string } | { file: string }): string => {
      if ('env' in ref) {
        const value = env[ref.env]?.trim();
        if (!value) entryFail(field, `environment variable ${ref.env} is not set`);
        return value!;
      }
      let mode = 0;
      try {
        mode = statSync(ref.file).mode;
      } catch (error) {
        entryFail(field, `file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if ((mode & 0o077) !== 0) entryFail(field, `file ${ref.file} is readable by group or others (mode ${(mode & 0o777).toString(8)}): chmod 600 it`);
      let value = '';
      try {
        value = readFileSync(ref.file, 'utf8').trim();
      } catch (error) {
        entryFail(field, `file ${ref.file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      }
      if (!value) entryFail(field, `file ${ref.file} is empty`);
      return value;
    };
    const wrap = <T>(field: string, work: () => T): T => {
      try {
        return work();
      } catch (error) {
        if (error instanceof ConfigError) return entryFail(field, error.message.replace(/^[A-Z_]+ /, ''));
        throw error;
      }
    };
    if (source === 'timeclock') {
      const t = parsed.data as z.infer<typeof timeclockEntry>;
      const d = options.defaults.timeclock;
      const url = wrap('url', () => timeclockEndpoint(requireSafeUrl('TIMECLOCK_API_URL', t.url ?? TIMECLOCK_PRODUCTION_URL, options.allowInsecureHttp)));
      timeclock.push({
        url,
        token: secret('token', t.token),
        account: t.account,
        timezone: t.timezone ?? d.timezone,
        windowDays: t.windowDays ?? d.windowDays,
        maxConcurrency: t.maxConcurrency ?? d.maxConcurrency,
        stamps: t.stamps ?? d.stamps,
      });
    } else {
      const c = parsed.data as z.infer<typeof clockodoEntry>;
      const d = options.defaults.clockodo;
      const url = wrap('url', () => clockodoBase(requireSafeUrl('CLOCKODO_API_URL', c.url ?? CLOCKODO_PRODUCTION_URL, options.allowInsecureHttp)));
      const grouping = wrap('grouping', () => parseGrouping(Array.isArray(c.grouping) ? c.grouping.join(',') : (c.grouping ?? d.grouping)));
      clockodo.push({
        url,
        user: c.user,
        apiKey: secret('key', c.key),
        externalApplication: wrap(c.externalApplication !== undefined ? 'externalApplication' : 'contact', () => externalApplication(c.externalApplication, c.contact, c.user)),
        account: c.account,
        timezone: c.timezone ?? d.timezone,
        grouping,
        roundToMinutes: c.roundToMinutes ?? d.roundToMinutes,
        entrygroupsPerMinute: c.entrygroupsPerMinute ?? d.entrygroupsPerMinute,
        entrygroupsSpanSeconds: c.entrygroupsSpanSeconds ?? d.entrygroupsSpanSeconds,
        prependCustomerToProjectName: c.prependCustomerToProjectName ?? d.prependCustomerToProjectName,
        calcAlsoRevenuesForProjectsWithHardBudget: c.calcAlsoRevenuesForProjectsWithHardBudget ?? d.calcAlsoRevenuesForProjectsWithHardBudget,
      });
    }
  });
  if (timeclock.length + clockodo.length === 0) fail('lists no account');
  return { timeclock, clockodo };
}

/** clockodo refuses a longer X-Clockodo-External-Application (its SDK enforces the same limit). */
export const EXTERNAL_APPLICATION_MAX_LENGTH = 50;
const APPLICATION_NAME = 'punchcard';

/**
 * The X-Clockodo-External-Application header, "<application>;<contact e-mail>":
 * CLOCKODO_EXTERNAL_APPLICATION as given (checked), else "punchcard;" + CLOCKODO_CONTACT (checked),
 * else "punchcard;" + the API user's address. An API user address too long for the limit is not
 * cut (a cut address reaches nobody): its domain is sent instead, which still names the company,
 * and CLOCKODO_CONTACT gives clockodo a reachable address.
 */
export function externalApplication(configured: string | undefined, contact: string | undefined, apiUser: string): string {
  const max = EXTERNAL_APPLICATION_MAX_LENGTH;
  if (configured !== undefined) {
    const [name, address, ...rest] = configured.split(';').map((part) => part.trim());
    if (!name || !address || rest.length > 0) {
      throw new ConfigError('CLOCKODO_EXTERNAL_APPLICATION must look like "<application name>;<contact e-mail>"', 'CLOCKODO_EXTERNAL_APPLICATION');
    }
    if (configured.length > max) {
      throw new ConfigError(`CLOCKODO_EXTERNAL_APPLICATION is ${configured.length} characters; clockodo accepts at most ${max}`, 'CLOCKODO_EXTERNAL_APPLICATION');
    }
    return configured;
  }
  if (contact !== undefined) {
    const header = `${APPLICATION_NAME};${contact}`;
    if (!/^[^\s@;]+@[^\s@;]+$/.test(contact)) throw new ConfigError('CLOCKODO_CONTACT must be one e-mail address', 'CLOCKODO_CONTACT');
    if (header.length > max) {
      throw new ConfigError(
        `CLOCKODO_CONTACT is ${contact.length} characters; "${APPLICATION_NAME};<contact>" must fit clockodo's ${max} (at most ${max - APPLICATION_NAME.length - 1})`,
        'CLOCKODO_CONTACT',
      );
    }
    return header;
  }
  const header = `${APPLICATION_NAME};${apiUser}`;
  if (header.length <= max) return header;
  const room = max - APPLICATION_NAME.length - 1;
  let domain = apiUser.slice(apiUser.lastIndexOf('@') + 1);
  // Whole labels from the right ("mail.corp.example.com" → "corp.example.com"), never a cut label.
  while (domain.length > room && domain.includes('.')) domain = domain.slice(domain.indexOf('.') + 1);
  return `${APPLICATION_NAME};${domain.slice(-room)}`;
}

export const CLOCKODO_GROUPING_LEVELS = [
  'customers_id',
  'projects_id',
  'subprojects_id',
  'services_id',
  'users_id',
  'texts_id',
  'lumpsum_services_id',
  'billable',
  'is_lumpsum',
  'year',
  'week',
  'month',
  'day',
] as const;

export function parseGrouping(value: string | undefined): string[] {
  if (value === undefined) return [...DEFAULT_CLOCKODO_GROUPING];
  const levels = value.split(',').map((level) => level.trim()).filter(Boolean);
  for (const level of levels) {
    if (!(CLOCKODO_GROUPING_LEVELS as readonly string[]).includes(level)) {
      throw new ConfigError(
        `CLOCKODO_GROUPING has an unknown level "${level}" (allowed: ${CLOCKODO_GROUPING_LEVELS.join(', ')})`,
        'CLOCKODO_GROUPING',
      );
    }
  }
  if (new Set(levels).size !== levels.length) throw new ConfigError('CLOCKODO_GROUPING repeats a level', 'CLOCKODO_GROUPING');
  if (levels.length === 0) throw new ConfigError('CLOCKODO_GROUPING must name at least one level', 'CLOCKODO_GROUPING');
  return levels;
}

/** Credentials go over https only; plain http is accepted for loopback (the simulators) or by explicit opt-out. */
export function requireSafeUrl(variable: string, value: string, allowInsecure: boolean): string {
  const parsed = new URL(value);
  // A password in the URL would be printed and stored wherever the URL is; credentials have their own variables.
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError(`${variable} must not contain a user name or password (user:pass@); put credentials in their own variables`, variable);
  }
  if (parsed.protocol === 'https:') return value;
  if (parsed.protocol !== 'http:') throw new ConfigError(`${variable} must be an http(s) URL`, variable);
  if (isLoopbackHost(parsed.hostname) || allowInsecure) return value;
  throw new ConfigError(
    `${variable} must use https (plain http is only allowed for loopback addresses, or with PUNCHCARD_ALLOW_INSECURE_HTTP=1)`,
    variable,
  );
}

/**
 * The JSON-RPC endpoint from TIMECLOCK_API_URL: a bare origin ("https://host") means the
 * document's path /api/v1/json-rpc; any other path is used as given.
 */
export function timeclockEndpoint(value: string): string {
  const parsed = new URL(value);
  if (parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = '/api/v1/json-rpc';
  return parsed.pathname === new URL(value).pathname ? value : parsed.toString();
}

/**
 * The API base from CLOCKODO_API_URL, to which /v2/entrygroups and /v3/users are appended: a bare
 * origin means "/api" (the document's "GET /api/v2/entrygroups"); a URL given with the endpoint
 * itself ("…/api/v2/entrygroups") is cut back to its base.
 */
export function clockodoBase(value: string): string {
  const parsed = new URL(value);
  // The client appends paths and its own query: a query or fragment here would be lost or misplaced.
  if (value.includes('?') || value.includes('#')) {
    throw new ConfigError(`CLOCKODO_API_URL must be a base URL without a query or fragment, got "${parsed.origin}${parsed.pathname}${parsed.search ? '?…' : ''}${parsed.hash ? '#…' : ''}"`, 'CLOCKODO_API_URL');
  }
  let path = parsed.pathname.replace(/\/+$/, '');
  path = path.replace(/\/v[23]\/(entrygroups|users)$/, '');
  if (path === '') path = '/api';
  parsed.pathname = path;
  return parsed.toString().replace(/\/$/, '');
}

/** The database password as written in the URL and decoded. */
function databasePasswordForms(url: string | undefined): string[] {
  if (url === undefined || !URL.canParse(url)) return [];
  const raw = new URL(url).password;
  if (raw === '') return [];
  return [raw, decodeURIComponent(raw)];
}

export function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || hostname === '::1' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
