/**
 * The one logger factory. Commands create a root logger and hand child loggers down
 * (`logger.child({ run, source, stream, window })`); nothing imports a global logger.
 *
 * Redaction covers every place a secret could travel in a log object. The message text itself is
 * scrubbed too, because an error message may quote a URL or a header.
 */
import pino, { type Logger, type DestinationStream } from 'pino';
import { escapeControls, scrubSecrets } from './errors.ts';

export type { Logger };

export const REDACTED_PATHS = [
  'token',
  'apiKey',
  'password',
  'authorization',
  'headers.authorization',
  'headers.Authorization',
  'headers["x-clockodoapikey"]',
  'headers["X-ClockodoApiKey"]',
  'config.timeclock.token',
  'config.clockodo.apiKey',
  'config.databaseUrl',
  '*.token',
  '*.apiKey',
  '*.password',
  '*.authorization',
  'databaseUrl',
  'env.TIMECLOCK_API_TOKEN',
  'env.CLOCKODO_API_KEY',
  'env.DATABASE_URL',
];

export interface LoggerOptions {
  level?: string;
  /** Values that must never be printed, whatever field they end up in. */
  secrets?: ReadonlyArray<string | undefined>;
  destination?: DestinationStream;
  /** Human-readable lines (pino-pretty) instead of JSON; the CLI chooses this on a terminal. */
  pretty?: boolean;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const secrets = options.secrets ?? [];
  // JSON output escapes control characters itself; pretty output goes to a terminal as it is.
  const scrub = options.pretty
    ? (text: string, keepNewlines = false): string => escapeControls(scrubSecrets(text, secrets), { keepNewlines })
    : (text: string): string => scrubSecrets(text, secrets);
  const pinoOptions: pino.LoggerOptions = {
    level: options.level ?? 'info',
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    base: undefined,
    hooks: {
      logMethod(args, method) {
        // Scrub every string argument (messages and interpolation values) and string fields of
        // the first object, so a secret quoted inside an error message never reaches the output.
        const cleaned = args.map((arg) => {
          if (typeof arg === 'string') return scrub(arg);
          if (arg && typeof arg === 'object') return scrubObject(arg as Record<string, unknown>, scrub);
          return arg;
        });
        method.apply(this, cleaned as Parameters<typeof method>);
      },
    },
    serializers: {
      err: (error: unknown) => serializeError(error, scrub),
      error: (error: unknown) => serializeError(error, scrub),
    },
  };
  if (options.destination) return pino(pinoOptions, options.destination);
  if (options.pretty) {
    return pino({
      ...pinoOptions,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname', destination: 2 } },
    });
  }
  return pino(pinoOptions, pino.destination(2));
}

function scrubObject(value: Record<string, unknown>, scrub: (text: string) => string, depth = 0): Record<string, unknown> {
  if (depth > 3 || value instanceof Error) return value;
  const out: Record<string, unknown> = Array.isArray(value) ? ([] as unknown as Record<string, unknown>) : {};
  for (const [key, field] of Object.entries(value)) {
    if (typeof field === 'string') out[key] = scrub(field);
    else if (field && typeof field === 'object' && !(field instanceof Date) && !(field instanceof Error))
      out[key] = scrubObject(field as Record<string, unknown>, scrub, depth + 1);
    else out[key] = field;
  }
  return out;
}

function serializeError(error: unknown, scrub: (text: string, keepNewlines?: boolean) => string): unknown {
  if (!(error instanceof Error)) return typeof error === 'string' ? scrub(error) : error;
  const details: Record<string, unknown> = { type: error.name, message: scrub(error.message) };
  for (const key of ['source', 'kind', 'status', 'rpcCode', 'retryable', 'operation', 'excerpt', 'code'] as const) {
    const value = (error as unknown as Record<string, unknown>)[key];
    if (value !== undefined) details[key] = typeof value === 'string' ? scrub(value) : value;
  }
  if (error.stack && !(error as { exitCode?: number }).exitCode) details.stack = scrub(error.stack, true);
  return details;
}

/** A logger that drops everything: for tests and library use where output is not wanted. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
