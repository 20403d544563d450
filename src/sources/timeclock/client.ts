/**
 * TimeClock 365 JSON-RPC 2.0 client: one POST per call, Bearer auth, request ids, timeout,
 * retries (shared policy in ../http.ts).
 *
 * JSON-RPC errors: -32700/-32600/-32601/-32602 say our request is wrong and are not retried;
 * -32603 (internal) and the server range -32000..-32099 are server-side trouble and are retried.
 * The envelope is validated here; records inside `result` are validated one by one in the
 * transforms, so one bad record is rejected with its reason instead of failing the window.
 */
import { SourceError, safeExcerpt } from '../../errors.ts';
import { httpStatusError, parseJsonBody, sendOnce, withRetries, type HttpTransportOptions } from '../http.ts';

export const TIMECLOCK_METHODS = ['sessions', 'lunches', 'timesheet', 'extended-sessions'] as const;
export type TimeclockMethod = (typeof TIMECLOCK_METHODS)[number];

export interface DayWindow {
  startDate: string; // YYYY-MM-DD
  endDate: string; // YYYY-MM-DD, inclusive
}

export interface TimeclockClient {
  /** Calls one method over one day window; resolves with the `result` array. */
  call(method: TimeclockMethod, window: DayWindow): Promise<unknown[]>;
}

export interface TimeclockClientOptions extends Omit<HttpTransportOptions, 'source' | 'secrets'> {
  url: string;
  token: string;
}

const REQUEST_ERRORS = new Set([-32700, -32600, -32601, -32602]);

export function createTimeclockClient(options: TimeclockClientOptions): TimeclockClient {
  const transport: HttpTransportOptions = { ...options, source: 'timeclock', secrets: [options.token] };
  let nextId = 1;

  async function attempt(method: TimeclockMethod, window: DayWindow): Promise<unknown[]> {
    const id = nextId++;
    const operation = `${method} ${window.startDate}..${window.endDate}`;
    const answer = await sendOnce(transport, operation, options.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        authorization: `Bearer ${options.token}`,
      },
      body: JSON.stringify({ jsonrpc: '2.0', method, params: { startDate: window.startDate, endDate: window.endDate }, id }),
    });

    if (answer.status < 200 || answer.status >= 300) {
      throw httpStatusError(transport, operation, answer, rpcErrorMessage(answer.body));
    }
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

  function invalid(operation: string, what: string, body: string): SourceError {
    return new SourceError(`timeclock ${operation}: ${what}`, {
      source: 'timeclock',
      kind: 'invalid-response',
      retryable: false,
      operation,
      excerpt: safeExcerpt(body, [options.token]),
    });
  }

  return {
    call: (method, window) => withRetries(transport, `${method} ${window.startDate}..${window.endDate}`, () => attempt(method, window)),
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
