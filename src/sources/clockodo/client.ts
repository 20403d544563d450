/**
 * clockodo REST client (https://my.clockodo.com/api): auth headers, the query encoding clockodo's
 * PHP backend expects, both documented error body shapes, the shared retry policy (../http.ts),
 * and a throttle for entrygroups GETs.
 *
 * Auth: `X-ClockodoApiUser` + `X-ClockodoApiKey`, plus `X-Clockodo-External-Application`
 * ("<application>;<contact e-mail>") on every request.
 *
 * Query encoding: arrays and filters are written with literal brackets exactly as the API
 * document shows them (`grouping[]=customers_id&grouping[]=users_id`, `filter[users_id]=7`);
 * stamps keep their colons (`time_since=2026-09-01T00:00:00Z`); everything else is
 * percent-encoded. A server that decodes the query (PHP, the simulator) reads `%5B%5D` the same,
 * but the literal form is what the document specifies and what we test.
 *
 * Throttle: clockodo allows 900 requests/minute per user, but entrygroups GETs are reported to be
 * limited to about 10 per minute. Every entrygroups GET (retries included) waits for a slot: request
 * starts are at least 60 s / CLOCKODO_ENTRYGROUPS_PER_MINUTE apart. A 429 still happens (other
 * clients share the limit) and is retried after Retry-After by the shared policy.
 *
 * Two-step PUT/DELETE (edit and delete time entries): the first call (no confirm_key) only counts
 * and is retried like any read. The confirming call is NOT idempotent: it is retried only after a
 * 429 (the server refused it before doing anything); a timeout, reset or 5xx ends with a message
 * that the outcome is unknown. A 4xx on it means the key was refused (unknown, expired, used, or
 * issued for other parameters).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createHash } from 'node:crypto';
import { SourceError, safeExcerpt } from '../../errors.ts';
import { limitDepth } from '../../json-depth.ts';
import type { ListSink } from '../../pipeline/spool.ts';
import { receiveBody } from '../answer-body.ts';
import { BUDGET_TYPES, type BudgetType } from './budget-types.ts';
import { splitAnswer } from '../split-answer.ts';
import { httpStatusError, parseJsonBody, sendOnce, sendStreaming, withRetries, type HttpAnswer, type HttpTransportOptions } from '../http.ts';

export { BUDGET_TYPES, BUDGET_TYPE_SHORT_NAMES, type BudgetType } from './budget-types.ts';

/** Every id filter has a minimum of 1 (OpenAPI): 0 ("without project" in clockodo's UI) is not a filter. */
export const ID_FILTER_KEYS = ['users_id', 'customers_id', 'projects_id', 'subprojects_id', 'services_id', 'lumpsum_services_id', 'teams_id', 'texts_id'] as const;

/** `filter[...]` of entrygroups, with the keys clockodo's OpenAPI lists for GET, PUT and DELETE. */
export interface EntryFilter {
  users_id?: number;
  customers_id?: number;
  projects_id?: number;
  subprojects_id?: number;
  services_id?: number;
  lumpsum_services_id?: number;
  teams_id?: number;
  billable?: number;
  text?: string;
  texts_id?: number;
  budget_type?: BudgetType;
}

/** Order in which filters are written (stable, so a request and its confirmation are identical). */
export const FILTER_KEYS = [
  'users_id',
  'customers_id',
  'projects_id',
  'subprojects_id',
  'services_id',
  'lumpsum_services_id',
  'teams_id',
  'billable',
  'text',
  'texts_id',
  'budget_type',
] as const satisfies ReadonlyArray<keyof EntryFilter>;

/** New values of PUT entrygroups: exactly the OpenAPI's list (no texts_id: entrygroups answers 400 to it). */
export interface NewValues {
  users_id?: number;
  customers_id?: number;
  projects_id?: number;
  subprojects_id?: number;
  services_id?: number;
  lumpsum_services_id?: number;
  billable?: number;
  text?: string;
  hourly_rate?: number;
}

export const NEW_VALUE_KEYS = [
  'users_id',
  'customers_id',
  'projects_id',
  'subprojects_id',
  'services_id',
  'lumpsum_services_id',
  'billable',
  'text',
  'hourly_rate',
] as const satisfies ReadonlyArray<keyof NewValues>;

export interface EntrygroupsQuery {
  timeSince: string; // YYYY-MM-DDTHH:MM:SSZ
  timeUntil: string;
  grouping: readonly string[];
  filter?: EntryFilter;
  roundToMinutes?: number;
  /** Sent whenever given; clockodo's defaults are true and false. */
  prependCustomerToProjectName?: boolean;
  calcAlsoRevenuesForProjectsWithHardBudget?: boolean;
}

/** Which entries a PUT/DELETE applies to, and (PUT) what to set. */
export interface EntrygroupsChange {
  timeSince: string;
  timeUntil: string;
  filter: EntryFilter;
  /** Required for edit, ignored for delete. */
  values?: NewValues;
}

export type ChangeKind = 'edit' | 'delete';

export interface ConfirmRequest {
  /** Absent when nothing matched: clockodo may then send no key (there is nothing to confirm). */
  confirmKey: string | undefined;
  affectedEntries: number;
}

export interface UsersListing {
  users: unknown[];
  pages: number;
  /** `paging.count_items` of the last page, when sent. */
  countItems: number | undefined;
}

export interface ClockodoClient {
  /** GET /v2/entrygroups: the parsed answer object (`{"groups": ...}`), throttled. */
  entrygroups(query: EntrygroupsQuery): Promise<Record<string, unknown>>;
  /**
   * GET /v2/entrygroups, its body kept as it arrives (in a temp file when large, see answer-body.ts)
   * and fingerprinted (SHA-256 of the bytes); `known(sha256)` is asked before anything is parsed.
   * Recognised: nothing is parsed (`value` undefined; `read()` parses it later if need be). Else the
   * kept body is parsed piece by piece, each member of `groups` handed to a sink opened for the
   * attempt (a failed attempt's sink is discarded before the retry). Same checks and retries as
   * entrygroups(); the answer is never held whole. Without `known` (nothing is committed for the
   * window, so nothing can be recognised) the body is parsed as it arrives and never kept.
   */
  entrygroupsFingerprinted<T>(
    query: EntrygroupsQuery,
    known: ((sha256: string) => boolean) | undefined,
    open: () => Promise<ListSink<T>>,
  ): Promise<FingerprintedEntrygroups<T>>;
  /** GET /v3/users, every page. */
  users(): Promise<UsersListing>;
  /** The smallest authenticated request (one user of page 1): resolves with the account's user count, if sent. */
  ping(): Promise<number | undefined>;
  /** First step of PUT (edit) / DELETE: counts the entries and returns a confirm key. Changes nothing. */
  requestChange(kind: ChangeKind, change: EntrygroupsChange): Promise<ConfirmRequest>;
  /** Second step: the same request with the confirm key. Returns how many entries changed. */
  confirmChange(kind: ChangeKind, change: EntrygroupsChange, confirmKey: string): Promise<number>;
}

export interface FingerprintedEntrygroups<T> {
  /** SHA-256 of the body as received. */
  sha256: string;
  /** What the sink made of the answer; undefined when `known` recognised it. */
  value?: T;
  /** Parses the kept body into a new sink (for an answer `known` recognised). */
  read(): Promise<T>;
  /** Frees the kept body. */
  dispose(): Promise<void>;
}

/** Time and waiting, injectable so tests of the throttle do not sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

export interface ClockodoClientOptions extends Omit<HttpTransportOptions, 'source' | 'secrets'> {
  /** Base URL, e.g. https://my.clockodo.com/api (no trailing slash needed). */
  url: string;
  user: string;
  apiKey: string;
  externalApplication: string;
  entrygroupsPerMinute: number;
  /** The span entrygroupsPerMinute counts over (default 60 s). */
  entrygroupsSpanSeconds?: number;
  /** Replaces the in-process limiter (the fleet's is PostgreSQL-backed, shared by every worker). */
  entrygroupsLimiter?: RequestLimiter;
  clock?: Clock;
  /** items_per_page for /v3/users (at most 1000). */
  usersPerPage?: number;
}

/** Waits until one more request may start. */
export interface RequestLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}

/** Minimum interval between request starts; reservations are taken in call order. */
export function createIntervalLimiter(perMinute: number, clock: Clock = systemClock, spanSeconds = 60): RequestLimiter {
  const interval = (spanSeconds * 1000) / perMinute;
  let next = Number.NEGATIVE_INFINITY;
  return {
    async acquire(signal) {
      const now = clock.now();
      const at = Math.max(now, next);
      next = at + interval;
      if (at > now) await clock.sleep(at - now, signal);
    },
  };
}

// ---- encoding ------------------------------------------------------------------------------------

type Param = [string, string | number];

/** Percent-encodes a key, keeping the brackets of `grouping[]` / `filter[x]` literal. */
function encodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%5B/gi, '[').replace(/%5D/gi, ']');
}

/** Percent-encodes a value, keeping the colons of stamps literal. */
function encodeValue(value: string | number): string {
  return encodeURIComponent(String(value)).replace(/%3A/gi, ':');
}

export function encodeQuery(params: readonly Param[]): string {
  return params.map(([key, value]) => `${encodeKey(key)}=${encodeValue(value)}`).join('&');
}

/**
 * The filter's entries in FILTER_KEYS order, checked against what clockodo accepts: a filter it
 * would ignore (0 ids, unknown budget types) must never widen a PUT or DELETE, so it is refused
 * here as a last guard (the CLI refuses the same input with a friendlier line first).
 */
export function filterEntries(filter: EntryFilter | undefined): Array<[string, string | number]> {
  const out: Array<[string, string | number]> = [];
  for (const key of FILTER_KEYS) {
    const value = filter?.[key];
    if (value === undefined) continue;
    if ((ID_FILTER_KEYS as readonly string[]).includes(key) && !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 1)) {
      throw new RangeError(`filter ${key} must be a whole number ≥ 1 (clockodo's minimum), got ${JSON.stringify(value)}`);
    }
    if (key === 'budget_type' && !(BUDGET_TYPES as readonly unknown[]).includes(value)) {
      throw new RangeError(`filter budget_type must be one of ${BUDGET_TYPES.join(', ')}, got ${JSON.stringify(value)}`);
    }
    // clockodo does not say what an empty text filter selects; read as "no filter" it would widen
    // a PUT or DELETE to the whole range.
    if (key === 'text' && !(typeof value === 'string' && value.trim() !== '')) throw new RangeError(`filter text must not be empty, got ${JSON.stringify(value)}`);
    if (key === 'billable' && value !== 0 && value !== 1 && value !== 2) throw new RangeError(`filter billable must be 0, 1 or 2, got ${JSON.stringify(value)}`);
    out.push([key, value]);
  }
  return out;
}

function filterParams(filter: EntryFilter | undefined): Param[] {
  return filterEntries(filter).map(([key, value]): Param => [`filter[${key}]`, value]);
}

/** The query string of GET /v2/entrygroups. */
export function entrygroupsQueryString(query: EntrygroupsQuery): string {
  const params: Param[] = [
    ['time_since', query.timeSince],
    ['time_until', query.timeUntil],
    ...query.grouping.map((level): Param => ['grouping[]', level]),
    ...filterParams(query.filter),
  ];
  if (query.roundToMinutes !== undefined && query.roundToMinutes > 0) params.push(['round_to_minutes', query.roundToMinutes]);
  if (query.prependCustomerToProjectName !== undefined) params.push(['prepend_customer_to_project_name', String(query.prependCustomerToProjectName)]);
  if (query.calcAlsoRevenuesForProjectsWithHardBudget !== undefined) {
    params.push(['calc_also_revenues_for_projects_with_hard_budget', String(query.calcAlsoRevenuesForProjectsWithHardBudget)]);
  }
  return encodeQuery(params);
}

/** The query string of DELETE /v2/entrygroups (DELETE sends query parameters). */
export function deleteQueryString(change: EntrygroupsChange, confirmKey?: string): string {
  const params: Param[] = [['time_since', change.timeSince], ['time_until', change.timeUntil], ...filterParams(change.filter)];
  if (confirmKey !== undefined) params.push(['confirm_key', confirmKey]);
  return encodeQuery(params);
}

/** The JSON body of PUT /v2/entrygroups: stamps, a `filter` object, top-level new values, confirm_key. */
export function editBody(change: EntrygroupsChange, confirmKey?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { time_since: change.timeSince, time_until: change.timeUntil };
  const filter = Object.fromEntries(filterEntries(change.filter));
  if (Object.keys(filter).length > 0) body.filter = filter;
  for (const key of NEW_VALUE_KEYS) if (change.values?.[key] !== undefined) body[key] = change.values[key];
  if (confirmKey !== undefined) body.confirm_key = confirmKey;
  return body;
}

// ---- errors --------------------------------------------------------------------------------------

/**
 * The server's own words from an error body, in either documented shape:
 * `{"error": {"code"?, "message", "fields": [...]}}` (v2) or
 * `{"errors": [{"type", "message", "details", "path"}]}` (newer endpoints). Undefined when neither.
 */
export function clockodoErrorMessage(body: unknown): string | undefined {
  let parsed = body;
  if (typeof body === 'string') {
    try {
      parsed = limitDepth(JSON.parse(body));
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== 'object') return undefined;
  const { error, errors } = parsed as { error?: unknown; errors?: unknown };
  if (error && typeof error === 'object' && !Array.isArray(error)) {
    const e = error as { code?: unknown; message?: unknown; fields?: unknown };
    const message = typeof e.message === 'string' && e.message.trim() !== '' ? e.message : 'no message';
    const extras: string[] = [];
    if (typeof e.code === 'string' || typeof e.code === 'number') extras.push(`code ${e.code}`);
    if (Array.isArray(e.fields) && e.fields.length > 0) extras.push(`fields: ${e.fields.map(String).join(', ')}`);
    return extras.length > 0 ? `${message} (${extras.join('; ')})` : message;
  }
  if (typeof error === 'string' && error.trim() !== '') return error;
  if (Array.isArray(errors) && errors.length > 0) {
    return errors
      .map((item) => {
        if (!item || typeof item !== 'object') return String(item);
        const e = item as { type?: unknown; message?: unknown; details?: unknown; path?: unknown };
        let text = typeof e.message === 'string' ? e.message : 'no message';
        const details = typeof e.details === 'string' ? e.details : e.details !== undefined && e.details !== null ? JSON.stringify(e.details) : undefined;
        const path = typeof e.path === 'string' ? e.path : Array.isArray(e.path) ? e.path.join('.') : undefined;
        const extras = [details, path && !(details ?? '').includes(path) ? `at ${path}` : undefined].filter(Boolean);
        if (extras.length > 0) text += ` (${extras.join('; ')})`;
        return text;
      })
      .join('; ');
  }
  return undefined;
}

// ---- client --------------------------------------------------------------------------------------

export function createClockodoClient(options: ClockodoClientOptions): ClockodoClient {
  const transport: HttpTransportOptions = { ...options, source: 'clockodo', secrets: [options.apiKey] };
  const base = options.url.replace(/\/+$/, '');
  const limiter = options.entrygroupsLimiter ?? createIntervalLimiter(options.entrygroupsPerMinute, options.clock ?? systemClock, options.entrygroupsSpanSeconds);
  const perPage = Math.min(1000, Math.max(1, options.usersPerPage ?? 1000));
  const headers = {
    accept: 'application/json',
    'X-ClockodoApiUser': options.user,
    'X-ClockodoApiKey': options.apiKey,
    'X-Clockodo-External-Application': options.externalApplication,
  };

  function invalid(operation: string, what: string, body: string): SourceError {
    return new SourceError(`clockodo ${operation}: ${what}`, {
      source: 'clockodo',
      kind: 'invalid-response',
      retryable: false,
      operation,
      excerpt: safeExcerpt(body, [options.apiKey]),
    });
  }

  /** One request; non-2xx answers become SourceErrors quoting the server's message. */
  async function send(operation: string, method: string, path: string, query: string, body?: unknown): Promise<{ answer: HttpAnswer; json: unknown }> {
    const url = `${base}${path}${query ? `?${query}` : ''}`;
    const init: RequestInit = { method, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' } };
    if (body !== undefined) init.body = JSON.stringify(body);
    const answer = await sendOnce(transport, operation, url, init);
    if (answer.status < 200 || answer.status >= 300) throw httpStatusError(transport, operation, answer, clockodoErrorMessage(answer.body));
    const json = parseJsonBody(transport, operation, answer);
    checkEnvelope(operation, answer.status, json, answer.body);
    return { answer, json };
  }

  async function entrygroups(query: EntrygroupsQuery): Promise<Record<string, unknown>> {
    const operation = `GET entrygroups ${query.timeSince}..${query.timeUntil}`;
    const queryString = entrygroupsQueryString(query);
    return withRetries(transport, operation, async () => {
      await limiter.acquire(options.signal);
      const { answer, json } = await send(operation, 'GET', '/v2/entrygroups', queryString);
      const groups = (json as { groups?: unknown }).groups;
      if (groups === undefined || groups === null || typeof groups !== 'object') {
        throw invalid(operation, 'answer has no "groups" list', answer.body);
      }
      return json as Record<string, unknown>;
    });
  }

  /**
   * A parsed 2xx answer must be a JSON object without an error body (an error body with a 2xx
   * status: the request was not carried out). For send() and for an answer parsed as it arrived.
   */
  function checkEnvelope(operation: string, status: number, root: unknown, excerpt: string): void {
    if (!root || typeof root !== 'object' || Array.isArray(root)) throw invalid(operation, 'answer is not a JSON object', excerpt);
    const said = clockodoErrorMessage(root);
    if (said !== undefined) {
      throw new SourceError(`clockodo ${operation}: request refused (HTTP ${status}): ${safeExcerpt(said, [options.apiKey])}`, {
        source: 'clockodo',
        kind: 'client',
        retryable: false,
        status,
        operation,
        excerpt: safeExcerpt(excerpt, [options.apiKey]),
      });
    }
  }

  async function entrygroupsFingerprinted<T>(
    query: EntrygroupsQuery,
    known: ((sha256: string) => boolean) | undefined,
    open: () => Promise<ListSink<T>>,
  ): Promise<FingerprintedEntrygroups<T>> {
    const operation = `GET entrygroups ${query.timeSince}..${query.timeUntil}`;
    const url = `${base}/v2/entrygroups?${entrygroupsQueryString(query)}`;
    // Into a sink opened for this attempt; a failed attempt's sink is dropped before the retry.
    const parse = async (chunks: AsyncIterable<Uint8Array>, sha256: () => string): Promise<T> => {
      const sink = await open();
      try {
        return await consumeEntrygroups(operation, chunks, sink, sha256);
      } catch (error) {
        await sink.discard();
        throw error;
      }
    };
    if (known === undefined) {
      // Nothing committed for the window, so nothing to recognise: parsed as the bytes arrive (the
      // parse overlaps the network instead of following it), hashed on the way for the ledger.
      return withRetries(transport, operation, async () => {
        const hash = createHash('sha256');
        let sha256 = '';
        const hashed = async function* (chunks: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
          for await (const chunk of chunks) {
            hash.update(chunk);
            yield chunk;
          }
          sha256 = hash.digest('hex');
        };
        const value = await getStreaming(operation, url, (chunks) => parse(hashed(chunks), () => sha256));
        return { sha256, value, read: async () => value, dispose: async () => {} };
      });
    }
    return withRetries(transport, operation, async () => {
      const body = await getStreaming(operation, url, (chunks) => receiveBody(chunks));
      const later = { sha256: body.sha256, read: () => parse(body.chunks(), () => body.sha256), dispose: () => body.dispose() };
      // Bytes equal to an answer already committed passed every check below when it was loaded.
      if (known(body.sha256)) return later;
      try {
        // Parsed inside the attempt: a body that is not JSON (truncated) is fetched again.
        return { ...later, value: await later.read() };
      } finally {
        await body.dispose();
      }
    });
  }

  /** One throttled GET of entrygroups, its body handed to `consume` as it arrives; an error status is thrown with clockodo's message. */
  async function getStreaming<V>(operation: string, url: string, consume: (chunks: AsyncIterable<Uint8Array>) => Promise<V>): Promise<V> {
    await limiter.acquire(options.signal);
    const outcome = await sendStreaming(transport, operation, url, { method: 'GET', headers }, consume);
    if ('answer' in outcome) throw httpStatusError(transport, operation, outcome.answer, clockodoErrorMessage(outcome.answer.body));
    return outcome.value;
  }

  async function consumeEntrygroups<T>(operation: string, chunks: AsyncIterable<Uint8Array>, sink: ListSink<T>, answerSha256: () => string): Promise<T> {
    const { root, bytes, head } = await splitAnswer(chunks, sink, { listKey: 'groups', source: 'clockodo', operation, secrets: [options.apiKey] });
    checkEnvelope(operation, 200, root, head);
    const groups = (root as Record<string, unknown>).groups;
    if (groups === undefined || groups === null || typeof groups !== 'object') throw invalid(operation, 'answer has no "groups" list', head || `${bytes} bytes without one group`);
    return sink.finish(root as Record<string, unknown>, answerSha256());
  }

  async function users(): Promise<UsersListing> {
    const all: unknown[] = [];
    let countItems: number | undefined;
    for (let page = 1; ; page++) {
      const operation = `GET users page ${page}`;
      const { data, paging } = await withRetries(transport, operation, async () => {
        const { answer, json } = await send(operation, 'GET', '/v3/users', encodeQuery([['page', page], ['items_per_page', perPage]]));
        const body = json as { data?: unknown; users?: unknown; paging?: unknown };
        const list = body.data ?? body.users;
        if (!Array.isArray(list)) throw invalid(operation, 'answer has no "data" list', answer.body);
        const info = body.paging && typeof body.paging === 'object' ? (body.paging as Record<string, unknown>) : undefined;
        return { data: list, paging: info };
      });
      for (const user of data) all.push(user); // a spread's width would be the server's to choose
      const countPages = Number(paging?.count_pages);
      if (paging?.count_items !== undefined) countItems = Number(paging.count_items);
      const more = Number.isInteger(countPages) ? page < countPages : data.length >= perPage;
      if (!more || data.length === 0) {
        // The list is loaded as a complete snapshot (missing users are marked deleted): a list that
        // changed while it was paged is not complete, so it is not used.
        if (countItems !== undefined && Number.isInteger(countItems) && countItems !== all.length) {
          throw invalid(operation, `paging announced ${countItems} users but ${all.length} arrived (the list changed while it was read?)`, '');
        }
        return { users: all, pages: page, countItems };
      }
      if (page >= 10_000) throw invalid(operation, 'more than 10000 pages of users', '');
    }
  }

  async function ping(): Promise<number | undefined> {
    const operation = 'GET users page 1 (ping)';
    try {
      return await withRetries(transport, operation, async () => {
        const { json } = await send(operation, 'GET', '/v3/users', encodeQuery([['page', 1], ['items_per_page', 1]]));
        const count = (json as { paging?: { count_items?: unknown } }).paging?.count_items;
        return count === undefined ? undefined : Number(count);
      });
    } catch (error) {
      if (!isEndpointMissing(error)) throw error;
      // An account (or a gateway) without /v3/users: the entrygroups endpoint proves the key as well.
      const stamp = (msAgo: number) => new Date(Math.floor((options.clock?.now() ?? Date.now()) / 1000) * 1000 - msAgo).toISOString().replace('.000Z', 'Z');
      await entrygroups({ timeSince: stamp(60_000), timeUntil: stamp(1_000), grouping: ['users_id'] });
      return undefined;
    }
  }

  function changeRequest(kind: ChangeKind, change: EntrygroupsChange, confirmKey?: string): { method: string; query: string; body?: unknown } {
    return kind === 'edit'
      ? { method: 'PUT', query: '', body: editBody(change, confirmKey) }
      : { method: 'DELETE', query: deleteQueryString(change, confirmKey) };
  }

  async function requestChange(kind: ChangeKind, change: EntrygroupsChange): Promise<ConfirmRequest> {
    const { method, query, body } = changeRequest(kind, change);
    const operation = `${method} entrygroups ${change.timeSince}..${change.timeUntil}`;
    return withRetries(transport, operation, async () => {
      const { answer, json } = await send(operation, method, '/v2/entrygroups', query, body);
      const { confirm_key: key, affected_entries: affected } = json as { confirm_key?: unknown; affected_entries?: unknown };
      const count = countOf(affected);
      if (count === undefined) throw invalid(operation, 'answer lacks "affected_entries"', answer.body);
      // Nothing matched: clockodo may leave out the key, since there is nothing to confirm.
      if (count === 0 && (key === undefined || key === null || key === '')) return { confirmKey: undefined, affectedEntries: 0 };
      if (typeof key !== 'string' || key === '') throw invalid(operation, `answer counts ${count} entries but lacks "confirm_key"`, answer.body);
      return { confirmKey: key, affectedEntries: count };
    });
  }

  async function confirmChange(kind: ChangeKind, change: EntrygroupsChange, confirmKey: string): Promise<number> {
    const { method, query, body } = changeRequest(kind, change, confirmKey);
    const operation = `${method} entrygroups ${change.timeSince}..${change.timeUntil} (confirming)`;
    return withRetries(transport, operation, async () => {
      let result: { answer: HttpAnswer; json: unknown };
      try {
        result = await send(operation, method, '/v2/entrygroups', query, body);
      } catch (error) {
        throw confirmFailure(operation, error);
      }
      const { answer, json } = result;
      const answerBody = json as { success?: unknown; edited_entries?: unknown; deleted_entries?: unknown };
      const preferred = kind === 'edit' ? answerBody.edited_entries : answerBody.deleted_entries;
      // The German page names the delete count `deleted_entries`, the reference `edited_entries`.
      const count = countOf(preferred ?? answerBody.edited_entries ?? answerBody.deleted_entries);
      if (answerBody.success === false) throw invalid(operation, 'clockodo answered "success": false; check the entries in clockodo', answer.body);
      if (count === undefined) {
        throw invalid(operation, `answer lacks "${kind === 'edit' ? 'edited_entries' : 'deleted_entries'}"; the change may have been applied: check clockodo`, answer.body);
      }
      return count;
    });
  }

  return { entrygroups, entrygroupsFingerprinted, users, ping, requestChange, confirmChange };
}

/** A count sent as a JSON number or a digit string; undefined when it is neither. */
function countOf(raw: unknown): number | undefined {
  const count = typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : raw;
  return typeof count === 'number' && Number.isSafeInteger(count) && count >= 0 ? count : undefined;
}

/**
 * What a failed confirming call means. 429: refused before anything happened, retried. Other 4xx
 * (but 401/403): the confirm key was refused. Timeouts, resets, 5xx and unreadable answers: the
 * outcome is unknown and the call is not repeated.
 */
function confirmFailure(operation: string, error: unknown): unknown {
  if (!(error instanceof SourceError)) return error;
  // A redirect was not followed: the change went nowhere else, and the message says where it was sent.
  if (error.kind === 'rate-limit' || error.kind === 'auth' || error.kind === 'redirect') return error;
  const details = { source: error.source, status: error.status, excerpt: error.excerpt, operation };
  if (error.kind === 'client') {
    const said = error.message.replace(/^clockodo .*?: request refused /, '');
    return new SourceError(
      `clockodo ${operation}: the confirm key was refused ${said}. Nothing was changed by this call; run the command again for a new count and key`,
      { ...details, kind: 'client', retryable: false },
    );
  }
  return new SourceError(
    `clockodo ${operation}: ${error.message.replace(/^clockodo .*?: /, '')}. The outcome is unknown: clockodo may or may not have applied the change, ` +
      'and a confirmed change is not sent twice. Check the entries in clockodo (or re-sync them) before trying again',
    { ...details, kind: error.kind, retryable: false },
  );
}

/** 404 or 410: the endpoint does not exist for this account or API version (not a transient fault). */
export function isEndpointMissing(error: unknown): boolean {
  return error instanceof SourceError && (error.status === 404 || error.status === 410);
}
