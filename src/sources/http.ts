/**
 * The transport both API clients share: one HTTP attempt with a timeout, its failure classified
 * into a SourceError, and one retry policy (p-retry) around it.
 *
 * Retried: 429 (waiting at least Retry-After), 5xx, timeouts, resets and other network failures,
 * truncated or non-JSON bodies. Not retried: 401/403, other 4xx, JSON-RPC request errors, redirects
 * (never followed: the request carries credentials and, for a confirming PUT/DELETE, a change that
 * must not land anywhere else) and answers larger than the byte cap.
 */
import pRetry, { AbortError } from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError, escapeControls, safeExcerpt, scrubSecrets, type SourceName } from '../errors.ts';
import { limitDepth } from '../json-depth.ts';
import type { Logger } from '../logger.ts';

export interface RetryPolicy {
  /** Retries after the first attempt. */
  retries: number;
  /** First backoff in ms; doubles each time, with jitter. */
  minTimeoutMs: number;
  maxTimeoutMs: number;
  /** Upper bound for a server's Retry-After, so a hostile header cannot park a sync for hours. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  retries: 5,
  minTimeoutMs: 500,
  maxTimeoutMs: 30_000,
  maxRetryAfterMs: 120_000,
};

export interface HttpTransportOptions {
  source: SourceName;
  timeoutMs: number;
  retry: RetryPolicy;
  logger: Logger;
  /** Values to strip from any excerpt of a response body. */
  secrets: ReadonlyArray<string | undefined>;
  /** Aborts waits and requests in flight (Ctrl-C). */
  signal?: AbortSignal;
  /** Most bytes an answer may hold after decompression (PUNCHCARD_MAX_RESPONSE_MB); default 512 MB. */
  maxResponseBytes?: number;
}

export const DEFAULT_MAX_RESPONSE_BYTES = 512_000_000;

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One attempt. Network failures and timeouts become retryable SourceErrors; any HTTP status but 3xx is returned. */
export async function sendOnce(
  options: HttpTransportOptions,
  operation: string,
  url: string,
  init: RequestInit,
): Promise<HttpAnswer> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  let response: Response;
  let body: string;
  try {
    response = await fetchNotRedirected(options, operation, url, { ...init, signal });
    body = await readCapped(options, operation, response);
  } catch (error) {
    throw transportFailure(options, operation, error, timeout);
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * One attempt whose 2xx body is handed to `consume` as it arrives, never held whole; any other
 * answer is read as text (capped) and returned. Redirects and the byte cap are refused as in
 * sendOnce; a body that breaks off or times out mid-stream is a retryable SourceError like a
 * failed connection; what `consume` throws passes through as it is.
 *
 * The timeout counts only time spent waiting on the server: until the answer begins, then each
 * wait for the next piece of the body. What `consume` does with a piece (parse, transform, write
 * a spool) is not the server's delay, so a large answer read as it arrives is not cut off for the
 * work done on it, nor for the other windows the process works on meanwhile.
 */
export async function sendStreaming<T>(
  options: HttpTransportOptions,
  operation: string,
  url: string,
  init: RequestInit,
  consume: (chunks: AsyncIterable<Uint8Array>) => Promise<T>,
): Promise<{ answer: HttpAnswer } | { value: T }> {
  const waiting = waitingClock(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, waiting.signal]) : waiting.signal;
  let response: Response;
  try {
    response = await fetchNotRedirected(options, operation, url, { ...init, signal });
    if (response.status < 200 || response.status >= 300 || response.body === null) {
      const body = await readCapped(options, operation, response);
      waiting.pause();
      return { answer: { status: response.status, headers: response.headers, body } };
    }
  } catch (error) {
    waiting.pause();
    throw transportFailure(options, operation, error, waiting.signal);
  }
  waiting.pause();
  const body = response.body;
  const cap = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const status = response.status;
  let bodyFailed = false;
  async function* chunks(): AsyncGenerator<Uint8Array> {
    const reader = body.getReader();
    let bytes = 0;
    try {
      for (;;) {
        let next: Awaited<ReturnType<typeof reader.read>>;
        waiting.resume();
        try {
          next = await reader.read();
        } catch (error) {
          bodyFailed = true;
          throw error;
        } finally {
          waiting.pause();
        }
        if (next.done) return;
        bytes += next.value.byteLength;
        if (bytes > cap) throw tooLarge(options, operation, cap, status);
        yield next.value;
      }
    } finally {
      // Stopped early (an invalid answer, the cap): the connection must not go on streaming.
      await reader.cancel().catch(() => undefined);
    }
  }
  try {
    return { value: await consume(chunks()) };
  } catch (error) {
    if (!bodyFailed) throw error;
    throw transportFailure(options, operation, error, waiting.signal);
  } finally {
    waiting.pause();
  }
}

/** An abort signal that fires once `ms` of waiting has gone by in one stretch; paused while the caller works. */
function waitingClock(ms: number): { signal: AbortSignal; pause(): void; resume(): void } {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const resume = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')), ms);
  };
  const pause = () => clearTimeout(timer);
  resume();
  return { signal: controller.signal, pause, resume };
}

/** fetch without following redirects: a 3xx is cancelled and thrown as a redirectError. */
async function fetchNotRedirected(options: HttpTransportOptions, operation: string, url: string, init: RequestInit): Promise<Response> {
  const response = await fetch(url, { ...init, redirect: 'manual' });
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel().catch(() => undefined);
    throw redirectError(options, operation, url, response);
  }
  return response;
}

/** A failed attempt as the error to retry on (or not): cancelled, timed out, or a network failure. */
function transportFailure(options: HttpTransportOptions, operation: string, error: unknown, timeout: AbortSignal): Error {
  if (error instanceof SourceError) return error;
  if (options.signal?.aborted) return new AbortError(new Error(`${operation} cancelled`));
  if (timeout.aborted) {
    return new SourceError(`${options.source} ${operation}: no answer within ${options.timeoutMs} ms`, {
      source: options.source,
      kind: 'timeout',
      retryable: true,
      operation,
    });
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const reason = cause?.code ?? cause?.message ?? (error as Error).message;
  return new SourceError(`${options.source} ${operation}: connection failed (${reason})`, {
    source: options.source,
    kind: 'network',
    retryable: true,
    operation,
  });
}

function tooLarge(options: HttpTransportOptions, operation: string, cap: number, status: number): SourceError {
  return new SourceError(
    `${options.source} ${operation}: answer larger than ${formatMegabytes(cap)} after decompression (PUNCHCARD_MAX_RESPONSE_MB); stopped reading it`,
    { source: options.source, kind: 'too-large', retryable: false, status, operation },
  );
}

/**
 * The body as text, counting decompressed bytes as they arrive: past the cap the stream is
 * cancelled (the connection closes) and the attempt fails for good, so neither a huge answer nor
 * a small gzip bomb can take the process's memory.
 */
async function readCapped(options: HttpTransportOptions, operation: string, response: Response): Promise<string> {
  const cap = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!response.body) return '';
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let bytes = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    if (bytes > cap) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(options, operation, cap, response.status);
    }
    parts.push(decoder.decode(value, { stream: true }));
  }
  parts.push(decoder.decode());
  return parts.join('');
}

function formatMegabytes(bytes: number): string {
  return `${Number((bytes / 1_000_000).toFixed(3))} MB`;
}

/** A 3xx as an error that names where the server wanted the request to go, without query, user info or control characters. */
function redirectError(options: HttpTransportOptions, operation: string, url: string, response: Response): SourceError {
  const location = response.headers.get('location');
  let target = 'no Location header';
  if (location !== null) {
    try {
      const resolved = new URL(location, url);
      target = `${resolved.protocol}//${resolved.host}${resolved.pathname}`;
    } catch {
      target = 'an unreadable Location header';
    }
  }
  target = escapeControls(scrubSecrets(target, options.secrets));
  return new SourceError(
    `${options.source} ${operation}: the server answered HTTP ${response.status} redirecting to ${target}; redirects are not followed (the request carries credentials): point the API URL at the final address`,
    { source: options.source, kind: 'redirect', retryable: false, status: response.status, operation },
  );
}

/** Turns a non-2xx answer into a SourceError with the right retry decision. */
export function httpStatusError(options: HttpTransportOptions, operation: string, answer: HttpAnswer, serverMessage?: string): SourceError {
  const { status } = answer;
  const excerpt = safeExcerpt(answer.body, options.secrets);
  const said = serverMessage ? `: ${safeExcerpt(serverMessage, options.secrets)}` : excerpt ? ` (${excerpt})` : '';
  const base = { source: options.source, status, excerpt, operation };
  if (status === 401 || status === 403) {
    return new SourceError(`${options.source} ${operation}: credentials refused (HTTP ${status})${said}`, { ...base, kind: 'auth', retryable: false });
  }
  if (status === 429) {
    return new SourceError(`${options.source} ${operation}: rate limited (HTTP 429)`, {
      ...base,
      kind: 'rate-limit',
      retryable: true,
      retryAfterSeconds: parseRetryAfter(answer.headers.get('retry-after')),
    });
  }
  if (status >= 500) {
    return new SourceError(`${options.source} ${operation}: server error (HTTP ${status})${said}`, { ...base, kind: 'server', retryable: true });
  }
  return new SourceError(`${options.source} ${operation}: request refused (HTTP ${status})${said}`, { ...base, kind: 'client', retryable: false });
}

/**
 * Parses a body as JSON, nesting cut at MAX_JSON_DEPTH (json-depth.ts); a body that is not JSON
 * (truncated, an HTML error page) is a retryable invalid response.
 */
export function parseJsonBody(options: HttpTransportOptions, operation: string, answer: HttpAnswer): unknown {
  try {
    return limitDepth(JSON.parse(answer.body));
  } catch {
    throw new SourceError(`${options.source} ${operation}: answer is not valid JSON (${answer.body.length} bytes, starts "${safeExcerpt(answer.body.slice(0, 60), options.secrets)}")`, {
      source: options.source,
      kind: 'invalid-response',
      retryable: true,
      status: answer.status,
      operation,
    });
  }
}

/** Retry-After as seconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const date = Date.parse(value);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, (date - Date.now()) / 1000);
}

/** Runs `attempt` under the shared retry policy. */
export async function withRetries<T>(options: HttpTransportOptions, operation: string, attempt: () => Promise<T>): Promise<T> {
  const { retry, logger, signal } = options;
  return pRetry(
    async () => {
      try {
        return await attempt();
      } catch (error) {
        if (error instanceof SourceError && !error.retryable) throw new AbortError(error);
        throw error;
      }
    },
    {
      retries: retry.retries,
      minTimeout: retry.minTimeoutMs,
      maxTimeout: retry.maxTimeoutMs,
      factor: 2,
      randomize: true,
      signal,
      // Only what the transport or the answer's checks call retryable: anything else (a transform
      // that throws, a full disk under a spool) would fail the same way on a new download.
      shouldRetry: ({ error }) => error instanceof SourceError && error.retryable,
      onFailedAttempt: async ({ error, attemptNumber, retriesLeft }) => {
        const waitMs =
          error instanceof SourceError && error.retryAfterSeconds !== undefined
            ? Math.min(error.retryAfterSeconds * 1000, retry.maxRetryAfterMs)
            : 0;
        if (retriesLeft > 0) {
          logger.warn({ operation, attempt: attemptNumber, retriesLeft, waitMs, err: error }, 'request failed, retrying');
          if (waitMs > 0) await sleep(waitMs, undefined, { signal });
        }
      },
    },
  );
}
