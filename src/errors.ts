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
  | 'invalid-response' // not JSON, truncated, wrong shape
  | 'redirect' // 3xx: never followed, credentials stay with the configured host
  | 'too-large'; // the answer passed PUNCHCARD_MAX_RESPONSE_MB

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

/**
 * Every secret of this process in every form it can travel in. A process-wide set rather than a
 * parameter because the sinks (the CLI's last-resort error line, the ledger's error columns, status
 * output) sit far from the configuration, and a secret missed at one sink is a leak.
 */
const knownSecrets = new Set<string>();

/** Shorter values are not scrubbed: "[redacted]" in place of every "ab" would ruin messages and hide nothing. */
const MIN_SECRET_LENGTH = 4;

/** The forms a secret takes on its way into an error text: as is, URL-encoded, JSON-escaped, base64. */
export function secretVariants(secret: string): string[] {
  const variants = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  const base64 = Buffer.from(secret, 'utf8').toString('base64');
  variants.add(base64);
  variants.add(base64.replace(/=+$/, ''));
  variants.add(Buffer.from(secret, 'utf8').toString('base64url'));
  return [...variants].filter((variant) => variant.length >= MIN_SECRET_LENGTH);
}

/** Adds values (and their encodings) to what scrubSecrets removes. */
export function registerSecrets(values: ReadonlyArray<string | undefined>): void {
  for (const value of values) {
    if (value === undefined || value.length < MIN_SECRET_LENGTH) continue;
    for (const variant of secretVariants(value)) knownSecrets.add(variant);
  }
}

/**
 * The one scrubbing function: every registered secret (and `extra`), in each of its encodings,
 * replaced by "[redacted]", by value. Also the password of any postgres:// URL and Bearer tokens,
 * which may belong to something never configured here. Used before any text is printed or stored.
 */
export function scrubSecrets(text: string, extra: ReadonlyArray<string | undefined> = []): string {
  let out = text;
  const secrets = new Set(knownSecrets);
  for (const value of extra) if (value !== undefined && value.length >= MIN_SECRET_LENGTH) for (const variant of secretVariants(value)) secrets.add(variant);
  // Longest first, so a secret containing another is removed whole.
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
  }
  return out
    .replace(/(postgres(?:ql)?:\/\/[^:/@\s]+:)[^@\s]+@/g, '$1***@')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
}

/**
 * Control characters made visible: C0 (but newline when `keepNewlines`), DEL, C1, and the
 * bidirectional overrides that reorder what a terminal shows. Text from a source passes through
 * here before it reaches a terminal, so a server cannot move the cursor, recolour or hide output.
 */
export function escapeControls(text: string, options: { keepNewlines?: boolean } = {}): string {
  const pattern = options.keepNewlines ? /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g : /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
  return text.replace(pattern, (ch) => {
    const code = ch.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Text for a terminal: secrets scrubbed, control characters escaped. */
export function printable(text: string, options: { keepNewlines?: boolean } = {}): string {
  return escapeControls(scrubSecrets(text), options);
}

/** Shortens a response body for an error message and strips anything that looks like a credential. */
export function safeExcerpt(body: string, secrets: ReadonlyArray<string | undefined> = []): string {
  // Only the head of a large body can reach the excerpt; scrubbing all of a 60 MB answer would take seconds.
  const text = scrubSecrets(body.length > 65_536 ? body.slice(0, 65_536) : body, secrets).replace(/\s+/g, ' ').trim();
  return text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH)}…` : text;
}

/** One line for the user: no stack, no secrets. */
export function describeError(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describeError(error.errors[0]);
  if (error instanceof Error) return scrubSecrets(error.message);
  return scrubSecrets(String(error));
}
