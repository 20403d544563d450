/**
 * `/api/v2/entrygroups`: the grouped GET, and the two-step PUT and DELETE with confirm keys.
 *
 * The GET walks the selected entries once and adds each to one node per grouping level, so a year
 * of 2,000 users is one pass with memory proportional to the number of groups.
 */
import { randomBytes } from 'node:crypto';
import { dayNumberToDate, isoWeek, localDayNumber } from './calendar.ts';
import type { ClockodoDataset, EntryFilter, EntryPatch, EntryRecord } from './dataset.ts';
import { DatasetError } from './dataset.ts';
import { badRequest, collectParams, parseBoolValue, parseFilter, parseIntValue, parseTimeRange } from './params.ts';

export const GROUPINGS = [
  'customers_id',
  'projects_id',
  'subprojects_id',
  'services_id',
  'users_id',
  'texts_id',
  'lumpsum_services_id',
  'billable',
  'is_lumpsum',
  'year',
  'week',
  'month',
  'day',
] as const;
export type Grouping = (typeof GROUPINGS)[number];

export interface EntrygroupsQuery {
  sinceMs: number;
  untilMs: number;
  grouping: Grouping[];
  filter: EntryFilter;
  roundToMinutes: number;
  prependCustomerToProjectName: boolean;
  calcRevenuesForHardBudget: boolean;
}

export interface GroupFormat {
  levelKey: 'groupedBy' | 'grouped_by';
  dayFormat: 'iso' | 'compact';
  revenueRights: boolean;
  /** Name of the rate flag: OpenAPI `..._lumpsums` (real) or the German page's `..._lump_sums`. */
  rateFlagKey: 'hourly_rate_is_equal_and_has_no_lumpsums' | 'hourly_rate_is_equal_and_has_no_lump_sums';
  /** 'object': the OpenAPI's ten keys on every group; 'mixed': [], {} or null (shapes seen in the wild). */
  restrictions: 'object' | 'mixed';
}

/** The ten keys of the OpenAPI's EntryGroupRestrictionV2, and the grouping level each one mirrors. */
const RESTRICTION_KEYS = {
  users_id: 'users_id',
  teams_id: undefined,
  customers_id: 'customers_id',
  projects_id: 'projects_id',
  subprojects_id: 'subprojects_id',
  services_id: 'services_id',
  lumpsum_services_id: 'lumpsum_services_id',
  billable: 'billable',
  entriesTexts_id: 'texts_id',
  budget_type: undefined,
} as const satisfies Record<string, Grouping | undefined>;

const GET_SCALARS = ['time_since', 'time_until', 'round_to_minutes', 'prepend_customer_to_project_name', 'calc_also_revenues_for_projects_with_hard_budget'];

export function parseEntrygroupsQuery(params: URLSearchParams): EntrygroupsQuery {
  const { scalars, grouping, filter } = collectParams(params, GET_SCALARS, { grouping: true, filter: true });
  const range = parseTimeRange((name) => scalars.get(name));
  if (grouping.length === 0) throw badRequest('Missing parameter: grouping', ['grouping'], 'missing_parameter');
  const seen = new Set<string>();
  for (const value of grouping) {
    if (!(GROUPINGS as readonly string[]).includes(value)) throw badRequest(`Unknown grouping: ${value}`, ['grouping'], 'invalid_value');
    if (seen.has(value)) throw badRequest(`Grouping given twice: ${value}`, ['grouping'], 'invalid_value');
    seen.add(value);
  }
  const round = scalars.get('round_to_minutes');
  const prepend = scalars.get('prepend_customer_to_project_name');
  const calc = scalars.get('calc_also_revenues_for_projects_with_hard_budget');
  return {
    ...range,
    grouping: grouping as Grouping[],
    filter: parseFilter(filter),
    roundToMinutes: round === undefined ? 0 : parseIntValue(round, 'round_to_minutes'),
    prependCustomerToProjectName: prepend === undefined ? true : parseBoolValue(prepend, 'prepend_customer_to_project_name'),
    calcRevenuesForHardBudget: calc === undefined ? false : parseBoolValue(calc, 'calc_also_revenues_for_projects_with_hard_budget'),
  };
}

interface Node {
  sample: EntryRecord;
  duration: number;
  durationRaw: number;
  revenue: number;
  revenueRaw: number;
  /** The rate every entry earns at (0 when it earns nothing); null once two entries differ. */
  rate: number | null | undefined;
  budgetUsed: boolean;
  budgetBilled: boolean;
  budgetNotBilled: boolean;
  nonBudgetBilled: boolean;
  nonBudgetNotBilled: boolean;
  children: Map<string, Node> | undefined;
}

interface DayInfo {
  year: number;
  month: string;
  week: string;
}

const MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
const BILLABLE_NAMES = ['nicht abrechenbar', 'abrechenbar', 'abgerechnet'];

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Answers `GET /api/v2/entrygroups`: `{"groups": [...]}`. */
export function entrygroups(dataset: ClockodoDataset, query: EntrygroupsQuery, format: GroupFormat): { groups: unknown[] } {
  const step = query.roundToMinutes * 60;
  const zone = dataset.accountTimezone;
  const days = new Map<number, DayInfo>();
  const dayInfo = (ordinal: number): DayInfo => {
    let info = days.get(ordinal);
    if (!info) {
      const date = dayNumberToDate(ordinal);
      const { year, week } = isoWeek(ordinal);
      info = { year: Number(date.slice(0, 4)), month: date.slice(0, 4) + date.slice(5, 7), week: `${year}${String(week).padStart(2, '0')}` };
      days.set(ordinal, info);
    }
    return info;
  };

  const keyOf = (by: Grouping, e: EntryRecord, day: () => number): string => {
    switch (by) {
      case 'customers_id': return String(e.customersId);
      // "No project" is its own group per customer, so group 0 can appear more than once.
      case 'projects_id': return e.projectsId === null ? `0|${e.customersId}` : String(e.projectsId);
      case 'subprojects_id': return e.subprojectsId === null ? `0|${e.projectsId ?? 0}|${e.customersId}` : String(e.subprojectsId);
      case 'services_id': return String(e.servicesId);
      case 'users_id': return String(e.usersId);
      case 'texts_id': return String(e.textsId ?? 0);
      case 'lumpsum_services_id': return String(e.lumpsumServicesId ?? 0);
      case 'billable': return String(e.billable);
      case 'is_lumpsum': return '0';
      case 'year': return String(dayInfo(day()).year);
      case 'month': return dayInfo(day()).month;
      case 'week': return dayInfo(day()).week;
      case 'day': return String(day());
    }
  };

  const root = new Map<string, Node>();
  dataset.forEachEntry(query.sinceMs, query.untilMs, query.filter, (e) => {
    let ordinal: number | undefined;
    const day = (): number => (ordinal ??= localDayNumber(zone, e.sinceMs));
    const raw = (e.untilMs - e.sinceMs) / 1000;
    const duration = step > 0 ? Math.ceil(raw / step) * step : raw;
    const hard = dataset.budgetOf(e) === 'strict';
    const rate = e.billable > 0 && (!hard || query.calcRevenuesForHardBudget) ? e.hourlyRate : 0;
    let level = root;
    for (let i = 0; i < query.grouping.length; i++) {
      const key = keyOf(query.grouping[i] as Grouping, e, day);
      let node = level.get(key);
      if (!node) {
        node = {
          sample: e,
          duration: 0,
          durationRaw: 0,
          revenue: 0,
          revenueRaw: 0,
          rate: undefined,
          budgetUsed: false,
          budgetBilled: false,
          budgetNotBilled: false,
          nonBudgetBilled: false,
          nonBudgetNotBilled: false,
          children: i < query.grouping.length - 1 ? new Map() : undefined,
        };
        level.set(key, node);
      }
      node.duration += duration;
      node.durationRaw += raw;
      node.revenue += (rate * duration) / 3600;
      node.revenueRaw += (rate * raw) / 3600;
      node.rate = node.rate === undefined ? rate : node.rate === rate ? rate : null;
      if (hard) {
        node.budgetUsed = true;
        if (e.billable === 2) node.budgetBilled = true;
        if (e.billable === 1) node.budgetNotBilled = true;
      } else {
        if (e.billable === 2) node.nonBudgetBilled = true;
        if (e.billable === 1) node.nonBudgetNotBilled = true;
      }
      if (node.children) level = node.children;
    }
  });

  const describe = (by: Grouping, key: string, e: EntryRecord): { group: string | number; name: string; number?: string | null; note?: string | null } => {
    const customer = dataset.customers.get(e.customersId);
    switch (by) {
      case 'customers_id':
        return { group: key, name: customer?.name ?? '', number: customer?.number ?? null, note: customer?.note ?? null };
      case 'projects_id': {
        const project = e.projectsId === null ? undefined : dataset.projects.get(e.projectsId);
        const name = project?.name ?? 'ohne Projekt';
        return {
          group: project ? key : 0,
          name: query.prependCustomerToProjectName && customer ? `${customer.name} / ${name}` : name,
          number: project?.number ?? null,
          note: project?.note ?? null,
        };
      }
      case 'subprojects_id': {
        const sub = e.subprojectsId === null ? undefined : dataset.subprojects.get(e.subprojectsId);
        return { group: sub ? key : 0, name: sub?.name ?? 'ohne Unterprojekt' };
      }
      case 'services_id': {
        const service = dataset.services.get(e.servicesId);
        return { group: key, name: service?.name ?? '', number: service?.number ?? null, note: service?.note ?? null };
      }
      case 'users_id': {
        const user = dataset.user(e.usersId);
        return { group: key, name: user?.name ?? '', number: user?.number ?? null };
      }
      case 'texts_id':
        return { group: e.textsId === null ? 0 : key, name: dataset.text(e.textsId) ?? 'ohne Beschreibung' };
      case 'lumpsum_services_id': {
        const ls = e.lumpsumServicesId === null ? undefined : dataset.lumpsumServices.get(e.lumpsumServicesId);
        return { group: ls ? key : 0, name: ls?.name ?? 'ohne Pauschalleistung' };
      }
      case 'billable':
        return { group: key, name: BILLABLE_NAMES[e.billable] as string };
      case 'is_lumpsum':
        return { group: key, name: 'Zeiteinträge' };
      case 'year':
        return { group: Number(key), name: key };
      case 'month':
        return { group: key, name: `${MONTHS[Number(key.slice(4)) - 1]} ${key.slice(0, 4)}` };
      case 'week':
        return { group: key, name: `KW ${key.slice(4)} ${key.slice(0, 4)}` };
      case 'day': {
        const date = dayNumberToDate(Number(key));
        return {
          group: format.dayFormat === 'compact' ? date.replaceAll('-', '') : date,
          name: `${date.slice(8, 10)}.${date.slice(5, 7)}.${date.slice(0, 4)}`,
        };
      }
    }
  };

  /** What applies to a group besides its own level and the time range: the filter and the levels above. */
  const restrictionsOf = (above: ReadonlyMap<Grouping, string | number>): Record<string, unknown> => {
    const filter = query.filter as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, level] of Object.entries(RESTRICTION_KEYS)) {
      const fromLevel = level === undefined ? undefined : above.get(level);
      out[key] = fromLevel !== undefined ? Number(fromLevel) : (filter[level ?? key] ?? null);
    }
    return out;
  };

  const render = (level: Map<string, Node>, depth: number, above: ReadonlyMap<Grouping, string | number> = new Map()): unknown[] => {
    const by = query.grouping[depth] as Grouping;
    const leaf = depth === query.grouping.length - 1;
    const sorted = [...level.entries()].sort(([ka, a], [kb, b]) => b.duration - a.duration || (ka < kb ? -1 : ka > kb ? 1 : 0));
    return sorted.map(([key, node]) => {
      const h = hash(`${depth}:${by}:${key}`);
      const described = describe(by, key, node.sample);
      const group: Record<string, unknown> = { [format.levelKey]: by, group: described.group, name: described.name };
      if ('number' in described) group.number = described.number;
      if ('note' in described) group.note = described.note;
      group.restrictions = format.restrictions === 'object' ? restrictionsOf(above) : [[], {}, null][h % 3];
      group.duration = node.duration;
      if (step > 0) group.duration_without_rounding = node.durationRaw;
      if (format.revenueRights) {
        const roundingFailed = step > 0 && leaf && node.rate === null;
        group.revenue = round2(roundingFailed ? node.revenueRaw : node.revenue);
        group.budget_used = node.budgetUsed;
        group.has_budget_revenues_billed = node.budgetBilled;
        group.has_budget_revenues_not_billed = node.budgetNotBilled;
        group.has_non_budget_revenues_billed = node.nonBudgetBilled;
        group.has_non_budget_revenues_not_billed = node.nonBudgetNotBilled;
        group.hourly_rate =
          node.durationRaw === 0 ? null : typeof node.rate === 'number' ? node.rate : round2((node.revenueRaw * 3600) / node.durationRaw);
        group[format.rateFlagKey] = node.rate !== null;
        if (step > 0) group.revenue_without_rounding = round2(node.revenueRaw);
        if (step > 0 && leaf) group.rounding_success = node.rate !== null;
      }
      if (node.children) group.sub_groups = render(node.children, depth + 1, new Map([...above, [by, described.group]]));
      else if ((h >> 2) % 2 === 0) group.sub_groups = null;
      return group;
    });
  };

  return { groups: query.grouping.length > 0 ? render(root, 0) : [] };
}

// ---- PUT / DELETE ------------------------------------------------------------------------------

export interface EditRequest {
  sinceMs: number;
  untilMs: number;
  filter: EntryFilter;
  values: EntryPatch;
  confirmKey: string | undefined;
}

/** The OpenAPI's PUT new values: no texts_id (answered 400 as an unknown parameter). */
const NEW_VALUE_KEYS = ['users_id', 'customers_id', 'projects_id', 'subprojects_id', 'services_id', 'lumpsum_services_id', 'billable', 'text', 'hourly_rate'] as const;

/** Parses the PUT body: JSON (or form-encoded with `filter[...]` keys). */
export function parseEditBody(rawBody: string, contentType: string | undefined): EditRequest {
  let body: unknown;
  if (contentType?.includes('application/x-www-form-urlencoded')) {
    const form = new URLSearchParams(rawBody);
    // No prototype: a form key like "__proto__" is then an ordinary (unknown, refused) parameter.
    const object: Record<string, unknown> = Object.create(null);
    const filter: Record<string, string> = Object.create(null);
    for (const [key, value] of form) {
      const m = /^filter\[([a-z_]+)\]$/.exec(key);
      if (m) filter[m[1] as string] = value;
      else object[key] = value;
    }
    if (Object.keys(filter).length > 0) object.filter = filter;
    body = object;
  } else {
    try {
      body = JSON.parse(rawBody);
    } catch {
      throw badRequest('Request body is not valid JSON', [], 'invalid_body');
    }
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('Request body must be a JSON object', [], 'invalid_body');
  const object = body as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    if (!['time_since', 'time_until', 'filter', 'confirm_key', ...NEW_VALUE_KEYS].includes(key))
      throw badRequest(`Unknown parameter: ${key}`, [key], 'unknown_parameter');
  }
  const range = parseTimeRange((name) => object[name]);
  const rawFilter = object.filter ?? {};
  if (typeof rawFilter !== 'object' || rawFilter === null || Array.isArray(rawFilter)) throw badRequest('Array expected.', ['filter']);
  const filter = parseFilter(Object.entries(rawFilter));

  const values: EntryPatch = {};
  for (const key of NEW_VALUE_KEYS) {
    const raw = object[key];
    if (raw === undefined) continue;
    switch (key) {
      case 'billable': {
        const n = parseIntValue(raw, key);
        if (n > 2) throw badRequest('billable must be 0, 1 or 2', [key], 'invalid_value');
        values.billable = n;
        break;
      }
      case 'text':
        if (typeof raw !== 'string') throw badRequest('text must be a string', [key], 'invalid_value');
        values.text = raw;
        break;
      case 'hourly_rate': {
        const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
        if (!Number.isFinite(n) || n < 0) throw badRequest('hourly_rate must be a number >= 0', [key], 'invalid_value');
        values.hourly_rate = n;
        break;
      }
      default:
        values[key] = parseIntValue(raw, key, 1);
    }
  }
  if (Object.keys(values).length === 0) throw badRequest('No new values given', [...NEW_VALUE_KEYS], 'missing_parameter');
  const confirmKey = object.confirm_key;
  if (confirmKey !== undefined && typeof confirmKey !== 'string') throw badRequest('confirm_key must be a string', ['confirm_key'], 'invalid_value');
  return { ...range, filter, values, confirmKey };
}

export function parseDeleteQuery(params: URLSearchParams): EditRequest {
  const { scalars, filter } = collectParams(params, ['time_since', 'time_until', 'confirm_key'], { filter: true });
  return { ...parseTimeRange((name) => scalars.get(name)), filter: parseFilter(filter), values: {}, confirmKey: scalars.get('confirm_key') };
}

/** Confirm keys: bound to one request (canonical form), single use, with a time to live. */
export class ConfirmKeys {
  private readonly issued = new Map<string, { request: string; expiresAt: number }>();
  private readonly used = new Set<string>();

  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(ttlMs: number, now: () => number = Date.now) {
    this.ttlMs = ttlMs;
    this.now = now;
  }

  issue(request: string): string {
    const now = this.now();
    for (const [key, info] of this.issued) if (info.expiresAt <= now - this.ttlMs) this.issued.delete(key);
    const key = randomBytes(16).toString('hex');
    this.issued.set(key, { request, expiresAt: now + this.ttlMs });
    return key;
  }

  /** Throws a 400 unless `key` was issued for `request`, is unused and has not expired. */
  check(key: string, request: string): void {
    const fields = ['confirm_key'];
    if (this.used.has(key)) throw badRequest('confirm_key has already been used: send the request without confirm_key for a new one', fields, 'invalid_confirm_key');
    const info = this.issued.get(key);
    if (!info) throw badRequest('confirm_key is unknown: send the request without confirm_key for a new one', fields, 'invalid_confirm_key');
    if (info.expiresAt <= this.now()) throw badRequest('confirm_key has expired: send the request without confirm_key for a new one', fields, 'invalid_confirm_key');
    if (info.request !== request) throw badRequest('confirm_key was issued for a different request (method or parameters differ)', fields, 'invalid_confirm_key');
  }

  /** Uses a checked key up. */
  consume(key: string): void {
    this.issued.delete(key);
    this.used.add(key);
  }
}

function canonical(method: string, apiUser: string, request: EditRequest): string {
  const sorted = (o: object): Array<[string, unknown]> => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([method, apiUser.toLowerCase(), request.sinceMs, request.untilMs, sorted(request.filter), sorted(request.values)]);
}

/**
 * Runs the two-step PUT or DELETE. Without a confirm key: counts and issues one. With it: checks
 * the key, validates every change first, then applies all of them (all or nothing).
 */
export function editOrDelete(
  dataset: ClockodoDataset,
  keys: ConfirmKeys,
  method: 'PUT' | 'DELETE',
  apiUser: string,
  request: EditRequest,
  deleteCountKey: 'deleted_entries' | 'edited_entries',
  /** Answer an empty selection without a confirm key (`{affected_entries: 0}`), as clockodo may. */
  omitKeyWhenEmpty = false,
): Record<string, unknown> {
  const selected = dataset.select(request.sinceMs, request.untilMs, request.filter);
  const id = canonical(method, apiUser, request);
  const now = Date.now();
  const patched = (): EntryRecord[] => {
    try {
      return selected.map((entry) => dataset.applyPatch(entry, request.values, now));
    } catch (error) {
      if (error instanceof DatasetError) throw badRequest(error.message, error.fields, 'invalid_value');
      throw error;
    }
  };
  if (request.confirmKey === undefined) {
    if (method === 'PUT') patched(); // refuse impossible new values before handing out a key
    if (omitKeyWhenEmpty && selected.length === 0) return { affected_entries: 0 };
    return { confirm_key: keys.issue(id), affected_entries: selected.length };
  }
  keys.check(request.confirmKey, id);
  if (method === 'PUT') {
    const changed = patched();
    keys.consume(request.confirmKey);
    dataset.replaceEntries(changed);
    return { success: true, edited_entries: changed.length };
  }
  keys.consume(request.confirmKey);
  for (const entry of selected) dataset.deleteEntry(entry.id);
  return { success: true, [deleteCountKey]: selected.length };
}
