/** Splitting date ranges into windows of local calendar days. Pure. */
import { DateTime } from 'luxon';
import type { DateWindow } from './stream.ts';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function isCalendarDate(value: string): boolean {
  return DAY.test(value) && DateTime.fromISO(value, { zone: 'UTC' }).isValid;
}

export function addDays(date: string, days: number): string {
  return DateTime.fromISO(date, { zone: 'UTC' }).plus({ days }).toISODate()!;
}

export function* eachDay(window: DateWindow): Generator<string> {
  for (let day = window.start; day <= window.end; day = addDays(day, 1)) yield day;
}

/** Consecutive windows of `days` days covering [from, to]; the last one may be shorter. */
export function splitRange(from: string, to: string, days: number): DateWindow[] {
  const windows: DateWindow[] = [];
  for (let start = from; start <= to; start = addDays(start, days)) {
    const end = addDays(start, days - 1);
    windows.push({ start, end: end > to ? to : end });
  }
  return windows;
}

/** Calendar-month windows covering [from, to], clipped to the range (clockodo's default). */
export function splitByMonth(from: string, to: string): DateWindow[] {
  const windows: DateWindow[] = [];
  let start = from;
  while (start <= to) {
    const monthEnd = DateTime.fromISO(start, { zone: 'UTC' }).endOf('month').toISODate()!;
    const end = monthEnd > to ? to : monthEnd;
    windows.push({ start, end });
    start = addDays(end, 1);
  }
  return windows;
}

/** Today's date in a zone; `now` is a parameter so callers and tests control the clock. */
export function todayIn(zone: string, now: Date): string {
  return DateTime.fromJSDate(now, { zone }).toISODate()!;
}
