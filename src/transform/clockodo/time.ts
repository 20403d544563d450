/**
 * clockodo speaks UTC on the wire (`YYYY-MM-DDTHH:MM:SSZ`, nothing else is accepted) and counts the
 * days, weeks and months of entrygroups in the account's zone (CLOCKODO_TIMEZONE). Pure.
 */
import { DateTime } from 'luxon';
import type { DateWindow } from '../../pipeline/stream.ts';

const STAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const WIRE_FORMAT = "yyyy-MM-dd'T'HH:mm:ss'Z'";

/** An instant as clockodo wants it: second precision, UTC, a literal Z. */
export function clockodoStamp(instant: DateTime): string {
  return instant.toUTC().toFormat(WIRE_FORMAT);
}

/** True for exactly `YYYY-MM-DDTHH:MM:SSZ` naming a real instant. */
export function isClockodoStamp(value: string): boolean {
  if (!STAMP.test(value)) return false;
  const parsed = DateTime.fromISO(value, { zone: 'UTC' });
  return parsed.isValid && clockodoStamp(parsed) === value;
}

/**
 * The UTC bounds of whole local days: `time_since` = the first day's start (00:00:00 local),
 * `time_until` = the last day's last second (23:59:59 local), both converted with the zone's
 * offset in force at that moment (DST-correct: a window across a change has bounds with
 * different offsets; a day that starts inside a gap starts at the first existing instant).
 */
export function utcBoundsOfLocalDays(window: DateWindow, zone: string): { timeSince: string; timeUntil: string } {
  const first = DateTime.fromISO(window.start, { zone }).startOf('day');
  const last = DateTime.fromISO(window.end, { zone }).endOf('day');
  if (!first.isValid || !last.isValid) throw new Error(`invalid window ${window.start}..${window.end} in zone ${zone}`);
  return { timeSince: clockodoStamp(first), timeUntil: clockodoStamp(last) };
}

/** The local calendar date (in `zone`) of a clockodo UTC stamp. */
export function localDateOfStamp(stamp: string, zone: string): string {
  const parsed = DateTime.fromISO(stamp, { zone: 'UTC' });
  if (!parsed.isValid) throw new Error(`not a clockodo stamp: ${stamp}`);
  return parsed.setZone(zone).toISODate()!;
}

/** Milliseconds since the epoch of a clockodo stamp (for comparisons). */
export function epochOfStamp(stamp: string): number {
  return DateTime.fromISO(stamp, { zone: 'UTC' }).toMillis();
}

/** First and last day of the calendar months containing `from` and `to` (YYYY-MM-DD). */
export function wholeMonths(from: string, to: string): DateWindow {
  return {
    start: DateTime.fromISO(from, { zone: 'UTC' }).startOf('month').toISODate()!,
    end: DateTime.fromISO(to, { zone: 'UTC' }).endOf('month').toISODate()!,
  };
}

/**
 * Any ISO 8601 instant with an offset ("…+02:00", "…Z", whole milliseconds ".000") in clockodo's
 * form YYYY-MM-DDTHH:MM:SSZ; undefined for anything else (no offset: not an instant; sub-second
 * parts: clockodo stamps have none, and rounding would move the bound).
 */
export function clockodoStampOfInstant(value: string): string | undefined {
  // Hours 00-23 (luxon reads 24:00 as the next day), offsets of at most ±14:59, and only zero
  // fractions: anything else would be silently moved or rounded.
  if (!/^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.0+)?(Z|[+-](0\d|1[0-4]):?[0-5]\d)$/.test(value)) return undefined;
  const instant = DateTime.fromISO(value, { setZone: true });
  if (!instant.isValid || instant.millisecond !== 0) return undefined;
  return `${instant.toUTC().toFormat("yyyy-MM-dd'T'HH:mm:ss")}Z`;
}
