/**
 * A clockodo API simulator: a real HTTP server on loopback (node:http) answering the parts of
 * https://my.clockodo.com/api that punchcard reads, with clockodo's auth, strict validation,
 * error bodies and switchable faults.
 *
 * Routes (base `/api`): GET/PUT/DELETE v2/entrygroups, GET v2/entries, GET v3/users; old routes
 * answer 410. Control routes (no auth, loopback only): GET /_sim/health, GET|POST|DELETE
 * /_sim/faults, POST /_sim/entries/delete|edit|add, GET /_sim/requests.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { FaultInjector, writeFault, type FaultRule } from '../faults.ts';
import { BodyTooLargeError, hostForUrl, readBody, sendJson, startManagedServer } from '../http-util.ts';
import type { AttendanceSource } from '../people.ts';
import { ClockodoDataset, DatasetError, type ClockodoApiUser, type ClockodoEntry, type EntryRecord, type NewEntry } from './dataset.ts';
import { ConfirmKeys, editOrDelete, entrygroups, parseDeleteQuery, parseEditBody, parseEntrygroupsQuery } from './entrygroups.ts';
import { ApiError, badRequest, collectParams, parseBoolValue, parseFilter, parseIntValue, parseTimeRange } from './params.ts';

export interface ClockodoSimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (a free port). */
  port?: number;
  /** Seeds the dataset and the fault PRNG. Default 1. */
  seed?: number;
  attendance: AttendanceSource;
  /** Who may call the API; default DEFAULT_API_USERS (one with revenue rights, one without). */
  apiUsers?: Array<{ email: string; apiKey: string; revenueRights: boolean }>;
  /** Default Europe/Berlin. */
  accountTimezone?: string;
  // Defaults are the real API's shapes (clockodo's OpenAPI 2026-03-12); the variants are switches.
  /** Spelling of the level key in entrygroups: OpenAPI `grouped_by` (default), German page `groupedBy`. */
  levelKey?: 'groupedBy' | 'grouped_by';
  /** `group` of the `day` grouping: 'iso' = YYYY-MM-DD (default), 'compact' = YYYYMMDD. */
  dayFormat?: 'iso' | 'compact';
  /** Name of the rate flag: OpenAPI `..._lumpsums` (default), German page `..._lump_sums`. */
  rateFlagKey?: 'hourly_rate_is_equal_and_has_no_lumpsums' | 'hourly_rate_is_equal_and_has_no_lump_sums';
  /** `restrictions`: 'object' = the OpenAPI's ten keys (default); 'mixed' = [], {} or null. */
  restrictions?: 'object' | 'mixed';
  /** Count key of a confirmed DELETE: OpenAPI 'edited_entries' (default), German page 'deleted_entries'. */
  deleteCountKey?: 'deleted_entries' | 'edited_entries';
  /** Answer a first PUT/DELETE that matches nothing without a confirm key. Default false. */
  omitConfirmKeyWhenEmpty?: boolean;
  /** Lifetime of a confirm key. Default 10 minutes. */
  confirmKeyTtlMs?: number;
  /** Delay before every API answer. Default 0. */
  latencyMs?: number;
  /** Real limit on entrygroups GETs per API user and minute (429 + Retry-After). Off by default. */
  entrygroupsPerMinute?: number;
  /** The span that limit counts over; default 60 000 ms (shorter in tests). */
  rateSpanMs?: number;
}

export interface SimRequest {
  at: Date;
  httpMethod: string;
  path: string;
  query: string;
  /** 0 while no status line was sent (e.g. a `timeout` fault). */
  status: number;
  /** The X-ClockodoApiUser the request named (lower case), as it arrived. */
  apiUser?: string;
  /** When the answer was sent whole or the connection closed. */
  endedAt?: Date;
}

export interface ClockodoSimulator {
  /** e.g. http://127.0.0.1:PORT/api */
  url: string;
  dataset: ClockodoDataset;
  faults: FaultInjector;
  /** Every API request (not /_sim), oldest first. */
  requests: SimRequest[];
  setLatency(ms: number): void;
  close(): Promise<void>;
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const MAX_BODY = 5 * 1024 * 1024;
const MAX_REQUESTS_KEPT = 100_000;
const DIMENSION_ROUTES = new Set(['users', 'customers', 'projects', 'subprojects', 'services', 'lumpsumservices', 'teams', 'absences', 'clock']);

const json = (status: number, value: unknown, headers?: Record<string, string>): Reply => ({ status, body: JSON.stringify(value), headers });
const messageOnly = (status: number, message: string): Reply => json(status, { error: { message } });

/** Old unversioned routes, v1, and v2 dimension routes (moved to v3/v4) are gone. */
function isGone(path: string): boolean {
  const [version, resource] = path.split('/').slice(2);
  if (!version) return false;
  if (!/^v\d+$/.test(version)) return true;
  return version === 'v1' || (version === 'v2' && resource !== undefined && DIMENSION_ROUTES.has(resource));
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function faultBodies(rule: FaultRule): { status: number; body: string } {
  const message = 'The given data was invalid.';
  switch (rule.variant ?? 'v2') {
    case 'v2-nocode':
      return { status: 400, body: JSON.stringify({ error: { message, fields: ['time_since'] } }) };
    case 'errors':
      return {
        status: 400,
        body: JSON.stringify({ errors: [{ type: 'validation', message, details: 'time_since: Wrong format', path: 'time_since' }] }),
      };
    case 'server':
      return { status: 500, body: JSON.stringify({ error: { code: 'internal_error', message: 'An internal error occurred.', fields: [] } }) };
    default:
      return { status: 422, body: JSON.stringify({ error: { code: 'validation_failed', message, fields: ['time_since'] } }) };
  }
}

export async function startClockodoSimulator(options: ClockodoSimulatorOptions): Promise<ClockodoSimulator> {
  const seed = options.seed ?? 1;
  const dataset = new ClockodoDataset({ attendance: options.attendance, seed, apiUsers: options.apiUsers, accountTimezone: options.accountTimezone });
  const faults = new FaultInjector(seed);
  const keys = new ConfirmKeys(options.confirmKeyTtlMs ?? 10 * 60_000);
  const requests: SimRequest[] = [];
  const rateWindows = new Map<string, number[]>();
  let latency = options.latencyMs ?? 0;
  let entriesCache: { key: string; records: EntryRecord[] } | undefined;

  const authenticate = (headers: IncomingHttpHeaders): ClockodoApiUser => {
    let email = header(headers, 'x-clockodoapiuser');
    let apiKey = header(headers, 'x-clockodoapikey');
    const authorization = header(headers, 'authorization');
    if (email === undefined && apiKey === undefined && authorization?.toLowerCase().startsWith('basic ')) {
      const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) [email, apiKey] = [decoded.slice(0, colon), decoded.slice(colon + 1)];
    }
    if (!email || !apiKey)
      throw new ApiError(401, 'Authentication required: send X-ClockodoApiUser and X-ClockodoApiKey (or HTTP Basic with the same pair).');
    const user = dataset.apiUsers.find((u) => u.email.toLowerCase() === email.toLowerCase() && u.apiKey === apiKey);
    if (!user) throw new ApiError(401, 'Authentication failed: unknown API user or wrong API key.');
    const application = header(headers, 'x-clockodo-external-application');
    if (!application) throw badRequest('Missing header X-Clockodo-External-Application (format: <application name>;<contact email>)', ['X-Clockodo-External-Application']);
    const [name, contact] = application.split(';').map((s) => s.trim());
    if (!name || !contact)
      throw badRequest('Header X-Clockodo-External-Application must look like "<application name>;<contact email>"', ['X-Clockodo-External-Application'], 'invalid_value');
    if (application.length > 50)
      throw badRequest('Header X-Clockodo-External-Application must not be longer than 50 characters', ['X-Clockodo-External-Application'], 'invalid_value');
    return user;
  };

  const rateLimited = (user: ClockodoApiUser): Reply | undefined => {
    const limit = options.entrygroupsPerMinute;
    if (!limit) return undefined;
    const now = Date.now();
    const span = options.rateSpanMs ?? 60_000;
    const window = (rateWindows.get(user.email) ?? []).filter((t) => t > now - span);
    rateWindows.set(user.email, window);
    if (window.length >= limit) {
      const retryAfter = Math.max(1, Math.ceil(((window[0] as number) + span - now) / 1000));
      return json(429, { error: { message: 'Too many requests' } }, { 'retry-after': String(retryAfter) });
    }
    window.push(now);
    return undefined;
  };

  const paging = (scalars: Map<string, string>): { page: number; perPage: number } => {
    const page = scalars.has('page') ? parseIntValue(scalars.get('page'), 'page', 1) : 1;
    const perPage = scalars.has('items_per_page') ? parseIntValue(scalars.get('items_per_page'), 'items_per_page', 1) : 50;
    if (perPage > 1000) throw badRequest('items_per_page must be at most 1000', ['items_per_page'], 'invalid_value');
    return { page, perPage };
  };
  const pageOf = <T>(items: readonly T[], page: number, perPage: number): { paging: Record<string, number>; items: T[] } => ({
    paging: { items_per_page: perPage, current_page: page, count_pages: Math.max(1, Math.ceil(items.length / perPage)), count_items: items.length },
    items: items.slice((page - 1) * perPage, page * perPage),
  });

  const listEntries = (params: URLSearchParams, user: ClockodoApiUser): Reply => {
    const { scalars, filter } = collectParams(params, ['time_since', 'time_until', 'page', 'items_per_page', 'enhanced_list'], { filter: true });
    const { sinceMs, untilMs } = parseTimeRange((name) => scalars.get(name));
    const parsedFilter = parseFilter(filter);
    const { page, perPage } = paging(scalars);
    const enhanced = scalars.has('enhanced_list') && parseBoolValue(scalars.get('enhanced_list'), 'enhanced_list');
    const cacheKey = JSON.stringify([dataset.version, sinceMs, untilMs, parsedFilter]);
    if (entriesCache?.key !== cacheKey) entriesCache = { key: cacheKey, records: dataset.select(sinceMs, untilMs, parsedFilter) };
    const { paging: info, items } = pageOf(entriesCache.records, page, perPage);
    const entries = items.map((record) => {
      const entry: Partial<ClockodoEntry> = dataset.toApiEntry(record);
      if (!enhanced) delete entry.text;
      if (!user.revenueRights) delete entry.hourly_rate;
      return entry;
    });
    return json(200, { paging: info, entries });
  };

  const listUsers = (params: URLSearchParams): Reply => {
    const { scalars } = collectParams(params, ['page', 'items_per_page'], {});
    const { page, perPage } = paging(scalars);
    const { paging: info, items } = pageOf(dataset.users, page, perPage);
    return json(200, { paging: info, data: items });
  };

  const handleApi = (method: string, url: URL, headers: IncomingHttpHeaders, rawBody: string): Reply => {
    try {
      const user = authenticate(headers);
      const path = url.pathname.replace(/\/+$/, '');
      const only = (...allowed: string[]): void => {
        if (!allowed.includes(method)) throw new ApiError(405, `Method ${method} not allowed`, []);
      };
      switch (path) {
        case '/api/v2/entrygroups': {
          only('GET', 'PUT', 'DELETE');
          if (method === 'GET') {
            const limited = rateLimited(user);
            if (limited) return limited;
            const query = parseEntrygroupsQuery(url.searchParams);
            return json(
              200,
              entrygroups(dataset, query, {
                levelKey: options.levelKey ?? 'grouped_by',
                dayFormat: options.dayFormat ?? 'iso',
                revenueRights: user.revenueRights,
                rateFlagKey: options.rateFlagKey ?? 'hourly_rate_is_equal_and_has_no_lumpsums',
                restrictions: options.restrictions ?? 'object',
              }),
            );
          }
          const request = method === 'PUT' ? parseEditBody(rawBody, header(headers, 'content-type')) : parseDeleteQuery(url.searchParams);
          return json(
            200,
            editOrDelete(dataset, keys, method as 'PUT' | 'DELETE', user.email, request, options.deleteCountKey ?? 'edited_entries', options.omitConfirmKeyWhenEmpty ?? false),
          );
        }
        case '/api/v2/entries':
          only('GET');
          return listEntries(url.searchParams, user);
        case '/api/v3/users':
          only('GET');
          return listUsers(url.searchParams);
        default:
          if (isGone(path)) return messageOnly(410, `${path} is no longer available: use the current API version`);
          return messageOnly(404, `No route ${method} ${path}`);
      }
    } catch (error) {
      if (error instanceof ApiError) return { status: error.status, body: error.body() };
      throw error;
    }
  };

  const send = (res: ServerResponse, reply: Reply): void => {
    if (!res.destroyed) sendJson(res, reply.status, reply.body, reply.headers);
  };

  const control = async (req: IncomingMessage, res: ServerResponse, url: URL, method: string): Promise<void> => {
    const remote = req.socket.remoteAddress ?? '';
    if (!['127.0.0.1', '::1', '::ffff:127.0.0.1'].includes(remote)) return send(res, messageOnly(403, 'control API is loopback only'));
    let body: unknown = {};
    try {
      const raw = await readBody(req, MAX_BODY);
      if (raw.trim() !== '') body = JSON.parse(raw);
    } catch {
      return send(res, messageOnly(400, 'body is not JSON'));
    }
    const input = (body ?? {}) as Record<string, unknown>;
    const route = `${method} ${url.pathname.replace(/\/+$/, '')}`;
    try {
      switch (route) {
        case 'GET /_sim/health':
          return send(res, json(200, { ok: true, users: dataset.users.length, accountTimezone: dataset.accountTimezone, version: dataset.version }));
        case 'GET /_sim/faults':
          return send(res, json(200, { faults: faults.list() }));
        case 'POST /_sim/faults': {
          const rules = Array.isArray(body) ? body : Array.isArray(input.rules) ? input.rules : [body];
          for (const rule of rules) faults.add(rule as FaultRule);
          return send(res, json(201, { faults: faults.list() }));
        }
        case 'DELETE /_sim/faults':
          faults.clear();
          return send(res, json(200, { faults: [] }));
        case 'POST /_sim/entries/delete': {
          const deleted = dataset.deleteEntry(Number(input.id));
          return send(res, deleted ? json(200, { deleted: true }) : messageOnly(404, `entry ${String(input.id)} does not exist`));
        }
        case 'POST /_sim/entries/edit':
          return send(res, json(200, { entry: dataset.editEntry(Number(input.id), (input.patch ?? {}) as NewEntry) }));
        case 'POST /_sim/entries/add':
          return send(res, json(201, { entry: dataset.addEntry((input.entry ?? input) as NewEntry) }));
        case 'GET /_sim/requests':
          return send(res, json(200, { requests }));
        default:
          return send(res, messageOnly(404, `No control route ${route}`));
      }
    } catch (error) {
      if (error instanceof DatasetError) return send(res, json(400, { error: { message: error.message, fields: error.fields } }));
      if (error instanceof Error) return send(res, messageOnly(400, error.message));
      throw error;
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    if (url.pathname === '/_sim' || url.pathname.startsWith('/_sim/')) return control(req, res, url, method);

    const apiUser = header(req.headers, 'x-clockodoapiuser')?.toLowerCase();
    const record: SimRequest = { at: new Date(), httpMethod: method, path: url.pathname, query: url.search.slice(1), status: 0, ...(apiUser ? { apiUser } : {}) };
    requests.push(record);
    if (requests.length > MAX_REQUESTS_KEPT) requests.splice(0, requests.length - MAX_REQUESTS_KEPT);
    res.on('close', () => {
      if (record.status === 0 && res.headersSent) record.status = res.statusCode;
      record.endedAt = new Date();
    });

    let rawBody: string;
    try {
      rawBody = await readBody(req, MAX_BODY);
    } catch (error) {
      if (!(error instanceof BodyTooLargeError)) throw error;
      record.status = 413;
      return send(res, messageOnly(413, 'Request body too large'));
    }
    if (latency > 0) await managed.delay(latency);
    if (res.destroyed) return;
    const answer = (): Reply => handleApi(method, url, req.headers, rawBody);
    const fault = faults.pick({ httpMethod: method, path: url.pathname });
    if (fault) {
      writeFault(res, fault, {
        realBody: () => answer().body,
        apiError: faultBodies,
        unauthorized: () => ({ status: 401, body: JSON.stringify({ error: { message: 'Authentication failed: unknown API user or wrong API key.' } }) }),
      });
      if (res.headersSent) record.status = res.statusCode;
      return;
    }
    const reply = answer();
    record.status = reply.status;
    send(res, reply);
  };

  const host = options.host ?? '127.0.0.1';
  const managed = await startManagedServer(
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent && !res.destroyed) send(res, messageOnly(500, `simulator error: ${error instanceof Error ? error.message : String(error)}`));
        else res.destroy();
      });
    },
    host,
    options.port ?? 0,
  );

  return {
    url: `http://${hostForUrl(host)}:${managed.port}/api`,
    dataset,
    faults,
    requests,
    setLatency(ms: number) {
      latency = Math.max(0, ms);
    },
    close: () => managed.close(),
  };
}
