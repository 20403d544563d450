/**
 * Fast calendar arithmetic for the clockodo simulator.
 *
 * Dates are handled as day ordinals (days since 1970-01-01, a UTC calendar day number) so that a
 * year of 2,000 users can be walked without creating a luxon DateTime per entry. Time-zone offsets
 * come from luxon's IANAZone and are memoised per zone and quarter hour (every real transition
 * happens on a quarter hour in UTC).
 */
import { IANAZone } from 'luxon';

export const DAY_MS = 86_400_000;
const BUCKET_MS = 900_000;

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

const zones = new Map<string, { zone: IANAZone; offsets: Map<number, number> }>();

/** UTC offset of `zone` at the instant `utcMs`, in milliseconds. */
export function offsetMs(zone: string, utcMs: number): number {
  let entry = zones.get(zone);
  if (!entry) {
    if (!IANAZone.isValidZone(zone)) throw new Error(`invalid time zone: ${zone}`);
    entry = { zone: IANAZone.create(zone), offsets: new Map() };
    zones.set(zone, entry);
  }
  const bucket = Math.floor(utcMs / BUCKET_MS);
  let offset = entry.offsets.get(bucket);
  if (offset === undefined) {
    offset = entry.zone.offset(bucket * BUCKET_MS) * 60_000;
    entry.offsets.set(bucket, offset);
  }
  return offset;
}

/** The local calendar day (as an ordinal) of the instant `utcMs` in `zone`. */
export function localOrdinal(zone: string, utcMs: number): number {
  return Math.floor((utcMs + offsetMs(zone, utcMs)) / DAY_MS);
}

/** The UTC instant of a local wall-clock time, given as milliseconds since the local epoch. */
export function localToUtc(zone: string, localMs: number): number {
  const first = offsetMs(zone, localMs);
  const utc = localMs - first;
  const second = offsetMs(zone, utc);
  return second === first ? utc : localMs - second;
}

const dates = new Map<number, string>();

/** `YYYY-MM-DD` of a day ordinal (memoised: the generator asks for every user-day). */
export function ordinalToDate(ordinal: number): string {
  let date = dates.get(ordinal);
  if (date === undefined) {
    date = new Date(ordinal * DAY_MS).toISOString().slice(0, 10);
    dates.set(ordinal, date);
  }
  return date;
}

/** Ordinal of a strict `YYYY-MM-DD` date, or undefined when it is not one. */
export function dateToOrdinal(date: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  if (new Date(ms).toISOString().slice(0, 10) !== date) return undefined;
  return ms / DAY_MS;
}

/** ISO weekday: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(ordinal: number): number {
  return ((((ordinal + 3) % 7) + 7) % 7) + 1;
}

/** ISO 8601 week-numbering year and week of a day. */
export function isoWeek(ordinal: number): { year: number; week: number } {
  const thursday = ordinal - isoWeekday(ordinal) + 4;
  const year = new Date(thursday * DAY_MS).getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1) / DAY_MS;
  return { year, week: Math.floor((thursday - jan1) / 7) + 1 };
}

/** `YYYY-MM-DDTHH:MM:SSZ`, the only stamp format the clockodo API accepts and returns. */
export function formatUtc(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19) + 'Z';
}

/** Parses exactly `YYYY-MM-DDTHH:MM:SSZ` (a real calendar instant); undefined otherwise. */
export function parseUtcStamp(value: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/.test(value)) return undefined;
  const ms = Date.parse(value);
  if (!Number.isFinite(ms) || formatUtc(ms) !== value) return undefined;
  return ms;
}
