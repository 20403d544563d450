/**
 * TimeClock 365 JSON-RPC 2.0 client: one POST per call, Bearer auth, request ids, timeout,
 * retries (shared policy in ../http.ts).
 *
 * JSON-RPC errors: -32700/-32600/-32601/-32602 say our request is wrong and are not retried;
 * -32603 (internal) and the server range -32000..-32099 are server-side trouble and are retried.
 * The envelope is validated here; records inside `result` are validated one by one in the
 * transforms, so one bad record is rejected with its reason instead of failing the window.
 */
import { randomInt } from 'node:crypto';
import { SourceError, safeExcerpt } from '../../errors.ts';
import { receiveBody, type AnswerBody } from '../answer-body.ts';
import { httpStatusError, parseJsonBody, sendOnce, sendStreaming, withRetries, type HttpAnswer, type HttpTransportOptions } from '../http.ts';
import { sha256OfAnswer } from '../answer-hash.ts';

export const TIMECLOCK_METHODS = ['sessions', 'lunches', 'timesheet', 'extended-sessions'] as const;
export type TimeclockMethod = (typeof TIMECLOCK_METHODS)[number];

export interface DayWindow {
  startDate: string; // YYYY-MM-DD
  endDate: string; // YYYY-MM-DD, inclusive
}

export interface TimeclockClient {
  /** Calls one method over one day window; resolves with the `result` array. */
  call(method: TimeclockMethod, window: DayWindow): Promise<unknown[]>;
  /**
   * Calls one method over one day window, fingerprinting the answer as it arrives; `known(sha256)`
   * is asked before anything is parsed, and when it says yes the answer is not parsed (`result`
   * undefined; `read()` parses it later if need be). Same checks and retries as call().
   */
  callFingerprinted(method: TimeclockMethod, window: DayWindow, known: (sha256: string) => boolean): Promise<FingerprintedCall>;
}

export interface FingerprintedCall {
  /**
   * SHA-256 of the answer without the request id it echoes (ids differ per request): of its body
   * with the id's digits left out where they occur exactly once, else (an id written otherwise,
   * e.g. 1.5e14) of its parsed `result`, written out again. Tagged with which of the two it is.
   */
  sha256: string;
  /** The `result` list; undefined when `known` recognised the answer. */
  result?: unknown[];
  /** Parses the answer (checked as call() checks it); for an answer `known` recognised. */
  read(): Promise<unknown[]>;
  /** Frees the body (a temp file when large). */
  dispose(): Promise<void>;
}

export interface TimeclockClientOptions extends Omit<HttpTransportOptions, 'source' | 'secrets'> {
  url: string;
  token: string;
}

const REQUEST_ERRORS = new Set([-32700, -32600, -32601, -32602]);

export function createTimeclockClient(options: TimeclockClientOptions): TimeclockClient {
  const transport: HttpTransportOptions = { ...options, source: 'timeclock', secrets: [options.token] };
  // Request ids are distinctive 10-digit numbers (a random start, then counting up) rather than
  // 1, 2, 3: the id an answer echoes is then found in its body by its digits alone and left out of
  // the answer's fingerprint, so an unchanged answer is recognised without being parsed. They stay
  // within a signed 32-bit integer (the documents' examples are small integers, and a server may
  // read the id as one); digits that also occur elsewhere in a body only cost that answer a parse.
  let nextId = 1_000_000_000 + randomInt(0, 2 ** 30);

  function request(id: number, method: TimeclockMethod, window: DayWindow): RequestInit {
    return {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${options.token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', method, params: { startDate: window.startDate, endDate: window.endDate }, id }),
    };
  }

  /** One request; a 2xx body is received (hashed without the echoed id), not parsed. */
  async function receive(method: TimeclockMethod, window: DayWindow): Promise<{ id: number; operation: string; body: AnswerBody }> {
    const id = nextId++;
    const operation = `${method} ${window.startDate}..${window.endDate}`;
    const outcome = await sendStreaming(transport, operation, options.url, request(id, method, window), (chunks) => receiveBody(chunks, { exclude: Buffer.from(String(id)) }));
    if ('answer' in outcome) {
      const { answer } = outcome;
      if (answer.status < 200 || answer.status >= 300) throw httpStatusError(transport, operation, answer, rpcErrorMessage(answer.body));
      // A 2xx without a body (204): an empty answer, which fails to parse (and is retried) as ever.
      const bytes = new TextEncoder().encode(answer.body);
      return { id, operation, body: await receiveBody((async function* () { yield bytes; })(), { exclude: Buffer.from(String(id)) }) };
    }
    return { id, operation, body: outcome.value };
  }

  /** One request read whole and parsed, for call(): no fingerprint wanted, nothing kept aside. */
  async function attemptCall(method: TimeclockMethod, window: DayWindow): Promise<unknown[]> {
    const id = nextId++;
    const operation = `${method} ${window.startDate}..${window.endDate}`;
    const answer = await sendOnce(transport, operation, options.url, request(id, method, window));
    if (answer.status < 200 || answer.status >= 300) throw httpStatusError(transport, operation, answer, rpcErrorMessage(answer.body));
    return resultOf(id, operation, answer);
  }

  async function read(id: number, operation: string, received: AnswerBody): Promise<unknown[]> {
    return resultOf(id, operation, { status: 200, headers: new Headers(), body: await received.text() });
  }

  /** The envelope checked and its `result` list. */
  function resultOf(id: number, operation: string, answer: HttpAnswer): unknown[] {
    const body = parseJsonBody(transport, operation, answer);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(operation, 'answer is not a JSON-RPC response object', answer.body);
    const envelope = body as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (envelope.jsonrpc !== '2.0') throw invalid(operation, 'answer lacks "jsonrpc": "2.0"', answer.body);

    if (envelope.error !== undefined && envelope.error !== null) {
      const error = envelope.error as { code?: unknown; message?: unknown; data?: unknown };
      const code = typeof error.code === 'number' ? error.code : undefined;
      const message = typeof error.message === 'string' ? error.message : 'no message';
      const retryable = code === undefined || !REQUEST_ERRORS.has(code);
      throw new SourceError(`timeclock ${operation}: JSON-RPC error ${code ?? '?'}: ${safeExcerpt(message, [options.token])}`, {
        source: 'timeclock',
        kind: 'rpc',
        rpcCode: code,
        retryable,
        status: answer.status,
        operation,
        excerpt: safeExcerpt(answer.body, [options.token]),
      });
    }
    if (envelope.id !== id) throw invalid(operation, `answer id ${JSON.stringify(envelope.id)} does not match request id ${id}`, answer.body);
    if (!Array.isArray(envelope.result)) throw invalid(operation, '"result" is not a list', answer.body);
    return envelope.result;
  }

  async function attempt(method: TimeclockMethod, window: DayWindow, known: (sha256: string) => boolean): Promise<FingerprintedCall> {
    const { id, operation, body } = await receive(method, window);
    const later = { read: () => read(id, operation, body), dispose: () => body.dispose() };
    try {
      // Exactly one occurrence: the echoed id (the answer is then equal, id aside, to the one whose
      // fingerprint it matches, which passed every check of resultOf). Any other count: parse to know.
      if (body.excluded === 1) {
        const sha256 = `body-without-id:${body.sha256}`;
        if (known(sha256)) return { sha256, ...later };
        return { sha256, result: await read(id, operation, body), ...later };
      }
      const result = await read(id, operation, body);
      return { sha256: `result:${sha256OfAnswer(result)}`, result, ...later };
    } catch (error) {
      await body.dispose();
      throw error;
    }
  }

  function invalid(operation: string, what: string, body: string): SourceError {
    return new SourceError(`timeclock ${operation}: ${what}`, {
      source: 'timeclock',
      kind: 'invalid-response',
      retryable: false,
      operation,
      excerpt: safeExcerpt(body, [options.token]),
    });
  }

  const callFingerprinted = (method: TimeclockMethod, window: DayWindow, known: (sha256: string) => boolean) =>
    withRetries(transport, `${method} ${window.startDate}..${window.endDate}`, () => attempt(method, window, known));
  return {
    callFingerprinted,
    call: (method, window) => withRetries(transport, `${method} ${window.startDate}..${window.endDate}`, () => attemptCall(method, window)),
  };
}

function rpcErrorMessage(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown } };
    return typeof parsed.error?.message === 'string' ? parsed.error.message : undefined;
  } catch {
    return undefined;
  }
}
