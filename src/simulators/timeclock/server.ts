/**
 * A TimeClock 365 JSON-RPC server on loopback, answering like the API document.
 *
 * Wire choices where the document is silent (see NOTES.md):
 * - Auth: `Authorization: Bearer <token>` (scheme case-insensitive). Missing or wrong -> HTTP 401
 *   with `{"jsonrpc":"2.0","id":<id|null>,"error":{"code":-32001,"message":"Unauthorized"}}`.
 * - Other JSON-RPC errors come in HTTP 200: -32700 parse error, -32600 invalid request, -32601
 *   unknown method, -32602 invalid params (`error.data` = {field, reason}).
 * - Batch requests (JSON arrays) are not supported: answered with one -32600 error, id null.
 * - A request without `id` is a notification: HTTP 204, no body (also for unknown methods or bad
 *   params, as JSON-RPC says notifications are never answered); a structurally invalid request
 *   is still answered with -32600.
 * - Windows longer than `maxRangeDays` (default 31, inclusive days) are -32602.
 * - `extended-sessions` writes `"id"` after `"result"` and escapes "/" as "\/" (PHP's json_encode,
 *   as in the document's `Asia\/Jerusalem`); the other methods write `id` first, slashes plain.
 * - Answers stream one JSON text per employee, buffered to ~64 KiB per write.
 * - `shapes: 'php'` sends the same data in shapes the document leaves open (issue 16): employee
 *   numbers as strings in every method, extended-sessions `groups` as an object keyed by id (how
 *   PHP serialises an array with its own keys), `isAbsence` as 0/1, `id`, `duration` and totals as
 *   digit strings. The default, `document`, sends exactly the document's shapes.
 *
 * The control API under /_sim/ (faults, mutations, request log) needs no token: the simulator
 * listens on loopback only and is a test tool. /_sim/ requests are never faulted nor logged.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FAULT_KINDS, FaultInjector, writeFault, type FaultRule } from '../faults.ts';
import { BodyTooLargeError, hostForUrl, readBody, sendJson, startManagedServer, streamPieces } from '../http-util.ts';
import { GROUP_NAMES, SimDatasetError, TimeclockDataset, type EmployeeWindow, type SessionInput, type SessionPatch } from './dataset.ts';
import { addDays, dateToDayNumber } from './time.ts';

export const RPC_PATH = '/api/v1/json-rpc';
export const RPC_METHODS = ['sessions', 'lunches', 'timesheet', 'extended-sessions'] as const;
export type RpcMethod = (typeof RPC_METHODS)[number];

export const RPC_ERRORS = {
  parse: { code: -32700, message: 'Parse error' },
  invalidRequest: { code: -32600, message: 'Invalid Request' },
  methodNotFound: { code: -32601, message: 'Method not found' },
  invalidParams: { code: -32602, message: 'Invalid params' },
  internal: { code: -32603, message: 'Internal error' },
  server: { code: -32000, message: 'Temporary failure' },
  unauthorized: { code: -32001, message: 'Unauthorized' },
} as const;

export interface TimeclockSimulatorOptions {
  host?: string /* 127.0.0.1 */;
  port?: number /* 0 = random */;
  token: string;
  /** More tokens the simulator accepts (several TimeClock accounts served by one simulator). */
  tokens?: string[];
  seed?: number /* 42 */;
  employees?: number /* 40 */;
  today?: string;
  latencyMs?: number;
  maxRangeDays?: number;
  shapes?: 'document' | 'php';
}

export interface SimRequestLogEntry {
  at: Date;
  rpcMethod: string;
  params: unknown;
  status: number;
}

export interface TimeclockSimulator {
  url: string /* http://127.0.0.1:PORT/api/v1/json-rpc */;
  dataset: TimeclockDataset;
  faults: FaultInjector;
  requests: SimRequestLogEntry[];
  setLatency(ms: number): void;
  close(): Promise<void>;
}

/** The request log keeps at most this many entries (oldest dropped). */
export const MAX_LOGGED_REQUESTS = 10_000;
/** Lunches are looked up in sessions started up to this many days before the window. */
const LUNCH_LOOKBACK_DAYS = 2;

type JsonRpcId = string | number | null;

interface Answer {
  status: number;
  /** Full body (errors) ... */
  body?: string;
  /** ... or a streamed result. */
  stream?: { head: string; pieces: () => Iterable<string>; tail: string };
}

function rpcError(id: JsonRpcId, error: { code: number; message: string }, data?: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: data === undefined ? { ...error } : { ...error, data } });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(value: unknown): value is JsonRpcId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value));
}

export async function startTimeclockSimulator(options: TimeclockSimulatorOptions): Promise<TimeclockSimulator> {
  if (!options.token) throw new Error('startTimeclockSimulator: token is required');
  const host = options.host ?? '127.0.0.1';
  const maxRangeDays = options.maxRangeDays ?? 31;
  const dataset = new TimeclockDataset({ seed: options.seed ?? 42, employees: options.employees ?? 40, today: options.today });
  const faults = new FaultInjector(options.seed ?? 42);
  const requests: SimRequestLogEntry[] = [];
  let latencyMs = options.latencyMs ?? 0;

  const log = (entry: SimRequestLogEntry): void => {
    requests.push(entry);
    if (requests.length > MAX_LOGGED_REQUESTS) requests.splice(0, requests.length - MAX_LOGGED_REQUESTS);
  };

  // ---- JSON-RPC ----

  function validateParams(params: unknown): { startDate: string; endDate: string } | { field: string; reason: string } {
    if (!isPlainObject(params)) return { field: 'params', reason: 'params must be an object with startDate and endDate' };
    const { startDate, endDate } = params;
    for (const [field, value] of [
      ['startDate', startDate],
      ['endDate', endDate],
    ] as const) {
      if (value === undefined) return { field, reason: `${field} is required` };
      if (typeof value !== 'string' || Number.isNaN(dateToDayNumber(value))) return { field, reason: `${field} must be a real date YYYY-MM-DD` };
    }
    const from = dateToDayNumber(startDate as string);
    const to = dateToDayNumber(endDate as string);
    if (from > to) return { field: 'endDate', reason: 'startDate is after endDate' };
    if (to - from + 1 > maxRangeDays) return { field: 'endDate', reason: `the range may span at most ${maxRangeDays} days` };
    return { startDate: startDate as string, endDate: endDate as string };
  }

  function answerFor(parsed: unknown, parseFailed: boolean): Answer {
    if (parseFailed) return { status: 200, body: rpcError(null, RPC_ERRORS.parse) };
    if (Array.isArray(parsed)) return { status: 200, body: rpcError(null, RPC_ERRORS.invalidRequest, { reason: 'batch requests are not supported' }) };
    if (!isPlainObject(parsed)) return { status: 200, body: rpcError(null, RPC_ERRORS.invalidRequest, { reason: 'the request must be a JSON object' }) };
    const hasId = Object.hasOwn(parsed, 'id');
    if (hasId && !isValidId(parsed.id)) return { status: 200, body: rpcError(null, RPC_ERRORS.invalidRequest, { reason: 'id must be a string, a number or null' }) };
    const id: JsonRpcId = hasId ? (parsed.id as JsonRpcId) : null;
    if (parsed.jsonrpc !== '2.0') return { status: 200, body: rpcError(id, RPC_ERRORS.invalidRequest, { reason: 'jsonrpc must be "2.0"' }) };
    if (typeof parsed.method !== 'string') return { status: 200, body: rpcError(id, RPC_ERRORS.invalidRequest, { reason: 'method must be a string' }) };
    if (!hasId) return { status: 204 };
    const method = parsed.method;
    if (!(RPC_METHODS as readonly string[]).includes(method)) return { status: 200, body: rpcError(id, RPC_ERRORS.methodNotFound, { method }) };
    const params = validateParams(parsed.params);
    if ('field' in params) return { status: 200, body: rpcError(id, RPC_ERRORS.invalidParams, params) };
    return { status: 200, stream: resultStream(method as RpcMethod, id, params.startDate, params.endDate) };
  }

  function resultStream(method: RpcMethod, id: JsonRpcId, startDate: string, endDate: string): NonNullable<Answer['stream']> {
    const idJson = JSON.stringify(id);
    if (method === 'extended-sessions') {
      return {
        head: '{"jsonrpc":"2.0","result":[',
        pieces: () => mapNonNull(dataset.employeesInWindow(startDate, endDate), (w) => extendedEmployee(w)),
        tail: `],"id":${idJson}}`,
      };
    }
    const from = method === 'lunches' ? addDays(startDate, -LUNCH_LOOKBACK_DAYS) : startDate;
    const build = method === 'sessions' ? sessionsEmployee : method === 'lunches' ? (w: EmployeeWindow) => lunchesEmployee(w, startDate, endDate) : timesheetEmployee;
    return {
      head: `{"jsonrpc":"2.0","id":${idJson},"result":[`,
      pieces: () => mapNonNull(dataset.employeesInWindow(from, endDate), build),
      tail: ']}',
    };
  }

  const php = options.shapes === 'php';
  /** What PHP's json_encode writes for a number kept as a string column. */
  const asSent = (value: number | null) => (php && value !== null ? String(value) : value);
  const employeeNumberOf = (person: { employeeNumber: number }) => (php ? String(person.employeeNumber) : person.employeeNumber);

  function extendedEmployee({ person, profile, days }: EmployeeWindow): string | null {
    const sessions: unknown[] = [];
    let totalWorkedSeconds = 0;
    let totalLeaveSeconds = 0;
    let expectedSeconds = 0;
    for (const { date, sessions: daySessions } of days) {
      expectedSeconds += dataset.expectedSecondsOn(person.employeeNumber, date);
      for (const s of daySessions) {
        const duration = dataset.durationOf(person.employeeNumber, s);
        if (s.absence) totalLeaveSeconds += duration ?? 0;
        else totalWorkedSeconds += duration ?? 0;
        sessions.push({
          startDate: s.startDate,
          startDateSentAt: s.startDateSentAt,
          startNote: s.startNote,
          endDate: s.endDate,
          endDateSentAt: s.endDateSentAt,
          endNote: s.endNote,
          duration: asSent(duration),
          timezone: s.timezone,
          locationType: s.locationType,
          startSourceType: s.startSourceType,
          endSourceType: s.endSourceType,
          isAbsence: php ? Number(s.absence !== null) : s.absence !== null,
          absenceName: s.absence?.name ?? null,
          absenceNote: s.absence?.note ?? null,
          absenceApprovedDate: s.absence?.approvedDate ?? null,
          absenceApprovedManager: s.absence?.approvedManager ?? null,
          absenceCodeDays: s.absence?.codeDays ?? null,
          absenceCodeHors: s.absence?.codeHours ?? null,
        });
      }
    }
    if (sessions.length === 0) return null;
    const json = JSON.stringify({
      id: asSent(profile.id),
      employeeNumber: String(person.employeeNumber),
      email: person.email,
      passport: profile.passport,
      groups: php ? Object.fromEntries(profile.groups.map((name) => [String(10 + GROUP_NAMES.indexOf(name as (typeof GROUP_NAMES)[number])), name])) : profile.groups,
      workStartedAt: profile.workStartedAt,
      workEndedAt: profile.workEndedAt,
      birthday: profile.birthday,
      gender: profile.gender,
      totalWorkedSeconds: asSent(totalWorkedSeconds),
      totalLeaveSeconds: asSent(totalLeaveSeconds),
      expectedSeconds: asSent(expectedSeconds),
      sessions,
    });
    // "/" only occurs inside JSON strings, so this is PHP's default escaping ("Asia\/Jerusalem").
    return json.replace(/\//g, '\\/');
  }

  function sessionsEmployee({ person, days }: EmployeeWindow): string | null {
    const sessions: unknown[] = [];
    for (const { sessions: daySessions } of days) {
      for (const s of daySessions) {
        if (s.absence) continue;
        sessions.push({
          startDate: s.startDate,
          endDate: s.endDate,
          timezone: s.timezone,
          locationType: s.locationType,
          startSourceType: s.startSourceType,
          endSourceType: s.endSourceType,
        });
      }
    }
    return sessions.length ? JSON.stringify({ employeeNumber: employeeNumberOf(person), email: person.email, sessions }) : null;
  }

  function lunchesEmployee({ person, days }: EmployeeWindow, startDate: string, endDate: string): string | null {
    const sessions: unknown[] = [];
    for (const { sessions: daySessions } of days) {
      for (const s of daySessions) {
        if (s.absence) continue;
        for (const l of s.lunches) {
          const date = l.startDate.slice(0, 10);
          if (date < startDate || date > endDate) continue; // window rule by the lunch's own start
          sessions.push({ startDate: l.startDate, endDate: l.endDate, timezone: s.timezone, startSourceType: l.startSourceType, endSourceType: l.endSourceType });
        }
      }
    }
    return sessions.length ? JSON.stringify({ employeeNumber: employeeNumberOf(person), email: person.email, sessions }) : null;
  }

  function timesheetEmployee({ person, days }: EmployeeWindow): string | null {
    const sessions: unknown[] = [];
    for (const { sessions: daySessions } of days) {
      for (const s of daySessions) {
        if (s.absence) continue;
        sessions.push({
          startDate: s.startDate,
          endDate: s.endDate,
          timezone: s.timezone,
          locationType: s.locationType,
          startSourceType: s.startSourceType,
          endSourceType: s.endSourceType,
          lunches: s.lunches.map((l) => ({ startDate: l.startDate, endDate: l.endDate, startSourceType: l.startSourceType, endSourceType: l.endSourceType })),
          workLogs: s.workLogs.map((w) => ({
            name: w.name,
            externalId: w.externalId,
            startDate: w.startDate,
            endDate: w.endDate,
            startSourceType: w.startSourceType,
            endSourceType: w.endSourceType,
          })),
        });
      }
    }
    return sessions.length ? JSON.stringify({ employeeNumber: employeeNumberOf(person), email: person.email, sessions }) : null;
  }

  function fullBody(answer: Answer): string {
    if (answer.body !== undefined) return answer.body;
    if (!answer.stream) return '';
    return answer.stream.head + [...answer.stream.pieces()].join(',') + answer.stream.tail;
  }

  function authorized(req: IncomingMessage): boolean {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return false;
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match !== null && [options.token, ...(options.tokens ?? [])].includes(match[1]!);
  }

  async function handleRpc(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method !== 'POST') {
      sendJson(res, 405, rpcError(null, RPC_ERRORS.invalidRequest, { reason: 'use POST' }), { allow: 'POST' });
      return;
    }
    const text = await readBody(req);
    let parsed: unknown;
    let parseFailed = false;
    try {
      parsed = JSON.parse(text);
    } catch {
      parseFailed = true;
    }
    const obj = isPlainObject(parsed) ? parsed : undefined;
    const id: JsonRpcId = obj && isValidId(obj.id) ? obj.id : null;
    const rpcMethod = typeof obj?.method === 'string' ? obj.method : undefined;
    const entry = { at: new Date(), rpcMethod: rpcMethod ?? (Array.isArray(parsed) ? '(batch)' : ''), params: obj?.params };

    if (latencyMs > 0) await managed.delay(latencyMs);

    const unauthorizedAnswer = (): { status: number; body: string } => ({ status: 401, body: rpcError(id, RPC_ERRORS.unauthorized) });
    const fault = faults.pick({ httpMethod: req.method, path, rpcMethod });
    if (fault) {
      writeFault(res, fault, {
        realBody: () => fullBody(answerFor(parsed, parseFailed)),
        apiError: (rule: FaultRule) => {
          const variant = rule.variant ?? 'server';
          const error = variant === 'internal' ? RPC_ERRORS.internal : variant === 'invalid-params' ? RPC_ERRORS.invalidParams : RPC_ERRORS.server;
          return { status: 200, body: rpcError(id, error) };
        },
        unauthorized: unauthorizedAnswer,
      });
      log({ ...entry, status: fault.kind === 'timeout' ? 0 : res.statusCode });
      return;
    }
    if (!authorized(req)) {
      const { status, body } = unauthorizedAnswer();
      sendJson(res, status, body, { 'www-authenticate': 'Bearer' });
      log({ ...entry, status });
      return;
    }
    const answer = answerFor(parsed, parseFailed);
    log({ ...entry, status: answer.status });
    if (answer.status === 204) {
      res.writeHead(204);
      res.end();
      return;
    }
    if (answer.body !== undefined) {
      sendJson(res, answer.status, answer.body);
      return;
    }
    if (answer.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      await streamPieces(res, answer.stream.head, answer.stream.pieces(), ',', answer.stream.tail);
    }
  }

  // ---- control API (loopback test tool: no auth) ----

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const text = await readBody(req);
    if (text.trim() === '') return undefined;
    return JSON.parse(text) as unknown;
  }

  function requireEmployee(body: Record<string, unknown>): number {
    const n = body.employeeNumber;
    const value = typeof n === 'string' && /^\d+$/.test(n) ? Number(n) : n;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new SimDatasetError('invalid', 'employeeNumber must be an integer');
    return value;
  }

  function requireStamp(body: Record<string, unknown>, field: string): string {
    const value = body[field];
    if (typeof value !== 'string') throw new SimDatasetError('invalid', `${field} must be a "YYYY-MM-DD HH:mm:ss" stamp`);
    return value;
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> {
    const route = `${req.method ?? 'GET'} ${path}`;
    try {
      switch (route) {
        case 'GET /_sim/health':
          sendJson(res, 200, { status: 'ok', url, employees: dataset.people.length, seed: dataset.seed, today: options.today ?? null, maxRangeDays, latencyMs });
          return;
        case 'GET /_sim/faults':
          sendJson(res, 200, { faults: faults.list(), injected: Object.fromEntries(faults.injected) });
          return;
        case 'POST /_sim/faults': {
          const body = await readJson(req);
          if (!isPlainObject(body) || !(FAULT_KINDS as readonly string[]).includes(String(body.kind))) {
            sendJson(res, 400, { error: `body must be a FaultRule with kind one of ${FAULT_KINDS.join(', ')}` });
            return;
          }
          faults.add(body as unknown as FaultRule);
          sendJson(res, 201, { faults: faults.list() });
          return;
        }
        case 'DELETE /_sim/faults':
          faults.clear();
          sendJson(res, 200, { faults: [] });
          return;
        case 'GET /_sim/requests':
          sendJson(res, 200, { requests });
          return;
        case 'POST /_sim/latency': {
          const body = await readJson(req);
          const ms = isPlainObject(body) ? body.ms : undefined;
          if (typeof ms !== 'number' || !(ms >= 0)) {
            sendJson(res, 400, { error: 'body must be {"ms": <non-negative number>}' });
            return;
          }
          latencyMs = ms;
          sendJson(res, 200, { latencyMs });
          return;
        }
        case 'GET /_sim/dst-plants': {
          const year = Number(query.get('year') ?? new Date().getUTCFullYear());
          sendJson(res, 200, { plants: dataset.dstPlants(year), planters: dataset.planters() });
          return;
        }
        case 'GET /_sim/truth': {
          const startDate = query.get('startDate') ?? '';
          const endDate = query.get('endDate') ?? startDate;
          const from = dateToDayNumber(startDate);
          const to = dateToDayNumber(endDate);
          if (Number.isNaN(from) || Number.isNaN(to) || to < from || to - from > 366) {
            sendJson(res, 400, { error: 'startDate and endDate must be dates at most 367 days apart' });
            return;
          }
          sendJson(res, 200, { sessions: dataset.sessionsInWindow(startDate, endDate) });
          return;
        }
        case 'POST /_sim/sessions/edit':
        case 'POST /_sim/sessions/delete':
        case 'POST /_sim/sessions/add': {
          const body = await readJson(req);
          if (!isPlainObject(body)) throw new SimDatasetError('invalid', 'body must be a JSON object');
          const employeeNumber = requireEmployee(body);
          let session;
          if (route.endsWith('/edit')) {
            if (!isPlainObject(body.patch)) throw new SimDatasetError('invalid', 'patch must be an object');
            session = dataset.editSession(employeeNumber, requireStamp(body, 'startDate'), body.patch as SessionPatch);
          } else if (route.endsWith('/delete')) {
            session = dataset.deleteSession(employeeNumber, requireStamp(body, 'startDate'));
          } else {
            if (!isPlainObject(body.session)) throw new SimDatasetError('invalid', 'session must be an object');
            session = dataset.addSession(employeeNumber, body.session as SessionInput);
          }
          sendJson(res, 200, { session });
          return;
        }
        default:
          sendJson(res, 404, { error: `no control route ${route}` });
      }
    } catch (err) {
      if (err instanceof SimDatasetError) {
        sendJson(res, err.code === 'not-found' ? 404 : err.code === 'conflict' ? 409 : 400, { error: err.message });
      } else if (err instanceof SyntaxError) {
        sendJson(res, 400, { error: `body is not JSON: ${err.message}` });
      } else {
        throw err;
      }
    }
  }

  // ---- dispatch ----

  const managed = await startManagedServer(
    (req, res) => {
      const parsedUrl = new URL(req.url ?? '/', 'http://localhost');
      const path = parsedUrl.pathname;
      const work =
        path === RPC_PATH
          ? handleRpc(req, res, path)
          : path.startsWith('/_sim/')
            ? handleControl(req, res, path, parsedUrl.searchParams)
            : Promise.resolve(sendJson(res, 404, { error: 'not found' }));
      work.catch((err: unknown) => {
        if (res.headersSent) {
          res.destroy();
          return;
        }
        if (err instanceof BodyTooLargeError) sendJson(res, 413, rpcError(null, RPC_ERRORS.invalidRequest, { reason: err.message }));
        else sendJson(res, 500, rpcError(null, RPC_ERRORS.internal, { reason: err instanceof Error ? err.message : String(err) }));
      });
    },
    host,
    options.port ?? 0,
  );
  const url = `http://${hostForUrl(host)}:${managed.port}${RPC_PATH}`;

  return {
    url,
    dataset,
    faults,
    requests,
    setLatency(ms: number): void {
      latencyMs = Math.max(0, ms);
    },
    close: () => managed.close(),
  };
}

function* mapNonNull<T>(items: Iterable<T>, fn: (item: T) => string | null): Generator<string> {
  for (const item of items) {
    const out = fn(item);
    if (out !== null) yield out;
  }
}
