/**
 * Typed errors. Each carries enough to act on (source, status, whether a retry can help) and a
 * short, credential-free excerpt of what the server said. The CLI prints `message` as one line
 * for the user-facing kinds and exits with `exitCode`.
 */

export class PunchcardError extends Error {
  /** Process exit code when this error ends a CLI command. */
  readonly exitCode: number = 1;
}

/** A bad environment variable: the message names it, never its value. */
export class ConfigError extends PunchcardError {
  override readonly exitCode = 2;
  readonly variable: string;
  constructor(message: string, variable: string) {
    super(message);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** A bad command-line argument or a request the user must change before anything is sent. */
export class UsageError extends PunchcardError {
  override readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type SourceName = 'timeclock' | 'clockodo';

export type SourceErrorKind =
  | 'auth' // 401/403: credentials refused
  | 'rate-limit' // 429
  | 'server' // 5xx
  | 'client' // other 4xx: the request itself is wrong
  | 'rpc' // JSON-RPC error object
  | 'timeout'
  | 'network' // reset, refused, DNS
  | 'invalid-response'; // not JSON, truncated, wrong shape

export interface SourceErrorDetails {
  source: SourceName;
  kind: SourceErrorKind;
  retryable: boolean;
  status?: number;
  rpcCode?: number;
  /** Seconds the server asked us to wait (Retry-After), when it said. */
  retryAfterSeconds?: number;
  /** At most a few hundred characters of the body, secrets removed. */
  excerpt?: string;
  operation?: string;
}

export class SourceError extends PunchcardError {
  readonly source: SourceName;
  readonly kind: SourceErrorKind;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly rpcCode: number | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly excerpt: string | undefined;
  readonly operation: string | undefined;

  constructor(message: string, details: SourceErrorDetails) {
    super(message);
    this.name = 'SourceError';
    this.source = details.source;
    this.kind = details.kind;
    this.retryable = details.retryable;
    this.status = details.status;
    this.rpcCode = details.rpcCode;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.excerpt = details.excerpt;
    this.operation = details.operation;
  }
}

/** The database cannot be reached or refused the connection (message carries the redacted URL). */
export class DatabaseUnavailableError extends PunchcardError {
  override readonly exitCode = 1;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DatabaseUnavailableError';
  }
}

/** The user answered "no" or a confirmation flow could not complete; nothing was changed. */
export class AbortedError extends PunchcardError {
  override readonly exitCode = 1;
  constructor(message: string) {
    super(message);
    this.name = 'AbortedError';
  }
}

const EXCERPT_LENGTH = 300;

/** Shortens a response body for an error message and strips anything that looks like a credential. */
export function safeExcerpt(body: string, secrets: ReadonlyArray<string | undefined> = []): string {
  let text = body.replace(/\s+/g, ' ').trim();
  for (const secret of secrets) {
    if (secret && secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  text = text.replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text;
}

/** One line for the user: no stack, no secrets. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return error.message;
  return String(error);
}
