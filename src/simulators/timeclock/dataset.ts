/**
 * The TimeClock 365 simulator's data: a seeded, deterministic, lazily computed attendance history
 * plus a small mutation overlay.
 *
 * Rules (also the contract tests and other simulators rely on):
 * - A person's day is a pure function of (seed, employeeNumber, local date): nothing is stored
 *   until a mutation is made, so 2,000 people x 365 days costs no memory.
 * - Window rule: a session (with its lunches and work logs) belongs to the local date its START
 *   stamp falls on, in the session's own zone. Generated sessions of a day all start on that day;
 *   a night shift (22:00 -> 06:30) belongs to the evening it started.
 * - Workdays: Asia/Jerusalem works Sunday-Thursday, every other zone Monday-Friday. Expected time
 *   is 8 h per workday (6 h for part-timers, every 9th employee number), 0 on other days and
 *   outside the employment period.
 * - Night workers: employee numbers with `n % 7 === 6` (1007, 1014, 1021, ...).
 * - Leavers: `n % 17 === 10` (1013, 1030, ...) have `workEndedAt` 2025-06-30 and nothing after it.
 *   Everyone's `workStartedAt` is before 2023-07.
 * - Absences (about 4 % of workdays) are session rows with `absence` set; the wire shows them only
 *   in `extended-sessions` (`isAbsence: true`, `duration` = that day's expected seconds).
 * - Nothing is generated after `today` (in the person's zone). On `today`, the day's last
 *   non-absence session is open: `endDate`, `endSourceType`, `endDateSentAt`, `endNote` are null
 *   and it has no lunches or work logs yet (the person has just clocked in).
 * - DST plants: in every year, for each zone, the first two day workers of that zone (see
 *   `planters`) get sessions with stamps inside the zone's spring-forward gap and fall-back overlap
 *   (see `dstPlants`). Stamps are resolved to instants by the rule in `time.ts`: gap -> shifted
 *   forward, overlap -> earlier offset. `duration` is real elapsed seconds under that rule.
 * - Mutations (edit/delete/add) are keyed by (employeeNumber, local start stamp), the natural key
 *   of a TimeClock session (the API has no session ids).
 */
import { DateTime } from 'luxon';
import { seededRandom } from '../faults.ts';
import { makePeopleWithGender, type AttendanceSource, type SimPerson } from '../people.ts';
import {
  addDays,
  dateToDayNumber,
  dayNumberToDate,
  dstTransitions,
  elapsedSeconds,
  epochToStamp,
  isValidDate,
  isValidStamp,
  isValidZone,
  stampToEpoch,
  wallStamp,
  weekday,
} from './time.ts';

export type SourceType = 'web' | 'phone' | 'kiosk';
export type LocationType = 'office' | 'home' | 'field';
export const SOURCE_TYPES: readonly SourceType[] = ['web', 'phone', 'kiosk'];
export const LOCATION_TYPES: readonly LocationType[] = ['office', 'home', 'field'];

export interface SimLunch {
  startDate: string;
  endDate: string;
  startSourceType: SourceType;
  endSourceType: SourceType;
}

export interface SimWorkLog {
  name: string;
  externalId: string;
  startDate: string;
  endDate: string;
  startSourceType: SourceType;
  endSourceType: SourceType;
}

export interface SimAbsence {
  name: string;
  note: string | null;
  approvedDate: string | null;
  approvedManager: string | null;
  codeDays: string | null;
  /** Wire name `absenceCodeHors` (sic). */
  codeHours: string | null;
}

export interface SimSession {
  /** Local start stamp `YYYY-MM-DD HH:mm:ss`: with the employee number, the session's key. */
  startDate: string;
  /** Null while the session is open. */
  endDate: string | null;
  timezone: string;
  locationType: LocationType;
  startSourceType: SourceType;
  endSourceType: SourceType | null;
  startDateSentAt: string;
  endDateSentAt: string | null;
  startNote: string | null;
  endNote: string | null;
  lunches: SimLunch[];
  workLogs: SimWorkLog[];
  /** Set for absence rows (extended-sessions only). */
  absence: SimAbsence | null;
}

/** Any field may change; changing `startDate` deletes the session and adds the edited one. */
export type SessionPatch = Partial<SimSession>;
/** `startDate` is required; the rest defaults (zone: the person's; endDate: null = open). */
export type SessionInput = Partial<SimSession> & { startDate: string };

export interface TruthSession extends SimSession {
  employeeNumber: number;
  email: string;
  /** Local date of the start stamp: the day the window rule files the session under. */
  localDate: string;
  /** Real elapsed seconds (null when open); for absences the day's expected seconds. */
  duration: number | null;
}

export interface EmployeeProfile {
  id: number;
  employeeNumber: number;
  email: string;
  firstName: string;
  lastName: string;
  timezone: string;
  passport: string;
  groups: string[];
  workStartedAt: string;
  workEndedAt: string | null;
  birthday: string;
  gender: 'female' | 'male';
  nightShift: boolean;
  expectedSecondsPerWorkday: number;
  /** 0 = Sunday ... 6 = Saturday. */
  workdays: number[];
}

export interface DstPlant {
  employeeNumber: number;
  timezone: string;
  /** Which stamp of the session is inside the gap/overlap. */
  kind: 'start-in-gap' | 'end-in-gap' | 'start-in-overlap' | 'end-in-overlap';
  /** The local date the transition happens on. */
  transitionDate: string;
  startDate: string;
  endDate: string;
  /** Real elapsed seconds under the resolution rule. */
  duration: number;
}

export interface DayOfSessions {
  date: string;
  sessions: SimSession[];
}

export interface EmployeeWindow {
  person: SimPerson;
  profile: EmployeeProfile;
  /** Every date of the window, in order, with that date's sessions (after mutations). */
  days: DayOfSessions[];
}

export interface TimeclockDatasetOptions {
  seed?: number;
  employees?: number;
  /** `YYYY-MM-DD`; default: the real current date in each person's zone. */
  today?: string;
}

export class SimDatasetError extends Error {
  readonly code: 'not-found' | 'conflict' | 'invalid';
  constructor(code: 'not-found' | 'conflict' | 'invalid', message: string) {
    super(message);
    this.name = 'SimDatasetError';
    this.code = code;
  }
}

// ---- deterministic randomness ----

function hash32(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    h = Math.imul(h ^ (part >>> 0), 0x01000193);
    h ^= h >>> 13;
    h = Math.imul(h, 0x5bd1e995);
    h ^= h >>> 15;
  }
  return h >>> 0;
}

class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = seededRandom(seed);
  }
  float(): number {
    return this.next();
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    const item = list[Math.floor(this.next() * list.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }
}

// ---- vocabularies ----

const WORK_LOG_NAMES = [
  'Code review',
  'Customer call',
  'Sprint planning',
  'Deployment',
  'Inventory count',
  'Site visit',
  'Documentation',
  'Bug triage',
  'Onboarding session',
  'Quarterly report',
  'Support tickets',
  'Warehouse shift',
];
const EXTERNAL_PREFIXES = ['DR', 'OPS', 'SUP', 'FIN'];
const START_NOTES = [
  'Traffic on the way in',
  'Started early for the release',
  'Client visit – "Müller GmbH"',
  'עבודה מהבית',
  'Kiosk was offline, clocked in on the phone',
  'Doctor appointment in the morning',
];
const END_NOTES = ['Left early, will make up tomorrow', 'Stayed for the deploy', 'Forgot to clock out at 17:00 ✔', 'Handover to night shift'];
const GROUPS = ['Engineering', 'Support', 'Sales', 'Operations', 'Finance'];
/** Every group a profile can hold, in a fixed order: its position gives the group a stable id. */
export const GROUP_NAMES = [...GROUPS, 'Night shift'] as const;
const MANAGERS: Record<string, readonly string[]> = {
  'Asia/Jerusalem': ['Miriam Levi', 'אבי כהן'],
  'Europe/Berlin': ['Katrin Vogel', 'Jürgen Bauer'],
  'America/New_York': ['Laura Bennett', 'Marcus Reed'],
  'Europe/London': ['Fiona Campbell', 'Graham Price'],
};
const DEFAULT_MANAGERS = ['Alex Morgan'];

interface AbsenceKind {
  name: string;
  codeDays: string | null;
  codeHours: string | null;
  notes: readonly (string | null)[];
  /** Days between approval and the absence (0 = approved on the day). */
  approvalLeadDays: [number, number];
}
const VACATION: AbsenceKind = { name: 'Vacation', codeDays: '102', codeHours: '202', notes: [null, null, 'Family trip', 'Long weekend'], approvalLeadDays: [3, 21] };
const SICK: AbsenceKind = { name: 'Sick leave', codeDays: '103', codeHours: '203', notes: [null, "Doctor's note received", 'Flu'], approvalLeadDays: [0, 0] };
const TRAINING: AbsenceKind = { name: 'Training', codeDays: null, codeHours: null, notes: ['Fire safety course', 'Conference'], approvalLeadDays: [7, 30] };
const RESERVE: AbsenceKind = { name: 'Reserve duty', codeDays: '107', codeHours: '207', notes: [null, 'צו 8'], approvalLeadDays: [0, 2] };

const HOUR = 3600;

function sourceType(rng: Rng): SourceType {
  const x = rng.float();
  return x < 0.6 ? 'web' : x < 0.9 ? 'phone' : 'kiosk';
}

function locationType(rng: Rng, night: boolean): LocationType {
  const x = rng.float();
  if (night) return x < 0.8 ? 'office' : 'field';
  return x < 0.65 ? 'office' : x < 0.9 ? 'home' : 'field';
}

function clone(session: SimSession): SimSession {
  return {
    ...session,
    lunches: session.lunches.map((l) => ({ ...l })),
    workLogs: session.workLogs.map((w) => ({ ...w })),
    absence: session.absence ? { ...session.absence } : null,
  };
}

export class TimeclockDataset implements AttendanceSource {
  readonly seed: number;
  readonly people: SimPerson[];
  private readonly fixedToday: string | undefined;
  private readonly byNumber = new Map<number, SimPerson & { gender: 'female' | 'male' }>();
  private readonly profiles = new Map<number, EmployeeProfile>();
  /** zone -> [planter A, planter B] (employee numbers). */
  private readonly planterByZone = new Map<string, number[]>();
  private readonly deleted = new Map<number, Set<string>>();
  private readonly edits = new Map<number, Map<string, SessionPatch>>();
  private readonly added = new Map<number, Map<string, SimSession[]>>();
  private readonly todayCache = new Map<string, { at: number; date: string }>();

  constructor(options: TimeclockDatasetOptions = {}) {
    this.seed = options.seed ?? 42;
    const count = options.employees ?? 40;
    if (options.today !== undefined && !isValidDate(options.today)) throw new Error(`today must be YYYY-MM-DD, got ${options.today}`);
    this.fixedToday = options.today;
    const people = makePeopleWithGender(count, this.seed);
    this.people = people.map(({ gender: _g, ...p }) => p);
    for (const p of people) this.byNumber.set(p.employeeNumber, p);
    for (const p of people) {
      if (isNightWorker(p.employeeNumber) || isLeaver(p.employeeNumber)) continue;
      const list = this.planterByZone.get(p.timezone) ?? [];
      if (list.length < 2) list.push(p.employeeNumber);
      this.planterByZone.set(p.timezone, list);
    }
  }

  // ---- people ----

  person(employeeNumber: number): SimPerson | undefined {
    const p = this.byNumber.get(employeeNumber);
    if (!p) return undefined;
    const { gender: _g, ...person } = p;
    return person;
  }

  profile(employeeNumber: number): EmployeeProfile {
    const cached = this.profiles.get(employeeNumber);
    if (cached) return cached;
    const p = this.byNumber.get(employeeNumber);
    if (!p) throw new SimDatasetError('not-found', `no employee ${employeeNumber}`);
    const rng = new Rng(hash32(this.seed, employeeNumber, 0x9e3779b9));
    const id = 20000 + employeeNumber;
    const asciiFirst = p.email.split('.')[0] ?? 'emp';
    const night = isNightWorker(employeeNumber);
    const groups = rng.chance(0.1) ? [] : [rng.pick(GROUPS)];
    if (night) groups.push('Night shift');
    const profile: EmployeeProfile = {
      id,
      employeeNumber,
      email: p.email,
      firstName: p.firstName,
      lastName: p.lastName,
      timezone: p.timezone,
      passport: `${asciiFirst.charAt(0).toUpperCase()}${asciiFirst.slice(1)}${id}`,
      groups,
      // Everyone started before 2023-07: the whole of 2024 onwards is inside employment.
      workStartedAt: dayNumberToDate(dateToDayNumber('2010-01-01') + rng.int(0, 4927)),
      workEndedAt: isLeaver(employeeNumber) ? LEAVERS_LAST_DAY : null,
      birthday: dayNumberToDate(dateToDayNumber('1960-01-01') + rng.int(0, 16000)),
      gender: p.gender,
      nightShift: night,
      expectedSecondsPerWorkday: employeeNumber % 9 === 0 ? 6 * HOUR : 8 * HOUR,
      workdays: p.timezone === 'Asia/Jerusalem' ? [0, 1, 2, 3, 4] : [1, 2, 3, 4, 5],
    };
    this.profiles.set(employeeNumber, profile);
    return profile;
  }

  /** The local "today" of a zone: the fixed option, or the real date there. */
  todayFor(zone: string): string {
    if (this.fixedToday) return this.fixedToday;
    const now = Date.now();
    const cached = this.todayCache.get(zone);
    if (cached && now - cached.at < 1000) return cached.date;
    const date = DateTime.fromMillis(now, { zone }).toISODate() ?? new Date(now).toISOString().slice(0, 10);
    this.todayCache.set(zone, { at: now, date });
    return date;
  }

  /** Employee numbers of the DST planters per zone: [A, B] (the first two day workers there). */
  planters(): Record<string, number[]> {
    return Object.fromEntries(this.planterByZone);
  }

  expectedSecondsOn(employeeNumber: number, date: string): number {
    if (!this.byNumber.has(employeeNumber)) return 0;
    const profile = this.profile(employeeNumber);
    if (!this.employedOn(profile, date)) return 0;
    return profile.workdays.includes(weekday(date)) ? profile.expectedSecondsPerWorkday : 0;
  }

  // ---- sessions ----

  /** The sessions starting on a local date, after mutations, sorted by start. */
  sessionsOn(employeeNumber: number, date: string): SimSession[] {
    const person = this.byNumber.get(employeeNumber);
    if (!person) return [];
    const deleted = this.deleted.get(employeeNumber);
    const edits = this.edits.get(employeeNumber);
    const result: SimSession[] = [];
    for (const session of this.generatedDay(employeeNumber, date)) {
      if (deleted?.has(session.startDate)) continue;
      const patch = edits?.get(session.startDate);
      result.push(patch ? clone({ ...session, ...patch }) : session);
    }
    const extra = this.added.get(employeeNumber)?.get(date);
    if (extra) result.push(...extra.map(clone));
    if (extra || edits) result.sort((a, b) => (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : 0));
    return result;
  }

  /** Seconds of a session on the wire: elapsed (null when open); absences: the day's expected seconds. */
  durationOf(employeeNumber: number, session: SimSession): number | null {
    if (session.absence) return this.expectedSecondsOn(employeeNumber, session.startDate.slice(0, 10));
    if (session.endDate === null) return null;
    return elapsedSeconds(session.startDate, session.endDate, session.timezone);
  }

  netSecondsOn(employeeNumber: number, localDate: string): number {
    let total = 0;
    for (const s of this.sessionsOn(employeeNumber, localDate)) {
      if (s.absence || s.endDate === null) continue;
      total += elapsedSeconds(s.startDate, s.endDate, s.timezone);
      for (const l of s.lunches) total -= elapsedSeconds(l.startDate, l.endDate, s.timezone);
    }
    return total;
  }

  /** Lazily, person by person: every date of [startDate, endDate] with its sessions. */
  *employeesInWindow(startDate: string, endDate: string): Generator<EmployeeWindow> {
    const from = dateToDayNumber(startDate);
    const to = dateToDayNumber(endDate);
    if (Number.isNaN(from) || Number.isNaN(to)) throw new SimDatasetError('invalid', `invalid window ${startDate}..${endDate}`);
    for (const person of this.people) {
      const days: DayOfSessions[] = [];
      for (let d = from; d <= to; d += 1) {
        const date = dayNumberToDate(d);
        days.push({ date, sessions: this.sessionsOn(person.employeeNumber, date) });
      }
      yield { person, profile: this.profile(person.employeeNumber), days };
    }
  }

  /** The flattened truth of a window (absences included, `absence` set): for tests. */
  sessionsInWindow(startDate: string, endDate: string): TruthSession[] {
    const out: TruthSession[] = [];
    for (const { person, days } of this.employeesInWindow(startDate, endDate)) {
      for (const { date, sessions } of days) {
        for (const s of sessions) {
          out.push({ ...clone(s), employeeNumber: person.employeeNumber, email: person.email, localDate: date, duration: this.durationOf(person.employeeNumber, s) });
        }
      }
    }
    return out;
  }

  /** The sessions planted on DST transitions of a year (as generated, before mutations and the today rule). */
  dstPlants(year: number): DstPlant[] {
    const out: DstPlant[] = [];
    for (const [zone, planters] of this.planterByZone) {
      for (const t of dstTransitions(zone, year)) {
        for (const employeeNumber of planters) {
          for (const date of [addDays(t.date, -1), t.date]) {
            const plant = this.plantFor(employeeNumber, zone, date);
            if (!plant) continue;
            out.push({ employeeNumber, timezone: zone, kind: plant.kind, transitionDate: t.date, startDate: plant.start, endDate: plant.end, duration: elapsedSeconds(plant.start, plant.end, zone) });
          }
        }
      }
    }
    return out.sort((a, b) => (a.startDate < b.startDate ? -1 : a.startDate > b.startDate ? 1 : a.employeeNumber - b.employeeNumber));
  }

  // ---- mutations ----

  editSession(employeeNumber: number, localStartStamp: string, patch: SessionPatch): SimSession {
    this.requirePerson(employeeNumber);
    const date = localStartStamp.slice(0, 10);
    const existing = this.sessionsOn(employeeNumber, date).find((s) => s.startDate === localStartStamp);
    if (!existing) throw new SimDatasetError('not-found', `no session of ${employeeNumber} starting ${localStartStamp}`);
    const merged = validateSession({ ...clone(existing), ...stripUndefined(patch) });
    if (merged.startDate !== localStartStamp) {
      if (this.sessionsOn(employeeNumber, merged.startDate.slice(0, 10)).some((s) => s.startDate === merged.startDate)) {
        throw new SimDatasetError('conflict', `${employeeNumber} already has a session starting ${merged.startDate}`);
      }
      this.deleteSession(employeeNumber, localStartStamp);
      return this.storeAdded(employeeNumber, merged);
    }
    const addedList = this.added.get(employeeNumber)?.get(date);
    const index = addedList?.findIndex((s) => s.startDate === localStartStamp) ?? -1;
    if (addedList && index >= 0) {
      addedList[index] = merged;
    } else {
      const perPerson = this.edits.get(employeeNumber) ?? new Map<string, SessionPatch>();
      perPerson.set(localStartStamp, { ...(perPerson.get(localStartStamp) ?? {}), ...clonePatch(stripUndefined(patch)) });
      this.edits.set(employeeNumber, perPerson);
    }
    return clone(merged);
  }

  deleteSession(employeeNumber: number, localStartStamp: string): SimSession {
    this.requirePerson(employeeNumber);
    const date = localStartStamp.slice(0, 10);
    const addedList = this.added.get(employeeNumber)?.get(date);
    const index = addedList?.findIndex((s) => s.startDate === localStartStamp) ?? -1;
    if (addedList && index >= 0) {
      const [removed] = addedList.splice(index, 1);
      if (removed) return removed;
    }
    const generated = this.sessionsOn(employeeNumber, date).find((s) => s.startDate === localStartStamp);
    if (!generated) throw new SimDatasetError('not-found', `no session of ${employeeNumber} starting ${localStartStamp}`);
    const set = this.deleted.get(employeeNumber) ?? new Set<string>();
    set.add(localStartStamp);
    this.deleted.set(employeeNumber, set);
    this.edits.get(employeeNumber)?.delete(localStartStamp);
    return generated;
  }

  addSession(employeeNumber: number, input: SessionInput): SimSession {
    const person = this.requirePerson(employeeNumber);
    const defaults: SimSession = {
      startDate: input.startDate,
      endDate: null,
      timezone: person.timezone,
      locationType: 'office',
      startSourceType: 'web',
      endSourceType: input.endDate ? 'web' : null,
      startDateSentAt: input.startDate,
      endDateSentAt: input.endDate ?? null,
      startNote: null,
      endNote: null,
      lunches: [],
      workLogs: [],
      absence: null,
    };
    const session = validateSession({ ...defaults, ...stripUndefined(input) });
    if (this.sessionsOn(employeeNumber, session.startDate.slice(0, 10)).some((s) => s.startDate === session.startDate)) {
      throw new SimDatasetError('conflict', `${employeeNumber} already has a session starting ${session.startDate}`);
    }
    return this.storeAdded(employeeNumber, session);
  }

  private storeAdded(employeeNumber: number, session: SimSession): SimSession {
    const perPerson = this.added.get(employeeNumber) ?? new Map<string, SimSession[]>();
    const date = session.startDate.slice(0, 10);
    const list = perPerson.get(date) ?? [];
    list.push(clone(session));
    perPerson.set(date, list);
    this.added.set(employeeNumber, perPerson);
    return clone(session);
  }

  private requirePerson(employeeNumber: number): SimPerson {
    const p = this.byNumber.get(employeeNumber);
    if (!p) throw new SimDatasetError('not-found', `no employee ${employeeNumber}`);
    return p;
  }

  private employedOn(profile: EmployeeProfile, date: string): boolean {
    return date >= profile.workStartedAt && (profile.workEndedAt === null || date <= profile.workEndedAt);
  }

  // ---- generation ----

  /** The sessions a person started on a local date, before mutations: a pure function of (seed, person, date, today). */
  private generatedDay(employeeNumber: number, date: string): SimSession[] {
    const profile = this.profile(employeeNumber);
    const zone = profile.timezone;
    if (!this.employedOn(profile, date)) return [];
    const today = this.todayFor(zone);
    if (date > today) return [];
    const dayNumber = dateToDayNumber(date);
    const rng = new Rng(hash32(this.seed, employeeNumber, dayNumber));
    const plant = this.plantFor(employeeNumber, zone, date);
    let sessions: SimSession[];
    if (plant) {
      const len = elapsedSeconds(plant.start, plant.end, zone);
      sessions = [this.makeSession(rng, profile, plant.start, plant.end, { lunch: len >= 5 * HOUR })];
    } else {
      sessions = this.generateOrdinaryDay(rng, profile, date);
    }
    if (date === today) {
      for (let i = sessions.length - 1; i >= 0; i -= 1) {
        const s = sessions[i];
        if (!s || s.absence) continue;
        sessions[i] = { ...s, endDate: null, endSourceType: null, endDateSentAt: null, endNote: null, lunches: [], workLogs: [] };
        break;
      }
    }
    return sessions;
  }

  private generateOrdinaryDay(rng: Rng, profile: EmployeeProfile, date: string): SimSession[] {
    const zone = profile.timezone;
    const expected = profile.expectedSecondsPerWorkday;
    const workday = profile.workdays.includes(weekday(date));
    if (!workday) {
      // Now and then someone works a few hours on a day off (expected 0, worked > 0).
      if (!rng.chance(0.03)) return [];
      const start = wallStamp(date, 10 * HOUR + rng.int(0, 3600));
      return [this.makeSession(rng, profile, start, this.after(start, rng.int(3 * HOUR, 5 * HOUR), zone), { lunch: false })];
    }
    if (rng.chance(0.04)) return [this.makeAbsence(rng, profile, date)];
    if (profile.nightShift) {
      const start = wallStamp(date, 22 * HOUR + rng.int(0, 600));
      const end = wallStamp(addDays(date, 1), 6 * HOUR + 25 * 60 + rng.int(0, 900));
      return [this.makeSession(rng, profile, start, end, { lunch: true })];
    }
    if (rng.chance(0.08)) {
      // Split day: two sessions, the break between them instead of a lunch.
      const first = wallStamp(date, 7 * HOUR + 30 * 60 + rng.int(0, 3600));
      const firstEnd = this.after(first, Math.round(expected / 2) + rng.int(-1800, 1800), zone);
      const second = this.after(firstEnd, rng.int(1800, 5400), zone);
      const secondEnd = this.after(second, Math.round(expected / 2) + rng.int(-1800, 1800), zone);
      return [
        this.makeSession(rng, profile, first, firstEnd, { lunch: false }),
        this.makeSession(rng, profile, second, secondEnd, { lunch: false }),
      ];
    }
    const start = wallStamp(date, 7 * HOUR + 30 * 60 + rng.int(0, 5400));
    const end = this.after(start, expected + 1800 + rng.int(-1800, 2700), zone);
    return [this.makeSession(rng, profile, start, end, { lunch: true })];
  }

  private after(stamp: string, seconds: number, zone: string): string {
    return epochToStamp(stampToEpoch(stamp, zone) + seconds * 1000, zone);
  }

  private makeSession(rng: Rng, profile: EmployeeProfile, start: string, end: string, opts: { lunch: boolean }): SimSession {
    const zone = profile.timezone;
    const s = stampToEpoch(start, zone) / 1000;
    const e = stampToEpoch(end, zone) / 1000;
    const len = e - s;
    const startSource = sourceType(rng);
    const endSource = rng.chance(0.7) ? startSource : sourceType(rng);
    const segments: Array<[number, number]> = [];
    const lunches: SimLunch[] = [];
    if (opts.lunch && len >= 5 * HOUR) {
      const lunchStart = s + Math.round(len * (0.42 + rng.float() * 0.13));
      const lunchEnd = lunchStart + rng.int(20 * 60, 60 * 60);
      const lunchSource = rng.chance(0.8) ? startSource : sourceType(rng);
      lunches.push({ startDate: this.stamp(lunchStart, zone), endDate: this.stamp(lunchEnd, zone), startSourceType: lunchSource, endSourceType: lunchSource });
      segments.push([s + rng.int(60, 600), lunchStart - rng.int(60, 300)], [lunchEnd + rng.int(60, 300), e - rng.int(60, 600)]);
    } else {
      segments.push([s + rng.int(60, 600), e - rng.int(60, 600)]);
    }
    // 1-3 work logs: split the longest segment until there are enough.
    const wanted = Math.min(3, segments.length + rng.int(0, 1));
    while (segments.length < wanted) {
      let longest = 0;
      segments.forEach(([a, b], i) => {
        const best = segments[longest];
        if (best && b - a > best[1] - best[0]) longest = i;
      });
      const [a, b] = segments[longest] ?? [s, e];
      const cut = a + Math.round((b - a) * (0.35 + rng.float() * 0.3));
      segments.splice(longest, 1, [a, cut], [cut + rng.int(60, 300), b]);
    }
    const workLogs: SimWorkLog[] = segments
      .filter(([a, b]) => b > a)
      .map(([a, b]) => {
        const source = rng.chance(0.85) ? 'web' : sourceType(rng);
        return {
          name: rng.pick(WORK_LOG_NAMES),
          externalId: `${rng.pick(EXTERNAL_PREFIXES)}-${rng.int(1000, 9999)}`,
          startDate: this.stamp(a, zone),
          endDate: this.stamp(b, zone),
          startSourceType: source,
          endSourceType: source,
        };
      });
    const sentAt = (stamp: string, source: SourceType): string =>
      source !== 'web' && rng.chance(0.25) ? this.after(stamp, rng.int(5, 900), zone) : stamp;
    return {
      startDate: start,
      endDate: end,
      timezone: zone,
      locationType: locationType(rng, profile.nightShift),
      startSourceType: startSource,
      endSourceType: endSource,
      startDateSentAt: sentAt(start, startSource),
      endDateSentAt: sentAt(end, endSource),
      startNote: rng.chance(0.08) ? rng.pick(START_NOTES) : null,
      endNote: rng.chance(0.05) ? rng.pick(END_NOTES) : null,
      lunches,
      workLogs,
      absence: null,
    };
  }

  private stamp(epochSeconds: number, zone: string): string {
    return epochToStamp(epochSeconds * 1000, zone);
  }

  private makeAbsence(rng: Rng, profile: EmployeeProfile, date: string): SimSession {
    const zone = profile.timezone;
    const x = rng.float();
    const kind = x < 0.55 ? VACATION : x < 0.85 ? SICK : zone === 'Asia/Jerusalem' ? RESERVE : TRAINING;
    const start = wallStamp(date, 9 * HOUR);
    const end = wallStamp(date, 9 * HOUR + profile.expectedSecondsPerWorkday);
    const approvedOn = addDays(date, -rng.int(kind.approvalLeadDays[0], kind.approvalLeadDays[1]));
    return {
      startDate: start,
      endDate: end,
      timezone: zone,
      locationType: 'office',
      startSourceType: 'web',
      endSourceType: 'web',
      startDateSentAt: start,
      endDateSentAt: end,
      startNote: null,
      endNote: null,
      lunches: [],
      workLogs: [],
      absence: {
        name: kind.name,
        note: rng.pick(kind.notes),
        approvedDate: wallStamp(approvedOn, 8 * HOUR + rng.int(0, 2 * HOUR)),
        approvedManager: rng.pick(MANAGERS[zone] ?? DEFAULT_MANAGERS),
        codeDays: kind.codeDays,
        codeHours: kind.codeHours,
      },
    };
  }

  /**
   * DST plants. Planter A of a zone: on the spring-forward day a session STARTING in the gap
   * (gap middle, e.g. Berlin 02:30:00, until 10:00:00); on the eve of the fall-back day a night
   * shift from 22:00:00 ENDING in the overlap (e.g. New York 01:30:00). Planter B: on the eve of
   * the spring-forward day a night shift from 22:00:00 ENDING in the gap; on the fall-back day a
   * session STARTING in the overlap, until 09:00:00.
   */
  private plantFor(employeeNumber: number, zone: string, date: string): { kind: DstPlant['kind']; start: string; end: string } | undefined {
    const planters = this.planterByZone.get(zone);
    if (!planters) return undefined;
    const role = planters.indexOf(employeeNumber);
    if (role < 0) return undefined;
    const year = Number(date.slice(0, 4));
    for (const t of [...dstTransitions(zone, year), ...dstTransitions(zone, year + 1)]) {
      const eve = addDays(t.date, -1);
      if (date !== t.date && date !== eve) continue;
      const eveStart = `${eve} 22:00:00`;
      if (t.kind === 'gap') {
        if (role === 0 && date === t.date) return { kind: 'start-in-gap', start: t.midStamp, end: `${t.date} 10:00:00` };
        if (role === 1 && date === eve) return { kind: 'end-in-gap', start: eveStart, end: t.midStamp };
      } else {
        if (role === 0 && date === eve) return { kind: 'end-in-overlap', start: eveStart, end: t.midStamp };
        if (role === 1 && date === t.date) return { kind: 'start-in-overlap', start: t.midStamp, end: `${t.date} 09:00:00` };
      }
    }
    return undefined;
  }
}

export function isNightWorker(employeeNumber: number): boolean {
  return employeeNumber % 7 === 6;
}

/** Leavers (1013, 1030, 1047, ...) worked until LEAVERS_LAST_DAY: no rows and no expected time after it. */
export function isLeaver(employeeNumber: number): boolean {
  return employeeNumber % 17 === 10;
}
export const LEAVERS_LAST_DAY = '2025-06-30';

const SESSION_KEYS: ReadonlySet<string> = new Set<keyof SimSession>([
  'startDate',
  'endDate',
  'timezone',
  'locationType',
  'startSourceType',
  'endSourceType',
  'startDateSentAt',
  'endDateSentAt',
  'startNote',
  'endNote',
  'lunches',
  'workLogs',
  'absence',
]);

/** Keeps the known session fields that are not undefined (a patch from JSON may carry anything). */
function stripUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([k, v]) => v !== undefined && SESSION_KEYS.has(k))) as T;
}

function clonePatch(patch: SessionPatch): SessionPatch {
  const out: SessionPatch = { ...patch };
  if (patch.lunches) out.lunches = patch.lunches.map((l) => ({ ...l }));
  if (patch.workLogs) out.workLogs = patch.workLogs.map((w) => ({ ...w }));
  if (patch.absence) out.absence = { ...patch.absence };
  return out;
}

function invalid(message: string): never {
  throw new SimDatasetError('invalid', message);
}

/** Checks a complete session (after defaults or a patch); returns it. */
function validateSession(session: SimSession): SimSession {
  const stamp = (value: unknown, field: string, nullable = false): void => {
    if (nullable && value === null) return;
    if (typeof value !== 'string' || !isValidStamp(value)) invalid(`${field} must be a "YYYY-MM-DD HH:mm:ss" stamp, got ${JSON.stringify(value)}`);
  };
  const source = (value: unknown, field: string, nullable = false): void => {
    if (nullable && value === null) return;
    if (!SOURCE_TYPES.includes(value as SourceType)) invalid(`${field} must be one of ${SOURCE_TYPES.join(', ')}, got ${JSON.stringify(value)}`);
  };
  stamp(session.startDate, 'startDate');
  stamp(session.endDate, 'endDate', true);
  stamp(session.startDateSentAt, 'startDateSentAt');
  stamp(session.endDateSentAt, 'endDateSentAt', true);
  if (typeof session.timezone !== 'string' || !isValidZone(session.timezone)) invalid(`timezone must be an IANA zone, got ${JSON.stringify(session.timezone)}`);
  if (!LOCATION_TYPES.includes(session.locationType)) invalid(`locationType must be one of ${LOCATION_TYPES.join(', ')}`);
  source(session.startSourceType, 'startSourceType');
  source(session.endSourceType, 'endSourceType', true);
  for (const field of ['startNote', 'endNote'] as const) {
    if (session[field] !== null && typeof session[field] !== 'string') invalid(`${field} must be a string or null`);
  }
  if (session.endDate !== null && elapsedSeconds(session.startDate, session.endDate, session.timezone) < 0) invalid('endDate is before startDate');
  if (!Array.isArray(session.lunches) || !Array.isArray(session.workLogs)) invalid('lunches and workLogs must be arrays');
  session.lunches.forEach((l, i) => {
    stamp(l.startDate, `lunches[${i}].startDate`);
    stamp(l.endDate, `lunches[${i}].endDate`);
    source(l.startSourceType, `lunches[${i}].startSourceType`);
    source(l.endSourceType, `lunches[${i}].endSourceType`);
  });
  session.workLogs.forEach((w, i) => {
    stamp(w.startDate, `workLogs[${i}].startDate`);
    stamp(w.endDate, `workLogs[${i}].endDate`);
    source(w.startSourceType, `workLogs[${i}].startSourceType`);
    source(w.endSourceType, `workLogs[${i}].endSourceType`);
    if (typeof w.name !== 'string' || typeof w.externalId !== 'string') invalid(`workLogs[${i}] needs a name and an externalId`);
  });
  if (session.absence !== null && (typeof session.absence !== 'object' || typeof session.absence.name !== 'string')) invalid('absence must be null or an object with a name');
  return session;
}
