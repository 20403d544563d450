/**
 * Calendar and wall-clock helpers for the TimeClock simulator.
 *
 * Glossary:
 * - date:  `YYYY-MM-DD`, a calendar day with no zone.
 * - stamp: `YYYY-MM-DD HH:mm:ss`, a local wall-clock time in some IANA zone, no offset (the wire
 *   format of TimeClock 365).
 * - epoch: milliseconds since 1970-01-01T00:00:00Z.
 *
 * Resolving a stamp to an instant (`stampToEpoch`) follows the rule the ETL uses:
 * - a stamp inside a spring-forward gap (it never existed) is shifted forward by the gap's length,
 *   i.e. read with the offset in force before the transition (Berlin 02:30 -> 03:30 CEST);
 * - a stamp inside a fall-back overlap (it existed twice) is read with the earlier offset, i.e.
 *   the first occurrence (New York 01:30 -> 01:30 EDT, not EST).
 * Luxon's own resolution of ambiguous times depends on the current date, so it is not used for
 * this; luxon only supplies the zone's offset at an instant.
 */
import { IANAZone } from 'luxon';

const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const STAMP_RE = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));
const pad4 = (n: number): string => String(n).padStart(4, '0');

/** Days since 1970-01-01 of a civil date (proleptic Gregorian; Hinnant's days_from_civil). */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** [year, month 1-12, day 1-31] of a day number (Hinnant's civil_from_days). */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a valid date string; NaN when the string is not a real calendar date. */
export function dateToDayNumber(date: string): number {
  const m = DATE_RE.exec(date);
  if (!m) return Number.NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return Number.NaN;
  return daysFromCivil(y, mo, d);
}

export function isValidDate(date: string): boolean {
  return !Number.isNaN(dateToDayNumber(date));
}

export function dayNumberToDate(day: number): string {
  const [y, m, d] = civilFromDays(day);
  return `${pad4(y)}-${pad2(m)}-${pad2(d)}`;
}

export function addDays(date: string, days: number): string {
  return dayNumberToDate(dateToDayNumber(date) + days);
}

/** 0 = Sunday ... 6 = Saturday. */
export function weekday(date: string): number {
  return (((dateToDayNumber(date) + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** The wall clock of a stamp as if it were UTC (the "naive" milliseconds); NaN when invalid. */
export function stampToNaiveMs(stamp: string): number {
  const m = STAMP_RE.exec(stamp);
  if (!m) return Number.NaN;
  const day = dateToDayNumber(`${m[1]}-${m[2]}-${m[3]}`);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (Number.isNaN(day) || h > 23 || mi > 59 || s > 59) return Number.NaN;
  return day * DAY_MS + ((h * 60 + mi) * 60 + s) * 1000;
}

export function isValidStamp(stamp: string): boolean {
  return !Number.isNaN(stampToNaiveMs(stamp));
}

export function naiveMsToStamp(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let rest = Math.floor((ms - day * DAY_MS) / 1000);
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const mi = Math.floor(rest / 60);
  return `${dayNumberToDate(day)} ${pad2(h)}:${pad2(mi)}:${pad2(rest - mi * 60)}`;
}

/** A stamp from a date and a wall-clock time given in seconds after midnight (may exceed a day). */
export function wallStamp(date: string, secondsAfterMidnight: number): string {
  return naiveMsToStamp(dateToDayNumber(date) * DAY_MS + secondsAfterMidnight * 1000);
}

// ---- zone offsets: cached per zone and UTC day when constant over that day, else per 15-minute
// bucket (every real transition falls on a quarter hour) ----

const BUCKET_MS = 15 * 60 * 1000;
interface ZoneEntry {
  zone: IANAZone;
  /** UTC day -> the offset all day, or NaN when the offset changes that day. */
  days: Map<number, number>;
  cache: Map<number, number>;
}
const zones = new Map<string, ZoneEntry>();

function zoneEntry(zone: string): ZoneEntry {
  let entry = zones.get(zone);
  if (!entry) {
    const z = IANAZone.create(zone);
    if (!z.isValid) throw new Error(`unknown IANA zone: ${zone}`);
    entry = { zone: z, days: new Map(), cache: new Map() };
    zones.set(zone, entry);
  }
  return entry;
}

export function isValidZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Offset of the zone from UTC in minutes at an instant. */
export function offsetMinutes(zone: string, epochMs: number): number {
  const entry = zoneEntry(zone);
  const day = Math.floor(epochMs / DAY_MS);
  let constant = entry.days.get(day);
  if (constant === undefined) {
    const first = entry.zone.offset(day * DAY_MS);
    const last = entry.zone.offset(day * DAY_MS + DAY_MS - 1000);
    // Two transitions within one UTC day that cancel out do not occur in real zones.
    constant = first === last ? first : Number.NaN;
    if (entry.days.size > 100_000) entry.days.clear();
    entry.days.set(day, constant);
  }
  if (!Number.isNaN(constant)) return constant;
  const bucket = Math.floor(epochMs / BUCKET_MS);
  let offset = entry.cache.get(bucket);
  if (offset === undefined) {
    offset = entry.zone.offset(bucket * BUCKET_MS);
    if (entry.cache.size > 200_000) entry.cache.clear();
    entry.cache.set(bucket, offset);
  }
  return offset;
}

/** Resolves a naive wall-clock time in a zone to an instant (gap: shift forward; overlap: earlier offset). */
export function naiveToEpoch(naiveMs: number, zone: string): number {
  const before = offsetMinutes(zone, naiveMs - DAY_MS);
  const after = offsetMinutes(zone, naiveMs + DAY_MS);
  const candidates = before === after ? [before] : [before, after];
  let best: number | undefined;
  for (const offset of candidates) {
    const epoch = naiveMs - offset * 60_000;
    if (offsetMinutes(zone, epoch) === offset && (best === undefined || epoch < best)) best = epoch; // earlier wins
  }
  if (best !== undefined) return best;
  // No offset reproduces the wall clock: the stamp is in a gap. Read it with the offset in force
  // before the transition, which lands after the transition, shifted forward by the gap.
  return naiveMs - before * 60_000;
}

export function stampToEpoch(stamp: string, zone: string): number {
  const naive = stampToNaiveMs(stamp);
  if (Number.isNaN(naive)) throw new Error(`invalid stamp: ${stamp}`);
  return naiveToEpoch(naive, zone);
}

export function epochToStamp(epochMs: number, zone: string): string {
  return naiveMsToStamp(epochMs + offsetMinutes(zone, epochMs) * 60_000);
}

/** Real elapsed seconds between two stamps in one zone (the rule above). */
export function elapsedSeconds(startStamp: string, endStamp: string, zone: string): number {
  return Math.round((stampToEpoch(endStamp, zone) - stampToEpoch(startStamp, zone)) / 1000);
}

/** The stamp `seconds` of real time after `stamp`. */
export function addSecondsToStamp(stamp: string, seconds: number, zone: string): string {
  return epochToStamp(stampToEpoch(stamp, zone) + seconds * 1000, zone);
}

// ---- DST transitions ----

export interface DstTransition {
  /** The local day of the transition. */
  date: string;
  kind: 'gap' | 'overlap';
  /** The instant of the transition. */
  epochMs: number;
  /** First wall-clock stamp of the gap (never existed) or of the overlap (existed twice). */
  fromStamp: string;
  /** Length of the gap or overlap in seconds. */
  seconds: number;
  /** A stamp in the middle of the gap or overlap (e.g. 02:30:00 for Berlin's spring gap). */
  midStamp: string;
}

const transitionCache = new Map<string, DstTransition[]>();

/** The zone's offset transitions within a calendar year, found by scanning and bisecting. */
export function dstTransitions(zone: string, year: number): DstTransition[] {
  const key = `${zone}|${year}`;
  const cached = transitionCache.get(key);
  if (cached) return cached;
  const found: DstTransition[] = [];
  const entry = zoneEntry(zone);
  const start = Date.UTC(year, 0, 1) - DAY_MS;
  const end = Date.UTC(year + 1, 0, 1) + DAY_MS;
  const STEP = 6 * 3600_000;
  for (let t = start; t < end; t += STEP) {
    const o1 = entry.zone.offset(t);
    const o2 = entry.zone.offset(t + STEP);
    if (o1 === o2) continue;
    let lo = t;
    let hi = t + STEP; // offset(lo) = o1, offset(hi) = o2
    while (hi - lo > 1000) {
      const mid = Math.floor((lo + hi) / 2 / 1000) * 1000;
      if (mid <= lo || mid >= hi) break;
      if (entry.zone.offset(mid) === o1) lo = mid;
      else hi = mid;
    }
    const at = hi;
    const seconds = Math.abs(o2 - o1) * 60;
    // gap: wall clock jumps from (at in o1) forward; overlap: wall clock repeats from (at in o2).
    const kind = o2 > o1 ? 'gap' : 'overlap';
    const fromNaive = at + (kind === 'gap' ? o1 : o2) * 60_000;
    const fromStamp = naiveMsToStamp(fromNaive);
    const date = fromStamp.slice(0, 10);
    if (Number(date.slice(0, 4)) !== year) continue;
    found.push({ date, kind, epochMs: at, fromStamp, seconds, midStamp: naiveMsToStamp(fromNaive + (seconds / 2) * 1000) });
  }
  transitionCache.set(key, found);
  return found;
}
