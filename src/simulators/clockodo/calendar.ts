/**
 * Calendar helpers for the clockodo simulator, on top of the shared day-number and zone-offset
 * helpers of timeclock/time.ts (day numbers = days since 1970-01-01; offsets cached per zone).
 *
 * clockodo speaks UTC on the wire (`YYYY-MM-DDTHH:MM:SSZ`); days, weeks, months and years of the
 * entrygroups answer are counted in the account's zone.
 */
import { offsetMinutes } from '../timeclock/time.ts';

export { dateToDayNumber, dayNumberToDate, isValidZone, naiveToEpoch } from '../timeclock/time.ts';

export const DAY_MS = 86_400_000;

/** The local calendar day (day number) of the instant `epochMs` in `zone`. */
export function localDayNumber(zone: string, epochMs: number): number {
  return Math.floor((epochMs + offsetMinutes(zone, epochMs) * 60_000) / DAY_MS);
}

/** ISO weekday: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1; // 1970-01-01 was a Thursday
}

/** ISO 8601 week-numbering year and week of a day. */
export function isoWeek(day: number): { year: number; week: number } {
  const thursday = day - isoWeekday(day) + 4;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  return { year, week: Math.floor((thursday - Date.UTC(year, 0, 1) / DAY_MS) / 7) + 1 };
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the only stamp format the clockodo API accepts and returns. */
export function formatUtc(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 19) + 'Z';
}

/** Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (a real calendar instant); undefined otherwise. */
export function parseUtcStamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || formatUtc(ms) !== value) return undefined;
  return ms;
}
