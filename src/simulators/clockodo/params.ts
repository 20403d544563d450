/**
 * Strict parameter handling shared by the simulated clockodo endpoints, and the v2 error shape
 * `{"error": {"code"?, "message", "fields": [...]}}`.
 */
import { parseUtcStamp } from './calendar.ts';
import { BUDGET_TYPES, type BudgetTypeFilter, type EntryFilter } from './dataset.ts';

export class ApiError extends Error {
  readonly status: number;
  /** Omitted from the body when undefined (401 bodies carry only a message). */
  readonly fields: string[] | undefined;
  /** Omitted from the body when undefined (the real API sometimes sends no code). */
  readonly code: string | undefined;

  constructor(status: number, message: string, fields?: string[], code?: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.fields = fields;
    this.code = code;
  }

  body(): string {
    const error: Record<string, unknown> = {};
    if (this.code !== undefined) error.code = this.code;
    error.message = this.message;
    if (this.fields !== undefined) error.fields = this.fields;
    return JSON.stringify({ error });
  }
}

export const badRequest = (message: string, fields: string[], code?: string): ApiError => new ApiError(400, message, fields, code);

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
] as const;
type FilterKey = (typeof FILTER_KEYS)[number];

export interface CollectedParams {
  scalars: Map<string, string>;
  /** Values of `grouping[]` / `grouping[N]`, in the order given. */
  grouping: string[];
  filter: Map<string, string>;
}

/**
 * Sorts query parameters into scalars, `grouping[]` and `filter[...]`. Anything not allowed is a
 * 400, as on the real API; a plain `grouping=x` or `filter=x` answers "Array expected.".
 */
export function collectParams(params: URLSearchParams, scalars: readonly string[], options: { grouping?: boolean; filter?: boolean }): CollectedParams {
  const out: CollectedParams = { scalars: new Map(), grouping: [], filter: new Map() };
  for (const [key, value] of params) {
    if (scalars.includes(key)) {
      out.scalars.set(key, value);
      continue;
    }
    if (options.grouping && /^grouping\[\d*\]$/.test(key)) {
      out.grouping.push(value);
      continue;
    }
    const filter = /^filter\[([a-z_]+)\]$/.exec(key);
    if (options.filter && filter && (FILTER_KEYS as readonly string[]).includes(filter[1] as string)) {
      out.filter.set(filter[1] as string, value);
      continue;
    }
    if ((options.grouping && key === 'grouping') || (options.filter && key === 'filter')) throw badRequest('Array expected.', [key]);
    throw badRequest(`Unknown parameter: ${key}`, [key], 'unknown_parameter');
  }
  return out;
}

/** Reads the required `time_since` / `time_until` pair (`YYYY-MM-DDTHH:MM:SSZ`, since ≤ until). */
export function parseTimeRange(get: (name: string) => unknown): { sinceMs: number; untilMs: number } {
  const read = (name: string): number => {
    const raw = get(name);
    if (raw === undefined || raw === null || raw === '') throw badRequest(`Missing parameter: ${name}`, [name], 'missing_parameter');
    const ms = typeof raw === 'string' ? parseUtcStamp(raw) : undefined;
    if (ms === undefined) throw badRequest('Wrong format', [name], 'wrong_format');
    return ms;
  };
  const sinceMs = read('time_since');
  const untilMs = read('time_until');
  if (sinceMs > untilMs) throw badRequest('time_since must not lie after time_until', ['time_since', 'time_until']);
  return { sinceMs, untilMs };
}

/** A non-negative integer given as a JSON number or a decimal string. */
export function parseIntValue(raw: unknown, field: string, min = 0): number {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min) throw badRequest(`${field} must be an integer${min > 0 ? ' > 0' : ' >= 0'}`, [field], 'invalid_value');
  return n;
}

export function parseBoolValue(raw: unknown, field: string): boolean {
  if (raw === true || raw === 'true' || raw === '1' || raw === 1) return true;
  if (raw === false || raw === 'false' || raw === '0' || raw === 0) return false;
  throw badRequest(`${field} must be true or false`, [field], 'invalid_value');
}

/** Builds an EntryFilter from raw values (query strings or JSON values); `prefix` names fields in errors. */
export function parseFilter(raw: Iterable<[string, unknown]>, prefix = 'filter'): EntryFilter {
  const filter: EntryFilter = {};
  for (const [key, value] of raw) {
    const field = `${prefix}[${key}]`;
    switch (key as FilterKey) {
      case 'billable': {
        const n = parseIntValue(value, field);
        if (n > 2) throw badRequest(`${field} must be 0, 1 or 2`, [field], 'invalid_value');
        filter.billable = n;
        break;
      }
      case 'text':
        if (typeof value !== 'string') throw badRequest(`${field} must be a string`, [field], 'invalid_value');
        filter.text = value;
        break;
      case 'budget_type':
        if (typeof value !== 'string' || !(BUDGET_TYPES as readonly string[]).includes(value))
          throw badRequest(`${field} must be one of ${BUDGET_TYPES.join(', ')}`, [field], 'invalid_value');
        filter.budget_type = value as BudgetTypeFilter;
        break;
      case 'users_id':
      case 'customers_id':
      case 'projects_id':
      case 'subprojects_id':
      case 'services_id':
      case 'lumpsum_services_id':
      case 'teams_id':
      case 'texts_id':
        filter[key as Exclude<FilterKey, 'billable' | 'text' | 'budget_type'>] = parseIntValue(value, field, 1);
        break;
      default:
        throw badRequest(`Unknown parameter: ${field}`, [field], 'unknown_parameter');
    }
  }
  return filter;
}
