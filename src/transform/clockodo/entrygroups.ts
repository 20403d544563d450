/**
 * GET /v2/entrygroups answer → punchcard.ck_entrygroups rows, one per leaf of the group tree. Pure.
 *
 * A row is a leaf path: every level's (grouped_by, group) from the top down, e.g.
 * users_id=501/day=2026-09-01/customers_id=3/projects_id=0/services_id=12/billable=1. The path
 * key, with the account and the grouping signature ("users_id,day,...[;round=N]"), is the row's
 * natural key; `path` keeps every level's group, name, number and note. Typed columns are filled
 * for the levels present (users_id, customers_id, projects_id, subprojects_id, services_id,
 * lumpsum_services_id, texts_id, billable, day); a level not in the grouping stays NULL, and 0 is
 * clockodo's "none" (e.g. entries without a project).
 *
 * Normalised quirks:
 * - `group` as a number or a string (ids, year, "0"): ids and billable become integers.
 * - the level key spelled `groupedBy` (German page) or `grouped_by` (reference); when both are
 *   absent the requested grouping at that depth is assumed.
 * - `sub_groups` absent, null, [] or a JSON object (a PHP associative array); `groups` likewise.
 *   A node without sub-groups above the last requested level is a leaf with fewer levels
 *   (flag `fewer_levels_than_requested`).
 * - `restrictions` {}, [] or null: not stored apart from the raw leaf.
 * - day `group` as YYYY-MM-DD or YYYYMMDD (string or number). Anything else rejects that group
 *   and everything below it, with the raw value in the reason: a day is never guessed.
 * - optional revenue/budget/rounding fields: absent or null → NULL, never 0; unreadable → NULL,
 *   flagged `<field>_unreadable`, the leaf kept (only an unreadable duration rejects it).
 * - the flag `hourly_rate_is_equal_and_has_no_lumpsums` (OpenAPI's spelling) is stored in the
 *   column `hourly_rate_is_equal_and_has_no_lump_sums`; the German page's `_lump_sums` is read
 *   when the real name is absent.
 * - `group` 0 ("without project/text/...") may appear more than once at one level (once per
 *   customer when projects_id is above customers_id). Positions are not stable (clockodo sorts by
 *   duration), so such groups are MERGED: leaves under them with the same path are summed
 *   (durations, revenues), flags are OR-ed, the hourly rate kept only when equal, the names of the
 *   merged level listed (sorted, " | "), and the row flagged `merged_duplicate_groups`. A repeated
 *   non-zero group is left to finalizeBatch (identical copies collapse, differing ones are rejected).
 *
 * Ownership: every row needs a `day` (the grouping must contain day). A day outside the requested
 * window is rejected: it means CLOCKODO_TIMEZONE differs from the account's zone, and loading it
 * would make two windows fight over the same day.
 */
import { DateTime } from 'luxon';
import { ckEntrygroups } from '../../load/tables-clockodo.ts';
import type { DateWindow, RejectRow, StreamBatch } from '../../pipeline/stream.ts';
import { SourceError } from '../../errors.ts';
import { CLOCKODO_GROUPING_LEVELS } from '../../config.ts';

export interface EntrygroupsContext {
  account: string;
  /** The grouping that was requested, top level first. */
  grouping: readonly string[];
  roundToMinutes: number;
  window: DateWindow;
}

/** The grouping levels clockodo documents (one list, shared with configuration parsing). */
export const KNOWN_LEVELS = CLOCKODO_GROUPING_LEVELS;

const ID_LEVELS = new Set(['customers_id', 'projects_id', 'subprojects_id', 'services_id', 'users_id', 'texts_id', 'lumpsum_services_id']);
const TYPED_LEVELS = [...ID_LEVELS, 'billable'] as const;
const NAME_COLUMNS: Record<string, string> = { users_id: 'user_name', customers_id: 'customer_name', projects_id: 'project_name', services_id: 'service_name' };

export interface PathEntry {
  by: string;
  group: string | number;
  name: string | null;
  number?: string | null;
  note?: string | null;
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** The grouping signature stored with every row: the ordered levels, and the rounding when on. */
export function groupingSignature(grouping: readonly string[], roundToMinutes: number): string {
  return grouping.join(',') + (roundToMinutes > 0 ? `;round=${roundToMinutes}` : '');
}

export function describeValue(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

/** A `groups` / `sub_groups` value as a list: arrays as they are, objects by their values. */
function listOf(value: unknown): Outcome<unknown[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  if (Array.isArray(value)) return { ok: true, value };
  if (typeof value === 'object') return { ok: true, value: Object.values(value) };
  return { ok: false, reason: `sub_groups ${describeValue(value)} is neither a list nor null` };
}

function integerOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

/** YYYY-MM-DD or YYYYMMDD (string or number) naming a real date → YYYY-MM-DD. */
export function parseDayGroup(value: unknown): Outcome<string> {
  const text = typeof value === 'number' && Number.isInteger(value) ? String(value) : typeof value === 'string' ? value.trim() : undefined;
  const match = text === undefined ? null : (/^(\d{4})-(\d{2})-(\d{2})$/.exec(text) ?? /^(\d{4})(\d{2})(\d{2})$/.exec(text));
  if (!match) return { ok: false, reason: `day group ${describeValue(value)} is neither YYYY-MM-DD nor YYYYMMDD` };
  const iso = `${match[1]}-${match[2]}-${match[3]}`;
  if (!DateTime.fromISO(iso, { zone: 'UTC' }).isValid) return { ok: false, reason: `day group ${describeValue(value)} is not a real calendar date` };
  return { ok: true, value: iso };
}

/** The normalised `group` of a level. */
export function normaliseGroup(level: string, value: unknown): Outcome<string | number> {
  if (ID_LEVELS.has(level)) {
    const id = integerOf(value);
    return id === undefined ? { ok: false, reason: `${level} group ${describeValue(value)} is not a whole number` } : { ok: true, value: id };
  }
  switch (level) {
    case 'billable': {
      const n = integerOf(value);
      return n === undefined || n > 2 ? { ok: false, reason: `billable group ${describeValue(value)} is not 0, 1 or 2` } : { ok: true, value: n };
    }
    case 'is_lumpsum':
      if (value === true || value === false) return { ok: true, value: value ? 1 : 0 };
      if (integerOf(value) === 0 || integerOf(value) === 1) return { ok: true, value: integerOf(value)! };
      return { ok: false, reason: `is_lumpsum group ${describeValue(value)} is not 0 or 1` };
    case 'day':
      return parseDayGroup(value);
    default:
      // year, week, month: identifiers we keep as text ("2026", "202636", "202609").
      if ((typeof value === 'string' && value.trim() !== '') || (typeof value === 'number' && Number.isFinite(value))) {
        return { ok: true, value: String(value).trim() };
      }
      return { ok: false, reason: `${level} group ${describeValue(value)} is empty or not text` };
  }
}

function optionalText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

type Measures = {
  duration_seconds: number;
  duration_without_rounding: number | null;
  revenue: number | null;
  revenue_without_rounding: number | null;
  hourly_rate: number | null;
  hourly_rate_is_equal_and_has_no_lump_sums: boolean | null;
  budget_used: boolean | null;
  has_budget_revenues_billed: boolean | null;
  has_budget_revenues_not_billed: boolean | null;
  has_non_budget_revenues_billed: boolean | null;
  has_non_budget_revenues_not_billed: boolean | null;
  rounding_success: boolean | null;
};

const BOOLEAN_FIELDS = [
  'hourly_rate_is_equal_and_has_no_lump_sums',
  'budget_used',
  'has_budget_revenues_billed',
  'has_budget_revenues_not_billed',
  'has_non_budget_revenues_billed',
  'has_non_budget_revenues_not_billed',
  'rounding_success',
] as const;
const NUMBER_FIELDS = ['revenue', 'revenue_without_rounding', 'hourly_rate'] as const;

/** Where a Measures field is read from when the answer spells it differently. */
const FIELD_SOURCES: Partial<Record<keyof Measures, readonly string[]>> = {
  hourly_rate_is_equal_and_has_no_lump_sums: ['hourly_rate_is_equal_and_has_no_lumpsums', 'hourly_rate_is_equal_and_has_no_lump_sums'],
};

/** The first spelling of `field` the node carries (null counts as carried). */
function fieldOf(node: Record<string, unknown>, field: keyof Measures): { name: string; value: unknown } {
  for (const name of FIELD_SOURCES[field] ?? [field]) if (node[name] !== undefined) return { name, value: node[name] };
  return { name: field, value: undefined };
}

/**
 * The leaf's numbers and the flags of its optional fields. Only an unreadable `duration` rejects the
 * leaf: it is the number booked time is made of. An optional field (rounding, revenue, rate,
 * budget flags) that does not read is NULL, flagged `<field>_unreadable`, and kept as sent in `raw`:
 * unknown, never 0, and the leaf's duration still counts. Absent or null optional fields are NULL.
 */
export function parseMeasures(node: Record<string, unknown>): Outcome<{ measures: Measures; flags: string[] }> {
  const duration = integerOf(node.duration);
  if (duration === undefined) return { ok: false, reason: `duration ${describeValue(node.duration)} is not a whole number of seconds` };
  const flags: string[] = [];
  const optional = <T>(name: string, value: unknown, read: (value: unknown) => T | undefined): T | null => {
    if (value === undefined || value === null) return null;
    const parsed = read(value);
    if (parsed === undefined) flags.push(`${name}_unreadable`);
    return parsed ?? null;
  };
  const out: Record<string, unknown> = {
    duration_seconds: duration,
    duration_without_rounding: optional('duration_without_rounding', node.duration_without_rounding, integerOf),
  };
  for (const field of NUMBER_FIELDS) out[field] = optional(field, node[field], numberOf);
  for (const field of BOOLEAN_FIELDS) {
    const { name, value } = fieldOf(node, field);
    out[field] = optional(name, value, booleanOf);
  }
  return { ok: true, value: { measures: out as Measures, flags } };
}

/** A number, or a decimal string of one. */
function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/** true/false, or 0/1 as a number or text. */
function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === 0 || value === 1 || value === '0' || value === '1') return value === 1 || value === '1';
  return undefined;
}

interface Leaf {
  path: PathEntry[];
  node: Record<string, unknown>;
  /** Lies under a repeated `group` 0: may be merged with its namesakes. */
  mergeable: boolean;
  fewerLevels: boolean;
}

/** Leaves of a (raw) tree: nodes without sub-groups. */
export function countLeaves(nodes: unknown[]): number {
  let count = 0;
  for (const node of nodes) {
    const children = node && typeof node === 'object' ? listOf((node as Record<string, unknown>).sub_groups) : { ok: false as const, reason: '' };
    count += children.ok && children.value.length > 0 ? countLeaves(children.value) : 1;
  }
  return count;
}

function withoutSubGroups(node: Record<string, unknown>): Record<string, unknown> {
  const { sub_groups: _dropped, ...rest } = node;
  return rest;
}

/** The top-level `groups` of an answer as a list, or the error that fails the window. */
function groupsOf(answer: unknown): unknown[] {
  const top = answer && typeof answer === 'object' && !Array.isArray(answer) ? (answer as Record<string, unknown>).groups : undefined;
  const list = top === undefined || top === null ? undefined : listOf(top);
  if (!list || !list.ok) {
    // Without a readable tree nothing can be said about the window's days: fail it, delete nothing.
    throw new SourceError('clockodo entrygroups: answer has no readable "groups" list', {
      source: 'clockodo',
      kind: 'invalid-response',
      retryable: false,
      excerpt: describeValue(answer),
    });
  }
  return list.value;
}

export function transformEntrygroups(answer: unknown, context: EntrygroupsContext): StreamBatch {
  const groups = groupsOf(answer);
  const rows: Record<string, unknown>[] = [];
  const transformer = createEntrygroupsTransformer(context);
  for (const group of groups) transformer.push(group, (row) => rows.push(row));
  const { received, rejects } = transformer.finish((row) => rows.push(row));
  return { received, tables: [{ spec: ckEntrygroups, rows }], rejects, rawAnswer: answer };
}

export interface EntrygroupsTransformer {
  /**
   * One member of the answer's top-level `groups`: its rows are passed to `emit` at once, except
   * those that may still merge with a later member (under a group 0, see the header), which
   * wait for finish().
   */
  push(group: unknown, emit: (row: Record<string, unknown>) => void): void;
  /** Emits the rows held back, merged where they must be; the answer's leaf count and rejects. */
  finish(emit: (row: Record<string, unknown>) => void): { received: number; rejects: RejectRow[] };
}

type HeldRow = Record<string, unknown> & { _mergeable: boolean };

/**
 * The transform one top-level group at a time, so an answer never has to be held whole. Only
 * rows that may merge are kept until the end: those under a group 0 repeated inside one member,
 * and those of a top-level group 0, which merges only if another top-level group 0 follows.
 */
export function createEntrygroupsTransformer(context: EntrygroupsContext): EntrygroupsTransformer {
  const signature = groupingSignature(context.grouping, context.roundToMinutes);
  // The whole-answer order: every structural reject before every leaf reject.
  const structuralRejects: RejectRow[] = [];
  const leafRejects: RejectRow[] = [];
  const held: Array<{ row: HeldRow; topZero: string | undefined }> = [];
  const topZeroes = new Map<string, number>();
  let received = 0;
  let topEntry: PathEntry | undefined;

  const rejectSubtree = (into: RejectRow[], reason: string, node: unknown, path: PathEntry[]): void => {
    const day = path.find((p) => p.by === 'day')?.group;
    into.push({ reason, raw: { path, group: node }, employee_number: null, work_date: typeof day === 'string' ? day : null });
  };

  const walk = (nodes: unknown[], depth: number, path: PathEntry[], mergeable: boolean, leaves: Leaf[]): void => {
    const valid: Array<{ node: Record<string, unknown>; entry: PathEntry }> = [];
    for (const node of nodes) {
      if (!node || typeof node !== 'object' || Array.isArray(node)) {
        rejectSubtree(structuralRejects, `group ${describeValue(node)} is not an object`, node, path);
        continue;
      }
      const record = node as Record<string, unknown>;
      const level = record.groupedBy ?? record.grouped_by ?? context.grouping[depth];
      if (typeof level !== 'string' || !(KNOWN_LEVELS as readonly string[]).includes(level)) {
        rejectSubtree(structuralRejects, `unknown grouping level ${describeValue(level)} at depth ${depth + 1}`, node, path);
        continue;
      }
      if (path.some((p) => p.by === level)) {
        rejectSubtree(structuralRejects, `grouping level ${level} appears twice on one path`, node, path);
        continue;
      }
      const group = normaliseGroup(level, record.group);
      if (!group.ok) {
        rejectSubtree(structuralRejects, group.reason, node, path);
        continue;
      }
      const entry: PathEntry = { by: level, group: group.value, name: optionalText(record.name) };
      if ('number' in record) entry.number = optionalText(record.number);
      if ('note' in record) entry.note = optionalText(record.note);
      valid.push({ node: record, entry });
      if (depth === 0) topEntry = entry;
    }
    const seen = new Map<string, number>();
    for (const { entry } of valid) seen.set(`${entry.by}=${entry.group}`, (seen.get(`${entry.by}=${entry.group}`) ?? 0) + 1);
    for (const { node, entry } of valid) {
      const repeatedZero = entry.group === 0 && (seen.get(`${entry.by}=0`) ?? 0) > 1;
      const children = listOf(node.sub_groups);
      const nextPath = [...path, entry];
      if (!children.ok) {
        rejectSubtree(structuralRejects, children.reason, node, nextPath);
        continue;
      }
      if (children.value.length > 0) {
        walk(children.value, depth + 1, nextPath, mergeable || repeatedZero, leaves);
      } else {
        leaves.push({ path: nextPath, node: withoutSubGroups(node), mergeable: mergeable || repeatedZero, fewerLevels: depth < context.grouping.length - 1 });
      }
    }
  };

  const rowOf = (leaf: Leaf): HeldRow | undefined => {
    const dayEntry = leaf.path.find((p) => p.by === 'day');
    if (!dayEntry) {
      rejectSubtree(leafRejects, 'this path has no day level (the grouping must contain day)', leaf.node, leaf.path);
      return undefined;
    }
    const day = dayEntry.group as string;
    if (day < context.window.start || day > context.window.end) {
      rejectSubtree(
        leafRejects,
        `day ${day} lies outside the requested window ${context.window.start}..${context.window.end} (CLOCKODO_TIMEZONE probably differs from the clockodo account's time zone)`,
        leaf.node,
        leaf.path,
      );
      return undefined;
    }
    const measures = parseMeasures(leaf.node);
    if (!measures.ok) {
      rejectSubtree(leafRejects, measures.reason, leaf.node, leaf.path);
      return undefined;
    }
    const row: HeldRow = {
      account: context.account,
      grouping: signature,
      path_key: leaf.path.map((p) => `${p.by}=${p.group}`).join('/'),
      day,
      ...Object.fromEntries(TYPED_LEVELS.map((level) => [level, leaf.path.find((p) => p.by === level)?.group ?? null])),
      user_name: null,
      user_number: null,
      customer_name: null,
      project_name: null,
      service_name: null,
      ...measures.value.measures,
      path: leaf.path,
      flags: [...(leaf.fewerLevels ? ['fewer_levels_than_requested'] : []), ...measures.value.flags],
      raw: leaf.node,
      _mergeable: leaf.mergeable,
    };
    for (const entry of leaf.path) {
      const column = NAME_COLUMNS[entry.by];
      if (column) row[column] = entry.name;
      if (entry.by === 'users_id') row.user_number = entry.number ?? null;
    }
    return row;
  };

  return {
    push(group, emit) {
      received += countLeaves([group]);
      const leaves: Leaf[] = [];
      topEntry = undefined;
      walk([group], 0, [], false, leaves);
      const top = topEntry as PathEntry | undefined;
      const topZero = top?.group === 0 ? top.by : undefined;
      if (topZero !== undefined) topZeroes.set(topZero, (topZeroes.get(topZero) ?? 0) + 1);
      for (const leaf of leaves) {
        const row = rowOf(leaf);
        if (row === undefined) continue;
        if (row._mergeable || topZero !== undefined) held.push({ row, topZero });
        else emit(stripMergeable(row));
      }
    },
    finish(emit) {
      const rows = held.map(({ row, topZero }) => ({ ...row, _mergeable: row._mergeable || (topZero !== undefined && (topZeroes.get(topZero) ?? 0) > 1) }));
      for (const row of mergeRepeatedZeroGroups(rows)) emit(row);
      return { received, rejects: [...structuralRejects, ...leafRejects] };
    },
  };
}

function stripMergeable({ _mergeable: _m, ...row }: HeldRow): Record<string, unknown> {
  return row;
}

/** Merges rows that share a path key because they lie under a repeated `group` 0 (see the header). */
function mergeRepeatedZeroGroups(rows: Array<Record<string, unknown> & { _mergeable: boolean }>): Record<string, unknown>[] {
  const byKey = new Map<string, Array<Record<string, unknown> & { _mergeable: boolean }>>();
  for (const row of rows) {
    const key = row.path_key as string;
    const group = byKey.get(key);
    if (group) group.push(row);
    else byKey.set(key, [row]);
  }
  const out: Record<string, unknown>[] = [];
  for (const group of byKey.values()) {
    if (group.length === 1 || !group.every((row) => row._mergeable)) {
      for (const row of group) out.push(stripMergeable(row)); // no spread: the answer decides how many
      continue;
    }
    out.push(mergeRows(group.map(stripMergeable)));
  }
  return out;
}

const sum = (values: unknown[]): number | null => (values.some((v) => v === null) ? null : (values as number[]).reduce((a, b) => a + b, 0));
const cents = (value: number | null): number | null => (value === null ? null : Math.round(value * 100) / 100);
const anyTrue = (values: unknown[]): boolean | null => (values.every((v) => v === null) ? null : values.some((v) => v === true));
const allTrue = (values: unknown[]): boolean | null => (values.every((v) => v === null) ? null : values.every((v) => v === true));
const joined = (values: Array<string | null | undefined>): string | null => {
  const distinct = [...new Set(values.filter((v): v is string => typeof v === 'string'))].sort();
  return distinct.length === 0 ? null : distinct.join(' | ');
};

function mergeRows(rows: Record<string, unknown>[]): Record<string, unknown> {
  const first = rows[0]!;
  const column = (name: string) => rows.map((row) => row[name]);
  const rates = column('hourly_rate');
  const equalRates = rates.every((rate) => rate === rates[0]);
  const paths = rows.map((row) => row.path as PathEntry[]);
  const path: PathEntry[] = paths[0]!.map((entry, i) => {
    const merged: PathEntry = { ...entry, name: joined(paths.map((p) => p[i]!.name)) };
    if ('number' in entry) merged.number = joined(paths.map((p) => p[i]!.number));
    if ('note' in entry) merged.note = joined(paths.map((p) => p[i]!.note));
    return merged;
  });
  const merged: Record<string, unknown> = {
    ...first,
    duration_seconds: sum(column('duration_seconds')),
    duration_without_rounding: sum(column('duration_without_rounding')),
    revenue: cents(sum(column('revenue'))),
    revenue_without_rounding: cents(sum(column('revenue_without_rounding'))),
    hourly_rate: equalRates ? rates[0] : null,
    hourly_rate_is_equal_and_has_no_lump_sums: equalRates ? allTrue(column('hourly_rate_is_equal_and_has_no_lump_sums')) : false,
    rounding_success: allTrue(column('rounding_success')),
    path,
    flags: [...new Set([...rows.flatMap((row) => row.flags as string[]), 'merged_duplicate_groups'])].sort(),
    // Sorted so that the order clockodo listed them in (by duration) does not cause an update.
    raw: { merged: rows.map((row) => row.raw).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1)) },
  };
  for (const field of ['budget_used', 'has_budget_revenues_billed', 'has_budget_revenues_not_billed', 'has_non_budget_revenues_billed', 'has_non_budget_revenues_not_billed']) {
    merged[field] = anyTrue(column(field));
  }
  for (const entry of path) {
    const name = NAME_COLUMNS[entry.by];
    if (name) merged[name] = entry.name;
    if (entry.by === 'users_id') merged.user_number = entry.number ?? null;
  }
  return merged;
}
