/**
 * Local wall-clock stamps ("YYYY-MM-DD HH:mm:ss", no offset) + IANA zone → UTC instants.
 *
 * The rule (documented in README "Time rules"), applied to every stamp and flagged on the row:
 * - Spring-forward gap (the wall clock never showed that time, e.g. 02:30 on 2025-03-30 in
 *   Europe/Berlin): read it with the offset in force just before the jump, which is the same as
 *   moving it forward by the length of the gap (02:30 → 03:30 CEST = 01:30Z). Flag `<field>_in_dst_gap`.
 * - Fall-back overlap (the wall clock showed that time twice, e.g. 01:30 on 2025-11-02 in
 *   America/New_York): take the earlier of the two instants (the daylight-time reading). For an
 *   end stamp, if the earlier reading would fall before the session start, take the later one.
 *   Flag `<field>_in_dst_overlap`.
 * - Anything else that is not a real local time (bad format, 24:00:00, 2025-02-30, offsets,
 *   milliseconds, unknown or non-IANA zones) is not guessed: the record is rejected with a reason.
 * - With the `utc` reading (TIMECLOCK_STAMPS=utc) the stamp is the instant itself: no gap or
 *   overlap exists, and the local time and date are those of that instant in the zone.
 */
import { DateTime, IANAZone } from 'luxon';
import { cachedZone } from './cached-zone.ts';

const STAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

export type Resolution = 'exact' | 'gap' | 'overlap';

/**
 * How a stamp is read (TIMECLOCK_STAMPS): `local` = wall-clock time in the session's zone (the
 * document's reading), `utc` = the stamp is the UTC instant and the zone only says which local
 * time and day it was for the employee.
 */
export type StampReading = 'local' | 'utc';

export interface ResolvedInstant {
  /** The instant, as an ISO string in UTC with a Z (second precision). */
  utc: string;
  epochSeconds: number;
  /** The local calendar date ("YYYY-MM-DD"): the stamp's own date when read as local time. */
  localDate: string;
  /** The local wall-clock time as Postgres `timestamp` text ("YYYY-MM-DDTHH:mm:ss"): as written when read as local time. */
  local: string;
  resolution: Resolution;
}

export type ResolveResult = { ok: true; value: ResolvedInstant } | { ok: false; reason: string };

/** Checks a zone name: only IANA region names (and "UTC") are accepted, fixed offsets are not. */
export function checkZone(zone: unknown): string | undefined {
  if (typeof zone !== 'string' || zone.trim() === '') return 'timezone is missing';
  if (validZones.has(zone)) return undefined;
  if (!/^[A-Za-z][A-Za-z0-9_]*(\/[A-Za-z0-9_+-]+)*$/.test(zone) || !IANAZone.isValidZone(zone)) {
    return `timezone "${truncate(zone)}" is not an IANA time zone name`;
  }
  validZones.add(zone);
  return undefined;
}

/**
 * isValidZone builds an Intl.DateTimeFormat on every call (a third of a backfill's CPU time when
 * asked per stamp). Only valid names are remembered, so hostile input cannot grow the set beyond
 * the zones that exist.
 */
const validZones = new Set<string>();

/** Checks the stamp's shape and calendar validity without a zone. */
export function checkLocalStamp(stamp: unknown): string | undefined {
  const parsed = parseLocalStamp(stamp);
  return typeof parsed === 'string' ? parsed : undefined;
}

type StampParts = [year: number, month: number, day: number, hour: number, minute: number, second: number];

/** The stamp's numbers, or why it is not a real local time (shape and calendar; no zone). */
function parseLocalStamp(stamp: unknown): StampParts | string {
  if (typeof stamp !== 'string') return `stamp must be a string, got ${stamp === null ? 'null' : typeof stamp}`;
  const match = STAMP.exec(stamp);
  if (!match) return `stamp "${truncate(stamp)}" is not "YYYY-MM-DD HH:mm:ss" local time`;
  const parts: StampParts = [+match[1]!, +match[2]!, +match[3]!, +match[4]!, +match[5]!, +match[6]!];
  const [y, mo, d, h, mi, s] = parts;
  if (h > 23 || mi > 59 || s > 59) return `stamp "${stamp}" has an impossible time of day`;
  if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return `stamp "${stamp}" is not a real calendar date`;
  return parts;
}

/**
 * Resolves one local stamp in a zone. `notBefore` (epoch seconds) is used for end stamps: an
 * overlap reading that would precede the start takes the later instant instead.
 */
export function resolveLocalStamp(stamp: unknown, zone: unknown, notBefore?: number, reading: StampReading = 'local'): ResolveResult {
  const result = resolveStamp(stamp, zone, notBefore, reading);
  // A year-9999 stamp (an "open end" sentinel, say) west of UTC lands in year 10000, which no ISO
  // timestamp text holds: rejected here with a reason rather than failing its window's COPY.
  if (result.ok && result.value.epochSeconds >= FIRST_EPOCH_SECOND_OF_YEAR_10000) {
    return { ok: false, reason: `stamp "${String(stamp)}" in ${String(zone)} falls in the year 10000 or later in UTC, which cannot be stored` };
  }
  return result;
}

const FIRST_EPOCH_SECOND_OF_YEAR_10000 = Date.UTC(10000, 0, 1) / 1000;

function resolveStamp(stamp: unknown, zone: unknown, notBefore: number | undefined, reading: StampReading): ResolveResult {
  const zoneProblem = checkZone(zone);
  if (zoneProblem) return { ok: false, reason: zoneProblem };
  const parts = parseLocalStamp(stamp);
  if (typeof parts === 'string') return { ok: false, reason: parts };
  const text = stamp as string;
  // fromObject (below) avoids re-parsing a format per stamp.
  const [year, month, day, hour, minute, second] = parts;
  if (reading === 'utc') {
    const inZone = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: 'UTC' }).setZone(cachedZone(zone as string));
    if (inZone.year > 9999) return { ok: false, reason: `stamp "${text}" falls in the year 10000 or later in ${String(zone)}, which cannot be stored` };
    const local = inZone.toFormat("yyyy-MM-dd'T'HH:mm:ss");
    return { ok: true, value: instant(inZone, local.slice(0, 10), 'exact', local) };
  }
  const localDate = text.slice(0, 10);
  const local = localTimestamp(text);
  const wallMs = Date.UTC(year, month - 1, day, hour, minute, second);
  const steady = cachedZone(zone as string).steadyOffsetAround(wallMs);
  if (steady !== undefined) {
    const millis = wallMs - steady * 60_000;
    return { ok: true, value: { utc: utcText(millis), epochSeconds: millis / 1000, localDate, local, resolution: 'exact' } };
  }
  // Within a day of an offset change: luxon reads it, and says whether it is in a gap or an overlap.
  const parsed = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone: cachedZone(zone as string) });
  if (!parsed.isValid) return { ok: false, reason: `stamp "${text}" could not be read in ${String(zone)}: ${parsed.invalidReason}` };

  if (parsed.second !== second || parsed.minute !== minute || parsed.hour !== hour || parsed.day !== day) {
    // luxon moved the wall-clock time forward: it fell into a gap (DST, or an odd-seconds zone change).
    return { ok: true, value: instant(parsed, localDate, 'gap', local) };
  }
  const candidates = parsed.getPossibleOffsets().sort((a, b) => a.toMillis() - b.toMillis());
  if (candidates.length > 1) {
    const earlier = candidates[0]!;
    const later = candidates[candidates.length - 1]!;
    const chosen = notBefore !== undefined && earlier.toSeconds() < notBefore ? later : earlier;
    return { ok: true, value: instant(chosen, localDate, 'overlap', local) };
  }
  return { ok: true, value: instant(parsed, localDate, 'exact', local) };
}

function instant(dateTime: DateTime, localDate: string, resolution: Resolution, local: string): ResolvedInstant {
  const millis = dateTime.toMillis();
  return {
    utc: utcText(millis),
    epochSeconds: Math.round(millis / 1000),
    localDate,
    local,
    resolution,
  };
}

export interface ResolvedInterval {
  start: ResolvedInstant;
  end: ResolvedInstant | null;
  durationSeconds: number | null;
  flags: string[];
}

export type IntervalResult = { ok: true; value: ResolvedInterval } | { ok: false; reason: string };

export const LONG_SESSION_SECONDS = 48 * 3600;

/**
 * Resolves a start/end pair. A null end means "still open" (clocked in, lunch in progress); so does
 * an empty or zero-date end, flagged `end_open_sentinel`.
 * An end before the start is rejected; zero-length and over-48-hour intervals load with a flag.
 */
export function resolveInterval(startStamp: unknown, endStamp: unknown, zone: unknown, reading: StampReading = 'local'): IntervalResult {
  const start = resolveLocalStamp(startStamp, zone, undefined, reading);
  if (!start.ok) return { ok: false, reason: `startDate: ${start.reason}` };
  const flags: string[] = [];
  if (start.value.resolution === 'gap') flags.push('start_in_dst_gap');
  if (start.value.resolution === 'overlap') flags.push('start_in_dst_overlap');
  if (endStamp === null || endStamp === undefined) {
    return { ok: true, value: { start: start.value, end: null, durationSeconds: null, flags } };
  }
  const end = resolveLocalStamp(endStamp, zone, start.value.epochSeconds, reading);
  if (!end.ok) {
    if (!isOpenEndSentinel(endStamp)) return { ok: false, reason: `endDate: ${end.reason}` };
    flags.push('end_open_sentinel');
    return { ok: true, value: { start: start.value, end: null, durationSeconds: null, flags } };
  }
  if (end.value.resolution === 'gap') flags.push('end_in_dst_gap');
  if (end.value.resolution === 'overlap') flags.push('end_in_dst_overlap');
  const durationSeconds = end.value.epochSeconds - start.value.epochSeconds;
  if (durationSeconds < 0) {
    return { ok: false, reason: `endDate ${String(endStamp)} is before startDate ${String(startStamp)}` };
  }
  if (durationSeconds === 0) flags.push('zero_length');
  if (durationSeconds > LONG_SESSION_SECONDS) flags.push('over_48h');
  return { ok: true, value: { start: start.value, end: end.value, durationSeconds, flags } };
}

/**
 * An end that PHP/MySQL back ends send for "not yet" instead of null: an empty string or the zero
 * date. Read as an open end (counted as nothing until it closes), flagged, rather than costing the
 * session: the document does not say how an open end is sent. A zero-date *start* is still rejected.
 */
function isOpenEndSentinel(stamp: unknown): boolean {
  return typeof stamp === 'string' && /^\s*(0000-00-00( 00:00:00)?)?\s*$/.test(stamp);
}

const DAY_MS = 86_400_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, n) => String(n).padStart(2, '0'));
/** The last day utcText formatted ("YYYY-MM-DDT"): an answer's stamps come day by day, and a Date per stamp was 4 % of a backfill's CPU time. */
let lastDay = Number.NaN;
let lastDayText = '';

/** The instant as ISO text in UTC; stamps have whole seconds, so it never carries milliseconds. */
function utcText(millis: number): string {
  if (millis % 1000 !== 0) return `${new Date(millis).toISOString().slice(0, 19)}Z`;
  const day = Math.floor(millis / DAY_MS);
  if (day !== lastDay) {
    lastDayText = new Date(day * DAY_MS).toISOString().slice(0, 11);
    lastDay = day;
  }
  const seconds = (millis - day * DAY_MS) / 1000;
  const hour = Math.floor(seconds / 3600);
  const minute = Math.floor((seconds % 3600) / 60);
  return `${lastDayText}${TWO_DIGITS[hour]}:${TWO_DIGITS[minute]}:${TWO_DIGITS[seconds % 60]}Z`;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
}

/** Postgres `timestamp without time zone` text for a local stamp (already validated). */
function localTimestamp(stamp: string): string {
  return stamp.replace(' ', 'T');
}

function truncate(text: string, length = 40): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
