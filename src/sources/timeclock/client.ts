/**
 * TimeClock 365 JSON-RPC 2.0 client: one POST per call, Bearer auth, request ids, timeout,
 * retries (shared policy in ../http.ts).
 *
 * JSON-RPC errors: -32700/-32600/-32601/-32602 say our request is wrong and are not retried;
 * -32603 (internal) and the server range -32000..-32099 are server-side trouble and are retried.
 * The envelope is validated here; records inside `result` are validated one by one in the
 * transforms, so one bad record is rejected with its reason instead of failing the window.
 */
import { createHash, randomInt, type Hash } from 'node:crypto';
import { SourceError, safeExcerpt } from '../../errors.ts';
import { excludingHasher, receiveBody, type AnswerBody } from '../answer-body.ts';
import type { ListSink } from '../../pipeline/spool.ts';
import { splitAnswer } from '../split-answer.ts';
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
  /**
   * Calls one method over one day window and hands each record of `result` to a sink opened per
   * attempt (see pipeline/spool.ts), so the answer is never held whole. With `known` undefined (the
   * window has no committed answer) records are read as the bytes arrive; otherwise the body is
   * received and fingerprinted first, and an answer `known` recognises is not parsed (`value`
   * undefined; `read()` parses it later if need be). Same checks and retries as call().
   */
  callSpooled<T>(method: TimeclockMethod, window: DayWindow, known: ((sha256: string) => boolean) | undefined, open: () => Promise<ListSink<T>>): Promise<SpooledCall<T>>;
}

export interface SpooledCall<T> {
  /** As FingerprintedCall's; see attemptSpooled for an answer read as it arrived. */
  sha256: string;
  /** What the sink made of the answer; undefined when `known` recognised it. */
  value?: T;
  /** Reads the answer into a new sink (for an answer `known` recognised). */
  read(): Promise<T>;
  /** Frees the body (a temp file when large). */
  dispose(): Promise<void>;
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
  /** Reads the answer's records into `sink` instead (checked as call() checks it); resolves with what its finish() gives. */
  readInto<T>(sink: ListSink<T>): Promise<T>;
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

  /**
   * One request whose 2xx body goes to `consume` as it arrives; an error status is thrown with the
   * server's JSON-RPC message. A 2xx without a body (204) is consumed as the empty answer it is
   * (which fails to parse, and is retried, as ever).
   */
  async function sendCall<V>(id: number, operation: string, method: TimeclockMethod, window: DayWindow, consume: (chunks: AsyncIterable<Uint8Array>) => Promise<V>): Promise<V> {
    const outcome = await sendStreaming(transport, operation, options.url, request(id, method, window), consume);
    if (!('answer' in outcome)) return outcome.value;
    const { answer } = outcome;
    if (answer.status < 200 || answer.status >= 300) throw httpStatusError(transport, operation, answer, rpcErrorMessage(answer.body));
    const bytes = new TextEncoder().encode(answer.body);
    return consume((async function* () { yield bytes; })());
  }

  /** One request; a 2xx body is received (hashed without the echoed id), not parsed. */
  async function receive(method: TimeclockMethod, window: DayWindow): Promise<{ id: number; operation: string; body: AnswerBody }> {
    const id = nextId++;
    const operation = `${method} ${window.startDate}..${window.endDate}`;
    const body = await sendCall(id, operation, method, window, (chunks) => receiveBody(chunks, { exclude: Buffer.from(String(id)) }));
    return { id, operation, body };
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
    return checkEnvelope(id, operation, parseJsonBody(transport, operation, answer), answer.status, answer.body);
  }

  /** The envelope's checks (`excerpt`: the body, or as much of it as was kept); its `result` list. */
  function checkEnvelope(id: number, operation: string, body: unknown, status: number, excerpt: string): unknown[] {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid(operation, 'answer is not a JSON-RPC response object', excerpt);
    const envelope = body as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: unknown };
    if (envelope.jsonrpc !== '2.0') throw invalid(operation, 'answer lacks "jsonrpc": "2.0"', excerpt);

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
        status,
        operation,
        excerpt: safeExcerpt(excerpt, [options.token]),
      });
    }
    if (envelope.id !== id) throw invalid(operation, `answer id ${JSON.stringify(envelope.id)} does not match request id ${id}`, excerpt);
    if (!Array.isArray(envelope.result)) throw invalid(operation, '"result" is not a list', excerpt);
    return envelope.result;
  }

  async function attempt(method: TimeclockMethod, window: DayWindow, known: (sha256: string) => boolean): Promise<FingerprintedCall> {
    const { id, operation, body } = await receive(method, window);
    const later = {
      read: () => read(id, operation, body),
      readInto: <T>(sink: ListSink<T>) => readInto(id, operation, body.chunks(), async () => sink, () => body.sha256),
      dispose: () => body.dispose(),
    };
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

  /** Reads an answer's records into a sink opened for it; the sink's work is dropped if anything fails. */
  async function readInto<T>(id: number, operation: string, chunks: AsyncIterable<Uint8Array>, open: () => Promise<ListSink<T>>, fingerprint: () => string, results?: Hash): Promise<T> {
    const sink = await open();
    try {
      // `results`: the records' JSON is hashed on the way, for a fingerprint of the parsed `result`
      // equal to sha256OfAnswer(result) (JSON.stringify's text of the list).
      let records = 0;
      const hashing: ListSink<T> = results
        ? { ...sink, group: (value, key, root, text) => (results.update(records++ === 0 ? '[' : ','), results.update(JSON.stringify(value)), sink.group(value, key, root, text)) }
        : sink;
      const { root, bytes, head } = await splitAnswer(chunks, hashing, { listKey: 'result', source: 'timeclock', operation, secrets: [options.token] });
      checkEnvelope(id, operation, root, 200, head || `(${bytes} bytes)`);
      if (results && records === 0) results.update('[');
      return await sink.finish(root as Record<string, unknown>, fingerprint());
    } catch (error) {
      await sink.discard();
      throw error;
    }
  }

  /**
   * One spooled attempt. Read as it arrives (`known` undefined), the answer's fingerprint is the
   * body's without the echoed id when the id occurs exactly once, as for callFingerprinted; else
   * it is tagged `body:`, which no fingerprint of a received answer carries, so such a window is
   * read and merged once more on its next sync (the merge writes nothing unchanged) and then
   * carries a `result:` fingerprint. Received first (`known` given), it is fingerprinted exactly as
   * callFingerprinted does, the `result:` hash taken from the records on their way to the sink.
   */
  async function attemptSpooled<T>(method: TimeclockMethod, window: DayWindow, known: ((sha256: string) => boolean) | undefined, open: () => Promise<ListSink<T>>): Promise<SpooledCall<T>> {
    if (known === undefined) {
      const id = nextId++;
      const operation = `${method} ${window.startDate}..${window.endDate}`;
      let sha256 = '';
      const value = await sendCall(id, operation, method, window, (chunks) => {
        // Per body read (a 204's empty answer is read apart from the stream it did not have).
        const withoutId = excludingHasher(Buffer.from(String(id)));
        const hashed = async function* (): AsyncGenerator<Uint8Array> {
          for await (const chunk of chunks) {
            withoutId.update(chunk);
            yield chunk;
          }
        };
        const fingerprint = () => {
          const { sha256: digest, excluded } = withoutId.digest();
          sha256 = `${excluded === 1 ? 'body-without-id' : 'body'}:${digest}`;
          return sha256;
        };
        return readInto(id, operation, hashed(), open, fingerprint);
      });
      return { sha256, value, read: async () => value, dispose: async () => {} };
    }
    const { id, operation, body } = await receive(method, window);
    try {
      if (body.excluded === 1) {
        const sha256 = `body-without-id:${body.sha256}`;
        const read = () => readInto(id, operation, body.chunks(), open, () => sha256);
        if (known(sha256)) return { sha256, read, dispose: () => body.dispose() };
        return { sha256, value: await read(), read, dispose: () => body.dispose() };
      }
      // The id is not in the body exactly once: the fingerprint is that of the parsed records.
      const results = createHash('sha256');
      let sha256 = '';
      const value = await readInto(id, operation, body.chunks(), open, () => (sha256 = `result:${results.update(']').digest('hex')}`), results);
      return { sha256, value, read: async () => value, dispose: () => body.dispose() };
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
    callSpooled: (method, window, known, open) => withRetries(transport, `${method} ${window.startDate}..${window.endDate}`, () => attemptSpooled(method, window, known, open)),
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
