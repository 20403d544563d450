/**
 * Shared pieces of the TimeClock transforms: employee envelopes, intervals, row shapes.
 * Pure functions; every record either becomes rows or a reject with a reason.
 */
import { z } from 'zod';
import { localTimestamp, resolveInterval, type ResolvedInterval } from '../local-time.ts';
import type { DateWindow, RejectRow } from '../../pipeline/stream.ts';

export type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

/** employeeNumber is a number in three methods and a string in extended-sessions: stored as bigint. */
export function parseEmployeeNumber(value: unknown): Outcome<number> {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return { ok: true, value };
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim())) return { ok: true, value: Number(value.trim()) };
  return { ok: false, reason: `employeeNumber ${describe(value)} is neither a whole number nor a numeric string` };
}

const optionalText = z.string().nullable().optional();

export const employeeEnvelope = z.looseObject({
  employeeNumber: z.unknown().optional(),
  email: optionalText,
  sessions: z.array(z.unknown(), { message: '"sessions" must be a list' }),
});

export interface EmployeeRecord {
  employeeNumber: number;
  email: string | null;
  sessions: unknown[];
  raw: Record<string, unknown>;
}

export function parseEmployeeRecord(record: unknown): Outcome<EmployeeRecord> {
  const parsed = employeeEnvelope.safeParse(record);
  if (!parsed.success) return { ok: false, reason: `employee record: ${zodReason(parsed.error)}` };
  const number = parseEmployeeNumber(parsed.data.employeeNumber);
  if (!number.ok) return number;
  return {
    ok: true,
    value: { employeeNumber: number.value, email: parsed.data.email ?? null, sessions: parsed.data.sessions, raw: parsed.data },
  };
}

export const stampFields = {
  startDate: z.unknown().optional(),
  endDate: z.unknown().optional(),
  startSourceType: optionalText,
  endSourceType: optionalText,
};

export function zodReason(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  return `${path}${issue.message}`;
}

export function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** Row fields every interval-shaped table shares. */
export function intervalColumns(startDate: string, endDate: unknown, interval: ResolvedInterval, timezone: string) {
  return {
    start_local: localTimestamp(startDate),
    end_local: typeof endDate === 'string' ? localTimestamp(endDate) : null,
    timezone,
    start_utc: interval.start.utc,
    end_utc: interval.end?.utc ?? null,
    work_date: interval.start.localDate,
    duration_seconds: interval.durationSeconds,
  };
}

export function resolveRecordInterval(record: { startDate?: unknown; endDate?: unknown }, timezone: unknown): Outcome<ResolvedInterval> {
  return resolveInterval(record.startDate, record.endDate, timezone);
}

export type ParsedItem<T> = { ok: true; record: T; interval: ResolvedInterval } | { ok: false; reject: RejectRow };

/**
 * Validates one item of a `sessions` list against its schema and resolves its stamps in `zone`
 * (the item's own `timezone` when the zone argument is undefined). Failures become a reject
 * labelled with what the item is ("session", "lunch", ...).
 */
export function parseIntervalItem<T extends { startDate?: unknown; endDate?: unknown; timezone?: unknown }>(
  schema: z.ZodType<T>,
  item: unknown,
  employeeNumber: number,
  what: string,
  zone?: string,
): ParsedItem<T> {
  const parsed = schema.safeParse(item);
  if (!parsed.success) return { ok: false, reject: reject(`${what}: ${zodReason(parsed.error)}`, item, employeeNumber) };
  const interval = resolveRecordInterval(parsed.data, zone ?? parsed.data.timezone);
  if (!interval.ok) return { ok: false, reject: reject(`${what}: ${interval.reason}`, item, employeeNumber, dateOf(parsed.data.startDate)) };
  return { ok: true, record: parsed.data, interval: interval.value };
}

export function windowFlags(workDate: string, window: DateWindow): string[] {
  return workDate < window.start || workDate > window.end ? ['outside_requested_window'] : [];
}

export function reject(reason: string, raw: unknown, employeeNumber?: number, workDate?: string): RejectRow {
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
