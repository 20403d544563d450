/**
 * Shared pieces of the TimeClock transforms: employee envelopes, intervals, row shapes, and the
 * readers for fields whose shape the document leaves open.
 *
 * Pure functions. A record is rejected only when its payroll numbers would be impossible: no
 * employee identity, an unusable stamp or zone, an end before its start. Any other field of an
 * unexpected shape keeps the record: the column gets what can be read from it, the row keeps the
 * value as sent in `raw`, and the flag `<field>_unexpected_shape` says so.
 */
import { resolveInterval, type ResolvedInterval, type StampReading } from '../local-time.ts';
import type { DateWindow, RejectRow } from '../../pipeline/stream.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** How stamps are read: the TIMECLOCK_STAMPS and TIMECLOCK_TIMEZONE settings. */
export interface TimeclockReading {
  stamps: StampReading;
  /** The zone of a session sent without one (flagged `zone_defaulted`); undefined: such a session is rejected. */
  defaultZone?: string;
}

export const LOCAL_STAMPS: TimeclockReading = { stamps: 'local' };

/**
 * The canonical text identity of an employeeNumber. The document sends a JSON number in three
 * methods and a string in extended-sessions, so a number is written in plain decimal (42 → "42",
 * the same text as the string "42"); a string is kept as sent, trimmed: "0042" stays "0042" and is
 * not employee 42 (leading zeros and letters such as "A-17" are part of an identity, and merging
 * two people would pay one for the other). Only a missing identity is refused.
 */
export function parseEmployeeNumber(value: unknown): Outcome<{ number: string; flags: string[] }> {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Beyond 2^53 the JSON parser has already rounded the digits: keep what arrived, say so.
    const flags = Number.isInteger(value) && !Number.isSafeInteger(value) ? ['employee_number_imprecise'] : [];
    return { ok: true, value: { number: plainDecimal(value), flags } };
  }
  if (typeof value === 'string' && value.trim() !== '') return { ok: true, value: { number: value.trim(), flags: [] } };
  if (value === null || value === undefined || typeof value === 'string') return { ok: false, reason: 'employee record has no employeeNumber' };
  return { ok: false, reason: `employeeNumber ${describe(value)} is neither a number nor text` };
}

/** 1e21 → "1000000000000000000000", 0.5 → "0.5": never exponent notation. */
function plainDecimal(value: number): string {
  return Number.isInteger(value) ? BigInt(value).toString() : value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 });
}

export interface EmployeeRecord {
  employeeNumber: string;
  email: string | null;
  sessions: unknown[];
  /** Envelope-level flags every row of this employee carries. */
  flags: string[];
  raw: Record<string, unknown>;
}

export function parseEmployeeRecord(record: unknown): Outcome<EmployeeRecord> {
  if (!isObject(record)) return { ok: false, reason: `employee record: expected an object, received ${kind(record)}` };
  const number = parseEmployeeNumber(record.employeeNumber);
  if (!number.ok) return number;
  const flags = [...number.value.flags];
  const email = readText(record.email, 'email', flags);
  const sessions = readList(record.sessions, 'sessions', flags);
  return { ok: true, value: { employeeNumber: number.value.number, email, sessions, flags, raw: record } };
}

// Field readers --------------------------------------------------------------------------------

export function unexpected(field: string): string {
  return `${field.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()}_unexpected_shape`;
}

/** Text as sent; a number or boolean as its text, anything else as its JSON (flagged). */
export function readText(value: unknown, field: string, flags: string[]): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  flags.push(unexpected(field));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}

/** A whole number; a digit string is read (flagged), anything else is NULL (flagged). */
export function readWhole(value: unknown, field: string, flags: string[]): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  flags.push(unexpected(field));
  if (typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim())) return Number(value.trim());
  return null;
}

/** A list; an object keyed by index or id (how PHP serialises a sparse array) gives its values (flagged). */
export function readList(value: unknown, field: string, flags: string[]): unknown[] {
  if (Array.isArray(value)) return value;
  if (value === null || value === undefined) return [];
  flags.push(unexpected(field));
  return isObject(value) ? Object.values(value) : [];
}

/** A yes/no: true/false, 0/1, "0"/"1", "true"/"false" (the latter flagged); anything else is NULL (flagged). */
export function readBoolean(value: unknown, field: string, flags: string[]): boolean | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  flags.push(unexpected(field));
  // Only text and numbers are read: String() of an object the answer shapes ({"toString": 1}) throws.
  if (typeof value !== 'string' && typeof value !== 'number') return null;
  const text = String(value).trim().toLowerCase();
  if (text === '1' || text === 'true') return true;
  if (text === '0' || text === 'false') return false;
  return null;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function kind(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

// Intervals ------------------------------------------------------------------------------------

/** Row fields every interval-shaped table shares. */
export function intervalColumns(interval: ResolvedInterval, timezone: string) {
  return {
    start_local: interval.start.local,
    end_local: interval.end?.local ?? null,
    timezone,
    start_utc: interval.start.utc,
    end_utc: interval.end?.utc ?? null,
    work_date: interval.start.localDate,
    duration_seconds: interval.durationSeconds,
  };
}

export interface IntervalItem {
  record: Record<string, unknown>;
  interval: ResolvedInterval;
  zone: string;
  /** Stamp flags, zone_defaulted and unexpected shapes of the stamp-side fields. */
  flags: string[];
}

export type ParsedItem = { ok: true; item: IntervalItem } | { ok: false; reject: RejectRow };

/**
 * One item of a `sessions` list (or a lunch/work log nested in one, with `zone` = its session's):
 * an object whose stamps resolve. A session sent without a zone is read in the default zone and
 * flagged `zone_defaulted`; a zone that is not an IANA name is still refused.
 */
export function parseIntervalItem(item: unknown, employeeNumber: string, what: string, reading: TimeclockReading, zone?: string): ParsedItem {
  if (!isObject(item)) return { ok: false, reject: reject(`${what}: expected an object, received ${kind(item)}`, item, employeeNumber) };
  const flags: string[] = [];
  let useZone: unknown = zone ?? item.timezone;
  if (zone === undefined && (useZone === null || useZone === undefined || (typeof useZone === 'string' && useZone.trim() === '')) && reading.defaultZone !== undefined) {
    useZone = reading.defaultZone;
    flags.push('zone_defaulted');
  }
  const interval = resolveInterval(item.startDate, item.endDate, useZone, reading.stamps);
  if (!interval.ok) return { ok: false, reject: reject(`${what}: ${interval.reason}`, item, employeeNumber, dateOf(item.startDate)) };
  flags.unshift(...interval.value.flags);
  return { ok: true, item: { record: item, interval: interval.value, zone: useZone as string, flags } };
}

/** start/end source types, read leniently (they are labels, never worth a record). */
export function sourceColumns(record: Record<string, unknown>, flags: string[]) {
  return {
    start_source_type: readText(record.startSourceType, 'startSourceType', flags),
    end_source_type: readText(record.endSourceType, 'endSourceType', flags),
  };
}

export function windowFlags(workDate: string, window: DateWindow): string[] {
  return workDate < window.start || workDate > window.end ? ['outside_requested_window'] : [];
}

export function reject(reason: string, raw: unknown, employeeNumber?: string, workDate?: string): RejectRow {
  return { reason, raw, employee_number: employeeNumber ?? null, work_date: workDate ?? null };
}

/** The local date of a stamp if it looks like one, for filing a reject under the right day. */
export function dateOf(stamp: unknown): string | undefined {
  return typeof stamp === 'string' && /^\d{4}-\d{2}-\d{2}/.test(stamp) && !stamp.startsWith('0000') ? stamp.slice(0, 10) : undefined;
}

/** True when [inner] lies within [outer] (instants as epoch seconds; an open end counts as open). */
export function within(inner: ResolvedInterval, outer: ResolvedInterval): boolean {
  if (inner.start.epochSeconds < outer.start.epochSeconds) return false;
  if (outer.end === null) return true;
  if (inner.start.epochSeconds > outer.end.epochSeconds) return false;
  return inner.end === null ? false : inner.end.epochSeconds <= outer.end.epochSeconds;
}

/** Flags in first-seen order without repeats (a field can be flagged by two readers). */
export function uniqueFlags(...lists: string[][]): string[] {
  return [...new Set(lists.flat())];
}
