/**
 * The simulated clockodo account: users linked to TimeClock people, master data, and time entries
 * derived deterministically (from a seed) from each person's attended time.
 *
 * Entries are generated lazily per user and local day, so a query over 2,000 users × 365 days
 * costs one pass and bounded memory. Mutations (tests, PUT/DELETE on entrygroups) live in an
 * overlay keyed by entry id; the truth helpers (`entriesBetween`, `bookedSeconds`) see them.
 *
 * Glossary: "slot" = a clockodo user's position in the sorted user list; "ordinal" = day number
 * (days since 1970-01-01, see calendar.ts); "account day" = calendar day in the account's zone.
 */
import { seededRandom } from '../faults.ts';
import type { AttendanceSource } from '../people.ts';
import { DAY_MS, dateToDayNumber, dayNumberToDate, formatUtc, isValidZone, isoWeekday, localDayNumber, naiveToEpoch, parseUtcStamp } from './calendar.ts';
import {
  CUSTOMERS,
  LUMPSUM_SERVICES,
  PROJECTS,
  SERVICES,
  SUBPROJECTS,
  TEAMS,
  TEXTS,
  type BudgetType,
  type Customer,
  type LumpsumService,
  type Project,
  type Service,
  type Subproject,
  type Team,
} from './catalog.ts';

export interface ClockodoApiUser {
  email: string;
  apiKey: string;
  /** Whether the user may see revenues (`revenue`, `hourly_rate`, ... in entrygroups). */
  revenueRights: boolean;
}

export const DEFAULT_API_USERS: readonly ClockodoApiUser[] = [
  { email: 'api-admin@punchcard.test', apiKey: 'clockodo-admin-key', revenueRights: true },
  { email: 'api-reader@punchcard.test', apiKey: 'clockodo-reader-key', revenueRights: false },
];

/** A user as `GET /api/v3/users` returns it. */
export interface ClockodoUser {
  id: number;
  name: string;
  number: string | null;
  email: string;
  active: boolean;
  timezone: string;
  teams_id: number | null;
}

/** How a TimeClock person maps to clockodo (the answer key for the ETL's user matching). */
export interface PersonLink {
  employeeNumber: number;
  email: string;
  /** null: this person has no clockodo user. */
  usersId: number | null;
  /** false: the clockodo `number` is not String(employeeNumber); match by email instead. */
  numberMatches: boolean;
}

/** A time entry as `GET /api/v2/entries` returns it (with `enhanced_list=true` and revenue rights). */
export interface ClockodoEntry {
  id: number;
  type: 1;
  users_id: number;
  customers_id: number;
  projects_id: number | null;
  subprojects_id: number | null;
  services_id: number;
  lumpsum_services_id: number | null;
  billable: 0 | 1 | 2;
  time_since: string;
  time_until: string | null;
  duration: number;
  time_last_change: string;
  texts_id: number | null;
  text: string | null;
  hourly_rate: number;
}

/** Internal entry form: epoch milliseconds instead of strings. Never mutated once created. */
export interface EntryRecord {
  readonly id: number;
  readonly usersId: number;
  readonly customersId: number;
  readonly projectsId: number | null;
  readonly subprojectsId: number | null;
  readonly servicesId: number;
  readonly lumpsumServicesId: number | null;
  readonly billable: 0 | 1 | 2;
  readonly sinceMs: number;
  readonly untilMs: number;
  readonly lastChangeMs: number;
  readonly textsId: number | null;
  readonly hourlyRate: number;
}

/**
 * `filter[budget_type]` as clockodo's OpenAPI (BudgetOption) spells it. Written out here rather
 * than imported from the client: the simulator stands for the API, so a misspelling in the
 * client must meet a 400 here, not the same misspelling.
 */
export const BUDGET_TYPES = [
  'rep_filter_budget_strict',
  'rep_filter_budget_strict_completed',
  'rep_filter_budget_strict_incomplete',
  'rep_filter_budget_soft',
  'rep_filter_budget_soft_completed',
  'rep_filter_budget_soft_incomplete',
  'rep_filter_budget_without',
  'rep_filter_budget_without_strict',
] as const;
export type BudgetTypeFilter = (typeof BUDGET_TYPES)[number];

/** Entry filter, as in `filter[...]` (the API refuses id filters below 1). */
export interface EntryFilter {
  users_id?: number;
  customers_id?: number;
  projects_id?: number;
  subprojects_id?: number;
  services_id?: number;
  lumpsum_services_id?: number;
  teams_id?: number;
  billable?: number;
  text?: string;
  texts_id?: number;
  budget_type?: BudgetTypeFilter;
}

/** New values for an entry (PUT entrygroups, `editEntry`, `addEntry`). */
export interface EntryPatch {
  users_id?: number;
  customers_id?: number;
  projects_id?: number | null;
  subprojects_id?: number | null;
  services_id?: number;
  lumpsum_services_id?: number | null;
  billable?: number;
  time_since?: string | Date;
  time_until?: string | Date;
  texts_id?: number | null;
  text?: string | null;
  hourly_rate?: number;
}

export interface NewEntry extends EntryPatch {
  users_id: number;
  services_id: number;
  time_since: string | Date;
  time_until: string | Date;
}

/** A rejected mutation; `fields` names the offending input. */
export class DatasetError extends Error {
  readonly fields: string[];
  constructor(message: string, fields: string[]) {
    super(message);
    this.name = 'DatasetError';
    this.fields = fields;
  }
}

export interface ClockodoDatasetOptions {
  attendance: AttendanceSource;
  seed?: number;
  apiUsers?: readonly ClockodoApiUser[];
  /** Zone of the account: days/weeks/months/years of entrygroups are counted in it. */
  accountTimezone?: string;
  /** About how many generated user-days to keep in memory. Default 50,000. */
  cachedUserDays?: number;
}

interface Slot {
  index: number;
  user: ClockodoUser;
  /** null for clockodo-only users. */
  employeeNumber: number | null;
}

/** Generated entry ids: BASE_ID + ((ordinal × slots + slot) × MAX_PER_DAY + k). */
const BASE_ID = 10_000_000;
const MAX_PER_DAY = 4;
/** Ids of entries added through `addEntry` start here (still below 2^31). */
const ADDED_ID = 2_000_000_000;

/** Person index rules (documented in the report and README): */
const hasNoUser = (i: number): boolean => i % 97 === 5;
const hasOtherNumber = (i: number): boolean => i % 13 === 3;

function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

function pick<T>(items: readonly T[], rng: () => number): T {
  return items[Math.floor(rng() * items.length)] as T;
}

function byId<T extends { id: number }>(items: readonly T[]): Map<number, T> {
  return new Map(items.map((item) => [item.id, item]));
}

function toMs(value: string | Date, field: string): number {
  const ms = value instanceof Date ? value.getTime() : parseUtcStamp(value);
  if (ms === undefined || !Number.isFinite(ms)) throw new DatasetError(`${field} must be YYYY-MM-DDTHH:MM:SSZ`, [field]);
  return ms;
}

export class ClockodoDataset {
  readonly seed: number;
  readonly accountTimezone: string;
  readonly apiUsers: readonly ClockodoApiUser[];
  /** All clockodo users, sorted by id. */
  readonly users: readonly ClockodoUser[];
  readonly personLinks: readonly PersonLink[];
  readonly clockodoOnlyUserIds: readonly number[];
  readonly customers = byId<Customer>(CUSTOMERS);
  readonly projects = byId<Project>(PROJECTS);
  readonly subprojects = byId<Subproject>(SUBPROJECTS);
  readonly services = byId<Service>(SERVICES);
  readonly lumpsumServices = byId<LumpsumService>(LUMPSUM_SERVICES);
  readonly teams = byId<Team>(TEAMS);
  /** Increases with every mutation (lets callers cache query results). */
  version = 0;

  private readonly attendance: AttendanceSource;
  private readonly slots: Slot[];
  private readonly slotByUser = new Map<number, Slot>();
  private readonly texts = new Map<number, string>();
  private readonly textIds = new Map<string, number>();
  private nextTextId = 4001;
  private cache = new Map<number, readonly EntryRecord[]>();
  private previousCache = new Map<number, readonly EntryRecord[]>();
  private readonly cacheLimit: number;
  /** Overlay: replaced or added entries, and null for deleted ones. */
  private readonly changed = new Map<number, EntryRecord | null>();
  private nextAddedId = ADDED_ID;

  constructor(options: ClockodoDatasetOptions) {
    this.attendance = options.attendance;
    this.seed = options.seed ?? 1;
    this.accountTimezone = options.accountTimezone ?? 'Europe/Berlin';
    if (!isValidZone(this.accountTimezone)) throw new Error(`invalid accountTimezone: ${this.accountTimezone}`);
    this.apiUsers = options.apiUsers ?? DEFAULT_API_USERS;
    this.cacheLimit = options.cachedUserDays ?? 50_000;
    for (const { id, text } of TEXTS) this.registerText(text, id);

    const slots: Array<Omit<Slot, 'index'>> = [
      {
        employeeNumber: null,
        user: { id: 498, name: 'Jürgen Weiß (extern)', number: 'F-01', email: 'j.weiss@freiberuflich.example', active: true, timezone: this.accountTimezone, teams_id: null },
      },
      {
        employeeNumber: null,
        user: { id: 499, name: 'Büro Verwaltung', number: null, email: 'buero@punchcard.example', active: false, timezone: this.accountTimezone, teams_id: 3 },
      },
    ];
    const links: PersonLink[] = [];
    this.attendance.people.forEach((person, i) => {
      if (hasNoUser(i)) {
        links.push({ employeeNumber: person.employeeNumber, email: person.email, usersId: null, numberMatches: false });
        return;
      }
      const other = hasOtherNumber(i);
      const number = !other
        ? String(person.employeeNumber)
        : Math.floor(i / 13) % 2 === 0
          ? `X${person.employeeNumber}`
          : String(900_000 + person.employeeNumber);
      const user: ClockodoUser = {
        id: 500 + i,
        name: `${person.firstName} ${person.lastName}`,
        number,
        email: person.email,
        active: true,
        timezone: isValidZone(person.timezone) ? person.timezone : this.accountTimezone,
        teams_id: i % 7 === 6 ? null : (TEAMS[i % TEAMS.length] as Team).id,
      };
      slots.push({ employeeNumber: person.employeeNumber, user });
      links.push({ employeeNumber: person.employeeNumber, email: person.email, usersId: user.id, numberMatches: !other });
    });
    this.slots = slots.map((slot, index) => ({ ...slot, index }));
    for (const slot of this.slots) this.slotByUser.set(slot.user.id, slot);
    this.users = this.slots.map((slot) => slot.user);
    this.personLinks = links;
    this.clockodoOnlyUserIds = this.slots.filter((s) => s.employeeNumber === null).map((s) => s.user.id);
  }

  // ---- lookups -------------------------------------------------------------------------------

  user(id: number): ClockodoUser | undefined {
    return this.slotByUser.get(id)?.user;
  }

  text(id: number | null): string | null {
    return id === null ? null : (this.texts.get(id) ?? null);
  }

  /** Id of a text, created when new (PUT with `text`). */
  textId(text: string): number {
    return this.textIds.get(text) ?? this.registerText(text);
  }

  budgetOf(entry: EntryRecord): BudgetType {
    return entry.projectsId === null ? null : (this.projects.get(entry.projectsId)?.budgetType ?? null);
  }

  private registerText(text: string, id = this.nextTextId): number {
    this.texts.set(id, text);
    this.textIds.set(text, id);
    this.nextTextId = Math.max(this.nextTextId, id + 1);
    return id;
  }

  // ---- generation ----------------------------------------------------------------------------

  private baseDay(slot: Slot, ordinal: number): readonly EntryRecord[] {
    if (ordinal < 0) return [];
    const key = ordinal * this.slots.length + slot.index;
    let entries = this.cache.get(key);
    if (!entries) {
      entries = this.previousCache.get(key) ?? this.generate(slot, ordinal, key);
      // Two generations instead of a FIFO: deleting from a Map's head one key at a time is
      // quadratic in V8, swapping whole maps is not.
      if (this.cache.size >= this.cacheLimit / 2) {
        this.previousCache = this.cache;
        this.cache = new Map();
      }
      this.cache.set(key, entries);
    }
    return entries;
  }

  private generate(slot: Slot, ordinal: number, key: number): EntryRecord[] {
    const rng = seededRandom(mix(this.seed, slot.user.id, ordinal));
    const weekday = isoWeekday(ordinal) <= 5;
    let total: number;
    if (slot.employeeNumber !== null) {
      const net = Math.floor(this.attendance.netSecondsOn(slot.employeeNumber, dayNumberToDate(ordinal)));
      if (!(net > 0)) {
        // Rarely someone books on a day without attendance (forgot to clock in).
        if (!weekday || rng() >= 0.015) return [];
        total = 3600 + Math.floor(rng() * 7200);
      } else {
        const r = rng();
        if (r < 0.06) return []; // attended, booked nothing
        const factor = r < 0.16 ? 0.6 + 0.2 * rng() : r < 0.24 ? 1.05 + 0.15 * rng() : 0.9 + 0.1 * rng();
        total = Math.round(net * factor);
      }
    } else {
      // clockodo-only users: weekdays; the inactive one only Mon/Wed/Fri.
      if (!weekday || (!slot.user.active && isoWeekday(ordinal) % 2 === 0)) return [];
      total = 4 * 3600 + Math.floor(rng() * 3 * 3600);
    }
    total = Math.min(total, 20 * 3600);
    if (total < 60) return [];

    const count = Math.max(1, Math.min(1 + Math.floor(rng() * 3), Math.floor(total / 1800)));
    const weights = Array.from({ length: count }, () => 0.5 + rng());
    const weightSum = weights.reduce((a, b) => a + b, 0);
    const durations = weights.map((w) => Math.round((total * w) / weightSum));
    durations[count - 1] = total - durations.slice(0, -1).reduce((a, b) => a + b, 0);
    const gaps = durations.map((_, k) => (k === 0 ? 0 : Math.floor(rng() * 1200)));
    const span = total + gaps.reduce((a, b) => a + b, 0);
    let cursor = 7 * 3600 + Math.floor(rng() * 9000); // 07:00..09:30 local
    if (cursor + span > 84_600) cursor = Math.max(300, 84_600 - span); // end by 23:30

    const entries: EntryRecord[] = [];
    for (let k = 0; k < count; k++) {
      cursor += gaps[k] as number;
      const duration = durations[k] as number;
      const sinceMs = naiveToEpoch(ordinal * DAY_MS + cursor * 1000, slot.user.timezone);
      cursor += duration;
      const project = rng() < 0.12 ? undefined : pick(PROJECTS, rng);
      const customer = project ? (this.customers.get(project.customersId) as Customer) : pick(CUSTOMERS, rng);
      const subprojectChoices = project ? SUBPROJECTS.filter((s) => s.projectsId === project.id) : [];
      const subproject = subprojectChoices.length > 0 && rng() < 0.5 ? pick(subprojectChoices, rng) : undefined;
      const service = pick(SERVICES, rng);
      const b = rng();
      const billable: 0 | 1 | 2 = customer.internal || b < 0.2 ? 0 : b < 0.8 ? 1 : 2;
      const textsId = rng() < 0.45 ? pick(TEXTS, rng).id : null;
      entries.push({
        id: BASE_ID + key * MAX_PER_DAY + k,
        usersId: slot.user.id,
        customersId: customer.id,
        projectsId: project?.id ?? null,
        subprojectsId: subproject?.id ?? null,
        servicesId: service.id,
        lumpsumServicesId: null,
        billable,
        sinceMs,
        untilMs: sinceMs + duration * 1000,
        lastChangeMs: sinceMs + duration * 1000 + (5 + Math.floor(rng() * 600)) * 60_000,
        textsId,
        hourlyRate: project?.hourlyRate ?? service.hourlyRate,
      });
    }
    return entries;
  }

  // ---- selection -----------------------------------------------------------------------------

  matches(entry: EntryRecord, filter: EntryFilter): boolean {
    if (filter.users_id !== undefined && entry.usersId !== filter.users_id) return false;
    if (filter.customers_id !== undefined && entry.customersId !== filter.customers_id) return false;
    if (filter.projects_id !== undefined && (entry.projectsId ?? 0) !== filter.projects_id) return false;
    if (filter.subprojects_id !== undefined && (entry.subprojectsId ?? 0) !== filter.subprojects_id) return false;
    if (filter.services_id !== undefined && entry.servicesId !== filter.services_id) return false;
    if (filter.lumpsum_services_id !== undefined && (entry.lumpsumServicesId ?? 0) !== filter.lumpsum_services_id) return false;
    if (filter.billable !== undefined && entry.billable !== filter.billable) return false;
    if (filter.texts_id !== undefined && (entry.textsId ?? 0) !== filter.texts_id) return false;
    if (filter.text !== undefined && this.text(entry.textsId) !== filter.text) return false;
    if (filter.teams_id !== undefined && this.user(entry.usersId)?.teams_id !== filter.teams_id) return false;
    if (filter.budget_type !== undefined) {
      const project = entry.projectsId === null ? undefined : this.projects.get(entry.projectsId);
      const type = project?.budgetType ?? null;
      const completed = project?.completed ?? false;
      switch (filter.budget_type) {
        case 'rep_filter_budget_strict': return type === 'strict';
        case 'rep_filter_budget_strict_completed': return type === 'strict' && completed;
        case 'rep_filter_budget_strict_incomplete': return type === 'strict' && !completed;
        case 'rep_filter_budget_soft': return type === 'soft';
        case 'rep_filter_budget_soft_completed': return type === 'soft' && completed;
        case 'rep_filter_budget_soft_incomplete': return type === 'soft' && !completed;
        case 'rep_filter_budget_without': return type === null;
        case 'rep_filter_budget_without_strict': return type !== 'strict';
      }
    }
    return true;
  }

  /**
   * Calls `visit` for every entry whose start lies in [sinceMs, untilMs] and that passes the
   * filter, in no particular order. Nothing is materialised beyond the generation cache.
   */
  forEachEntry(sinceMs: number, untilMs: number, filter: EntryFilter, visit: (entry: EntryRecord) => void): void {
    let slots: readonly Slot[] = this.slots;
    if (filter.users_id !== undefined) {
      const slot = this.slotByUser.get(filter.users_id);
      slots = slot ? [slot] : [];
    }
    for (const slot of slots) {
      if (filter.teams_id !== undefined && slot.user.teams_id !== filter.teams_id) continue;
      const zone = slot.user.timezone;
      const last = localDayNumber(zone, untilMs);
      for (let day = localDayNumber(zone, sinceMs); day <= last; day++) {
        for (const entry of this.baseDay(slot, day)) {
          if (entry.sinceMs < sinceMs || entry.sinceMs > untilMs) continue;
          if (this.changed.size > 0 && this.changed.has(entry.id)) continue;
          if (this.matches(entry, filter)) visit(entry);
        }
      }
    }
    for (const entry of this.changed.values()) {
      if (entry && entry.sinceMs >= sinceMs && entry.sinceMs <= untilMs && this.matches(entry, filter)) visit(entry);
    }
  }

  /** Entries (start in [since, until]) sorted by start, then id. */
  select(sinceMs: number, untilMs: number, filter: EntryFilter = {}): EntryRecord[] {
    const out: EntryRecord[] = [];
    this.forEachEntry(sinceMs, untilMs, filter, (entry) => out.push(entry));
    return out.sort((a, b) => a.sinceMs - b.sinceMs || a.id - b.id);
  }

  // ---- truth helpers -------------------------------------------------------------------------

  /** Every entry whose start lies in [since, until] (inclusive), as the API shows it. */
  entriesBetween(sinceUtc: Date | string, untilUtc: Date | string, filter: EntryFilter = {}): ClockodoEntry[] {
    return this.select(toMs(sinceUtc, 'sinceUtc'), toMs(untilUtc, 'untilUtc'), filter).map((e) => this.toApiEntry(e));
  }

  /** Seconds booked by a user on a calendar day of the account's zone (the `day` grouping). */
  bookedSeconds(usersId: number, accountLocalDate: string): number {
    const ordinal = dateToDayNumber(accountLocalDate);
    if (Number.isNaN(ordinal)) throw new Error(`bookedSeconds: not a YYYY-MM-DD date: ${accountLocalDate}`);
    const start = naiveToEpoch(ordinal * DAY_MS, this.accountTimezone);
    const end = naiveToEpoch((ordinal + 1) * DAY_MS, this.accountTimezone);
    let seconds = 0;
    this.forEachEntry(start, end - 1, { users_id: usersId }, (entry) => {
      seconds += (entry.untilMs - entry.sinceMs) / 1000;
    });
    return seconds;
  }

  getEntry(id: number): ClockodoEntry | undefined {
    const record = this.record(id);
    return record && this.toApiEntry(record);
  }

  toApiEntry(entry: EntryRecord): ClockodoEntry {
    return {
      id: entry.id,
      type: 1,
      users_id: entry.usersId,
      customers_id: entry.customersId,
      projects_id: entry.projectsId,
      subprojects_id: entry.subprojectsId,
      services_id: entry.servicesId,
      lumpsum_services_id: entry.lumpsumServicesId,
      billable: entry.billable,
      time_since: formatUtc(entry.sinceMs),
      time_until: formatUtc(entry.untilMs),
      duration: (entry.untilMs - entry.sinceMs) / 1000,
      time_last_change: formatUtc(entry.lastChangeMs),
      texts_id: entry.textsId,
      text: this.text(entry.textsId),
      hourly_rate: entry.hourlyRate,
    };
  }

  // ---- mutations -----------------------------------------------------------------------------

  /** The current state of an entry (overlay first, then the generated one). */
  record(id: number): EntryRecord | undefined {
    if (this.changed.has(id)) return this.changed.get(id) ?? undefined;
    if (!Number.isInteger(id) || id < BASE_ID || id >= ADDED_ID) return undefined;
    const key = Math.floor((id - BASE_ID) / MAX_PER_DAY);
    const slot = this.slots[key % this.slots.length];
    if (!slot) return undefined;
    return this.baseDay(slot, Math.floor(key / this.slots.length)).find((e) => e.id === id);
  }

  deleteEntry(id: number): boolean {
    if (!this.record(id)) return false;
    this.changed.set(id, null);
    this.version += 1;
    return true;
  }

  editEntry(id: number, patch: EntryPatch, now = new Date()): ClockodoEntry {
    const current = this.record(id);
    if (!current) throw new DatasetError(`entry ${id} does not exist`, ['id']);
    const next = this.applyPatch(current, patch, now.getTime());
    this.replaceEntries([next]);
    return this.toApiEntry(next);
  }

  addEntry(input: NewEntry, now = new Date()): ClockodoEntry {
    const customersId = input.customers_id ?? (input.projects_id ? this.projects.get(input.projects_id)?.customersId : undefined);
    if (customersId === undefined) throw new DatasetError('customers_id (or projects_id) is required', ['customers_id']);
    const template: EntryRecord = {
      id: this.nextAddedId,
      usersId: input.users_id,
      customersId,
      projectsId: null,
      subprojectsId: null,
      servicesId: input.services_id,
      lumpsumServicesId: null,
      billable: 0,
      sinceMs: 0,
      untilMs: 0,
      lastChangeMs: 0,
      textsId: null,
      hourlyRate: 0,
    };
    const service = this.services.get(input.services_id);
    const project = input.projects_id ? this.projects.get(input.projects_id) : undefined;
    const patch: EntryPatch = { hourly_rate: project?.hourlyRate ?? service?.hourlyRate ?? 0, ...input, customers_id: customersId };
    const entry = this.applyPatch(template, patch, now.getTime(), true);
    this.nextAddedId += 1;
    this.replaceEntries([entry]);
    return this.toApiEntry(entry);
  }

  /** Stores changed versions of existing entries (results of `applyPatch`). */
  replaceEntries(entries: readonly EntryRecord[]): void {
    for (const entry of entries) this.changed.set(entry.id, entry);
    if (entries.length > 0) this.version += 1;
  }

  /** Validates `patch` against the master data and returns the changed entry. */
  applyPatch(entry: EntryRecord, patch: EntryPatch, nowMs: number, forceChecks = false): EntryRecord {
    const known = new Set(['users_id', 'customers_id', 'projects_id', 'subprojects_id', 'services_id', 'lumpsum_services_id', 'billable', 'time_since', 'time_until', 'texts_id', 'text', 'hourly_rate']);
    for (const key of Object.keys(patch)) if (!known.has(key)) throw new DatasetError(`unknown field ${key}`, [key]);
    const has = (key: keyof EntryPatch): boolean => patch[key] !== undefined;
    const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v > 0;

    if ((has('users_id') || forceChecks) && !(isId(patch.users_id ?? entry.usersId) && this.user(patch.users_id ?? entry.usersId)))
      throw new DatasetError(`users_id ${String(patch.users_id)} does not exist`, ['users_id']);
    if (has('services_id') && !(isId(patch.services_id) && this.services.has(patch.services_id)))
      throw new DatasetError(`services_id ${String(patch.services_id)} does not exist`, ['services_id']);
    if (forceChecks && !this.services.has(entry.servicesId) && !has('services_id'))
      throw new DatasetError('services_id does not exist', ['services_id']);

    let customersId = entry.customersId;
    let projectsId = entry.projectsId;
    let subprojectsId = entry.subprojectsId;
    if (has('customers_id')) {
      if (!(isId(patch.customers_id) && this.customers.has(patch.customers_id)))
        throw new DatasetError(`customers_id ${String(patch.customers_id)} does not exist`, ['customers_id']);
      customersId = patch.customers_id;
    } else if (forceChecks && !this.customers.has(customersId)) {
      throw new DatasetError(`customers_id ${customersId} does not exist`, ['customers_id']);
    }
    if (patch.projects_id !== undefined) {
      if (patch.projects_id === null) projectsId = null;
      else {
        const project = isId(patch.projects_id) ? this.projects.get(patch.projects_id) : undefined;
        if (!project) throw new DatasetError(`projects_id ${String(patch.projects_id)} does not exist`, ['projects_id']);
        if (has('customers_id') && project.customersId !== customersId)
          throw new DatasetError(`project ${project.id} does not belong to customer ${customersId}`, ['projects_id', 'customers_id']);
        projectsId = project.id;
        customersId = project.customersId;
      }
    } else if (projectsId !== null && this.projects.get(projectsId)?.customersId !== customersId) {
      projectsId = null; // customer changed: the old project no longer applies
    }
    if (patch.subprojects_id !== undefined) {
      if (patch.subprojects_id === null) subprojectsId = null;
      else {
        const sub = isId(patch.subprojects_id) ? this.subprojects.get(patch.subprojects_id) : undefined;
        if (!sub || sub.projectsId !== projectsId)
          throw new DatasetError(`subprojects_id ${String(patch.subprojects_id)} does not exist for this project`, ['subprojects_id']);
        subprojectsId = sub.id;
      }
    } else if (subprojectsId !== null && this.subprojects.get(subprojectsId)?.projectsId !== projectsId) {
      subprojectsId = null;
    }

    let lumpsumServicesId = entry.lumpsumServicesId;
    if (patch.lumpsum_services_id !== undefined) {
      if (patch.lumpsum_services_id !== null && !(isId(patch.lumpsum_services_id) && this.lumpsumServices.has(patch.lumpsum_services_id)))
        throw new DatasetError(`lumpsum_services_id ${String(patch.lumpsum_services_id)} does not exist`, ['lumpsum_services_id']);
      lumpsumServicesId = patch.lumpsum_services_id;
    }

    let billable = entry.billable;
    if (has('billable')) {
      if (patch.billable !== 0 && patch.billable !== 1 && patch.billable !== 2)
        throw new DatasetError('billable must be 0, 1 or 2', ['billable']);
      billable = patch.billable;
    }

    let textsId = entry.textsId;
    if (patch.texts_id !== undefined && patch.text !== undefined)
      throw new DatasetError('give either texts_id or text, not both', ['texts_id', 'text']);
    if (patch.texts_id !== undefined) {
      if (patch.texts_id !== null && !(isId(patch.texts_id) && this.texts.has(patch.texts_id)))
        throw new DatasetError(`texts_id ${String(patch.texts_id)} does not exist`, ['texts_id']);
      textsId = patch.texts_id;
    }
    if (patch.text !== undefined) {
      if (patch.text !== null && typeof patch.text !== 'string') throw new DatasetError('text must be a string', ['text']);
      if (typeof patch.text === 'string' && patch.text.length > 10_000) throw new DatasetError('text is too long', ['text']);
      textsId = patch.text === null || patch.text === '' ? null : this.textId(patch.text);
    }

    let hourlyRate = entry.hourlyRate;
    if (has('hourly_rate')) {
      if (typeof patch.hourly_rate !== 'number' || !Number.isFinite(patch.hourly_rate) || patch.hourly_rate < 0)
        throw new DatasetError('hourly_rate must be a number >= 0', ['hourly_rate']);
      hourlyRate = patch.hourly_rate;
    } else if (projectsId !== entry.projectsId || has('services_id')) {
      const service = this.services.get(patch.services_id ?? entry.servicesId);
      hourlyRate = (projectsId === null ? undefined : this.projects.get(projectsId)?.hourlyRate) ?? service?.hourlyRate ?? hourlyRate;
    }

    const sinceMs = patch.time_since !== undefined ? toMs(patch.time_since, 'time_since') : entry.sinceMs;
    const untilMs = patch.time_until !== undefined ? toMs(patch.time_until, 'time_until') : entry.untilMs;
    if (untilMs < sinceMs) throw new DatasetError('time_until lies before time_since', ['time_until']);
    if (sinceMs % 1000 !== 0 || untilMs % 1000 !== 0) throw new DatasetError('stamps must be whole seconds', ['time_since', 'time_until']);

    return {
      id: entry.id,
      usersId: patch.users_id ?? entry.usersId,
      customersId,
      projectsId,
      subprojectsId,
      servicesId: patch.services_id ?? entry.servicesId,
      lumpsumServicesId,
      billable,
      sinceMs,
      untilMs,
      lastChangeMs: Math.floor(nowMs / 1000) * 1000,
      textsId,
      hourlyRate,
    };
  }
}
