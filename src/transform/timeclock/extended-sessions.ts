/**
 * `extended-sessions` (attendance with employee metadata) → tc_employees (full record),
 * tc_sessions (method "extended-sessions": reported duration, notes, sent-at stamps),
 * tc_absences (items whose isAbsence is true) and tc_period_totals.
 *
 * The stream asks one day per request so that expected time is known per day; the answer handed
 * to this transform is the list of those daily answers.
 *
 * The document shows most of these fields only as null or in one shape (`groups: []`, `isAbsence:
 * false`, numbers as numbers). Other shapes keep the record, flagged (see common.ts): `groups` as
 * an object keyed by id, `isAbsence` as 0/1 or "0"/"1"/"true"/"false", numbers as digit strings,
 * notes and absence fields of another type.
 */
import type { DateWindow, RejectRow, StreamBatch } from '../../pipeline/stream.ts';
import type { MemberTransformer } from '../../pipeline/spool.ts';
import { tcAbsences, tcEmployeesExtended, tcPeriodTotals, tcSessions } from '../../load/tables.ts';
import { resolveLocalStamp } from '../local-time.ts';
import {
  intervalColumns,
  isObject,
  LOCAL_STAMPS,
  parseIntervalItem,
  readBoolean,
  readText,
  readWhole,
  sourceColumns,
  uniqueFlags,
  unexpected,
  windowFlags,
  type TimeclockReading,
} from './common.ts';
import { walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

export interface ExtendedDayAnswer {
  date: string; // the day asked for (startDate = endDate)
  result: unknown[];
}

/** Employee fields that describe the person (stable from day to day), kept as sent in tc_employees.raw. */
const PERSON_FIELDS = ['id', 'email', 'passport', 'groups', 'workStartedAt', 'workEndedAt', 'birthday', 'gender'] as const;
const TOTAL_FIELDS = ['totalWorkedSeconds', 'totalLeaveSeconds', 'expectedSeconds'] as const;

export function transformExtendedSessions(days: ExtendedDayAnswer[], account: string, window: DateWindow, reading: TimeclockReading = LOCAL_STAMPS): StreamBatch {
  const employees = new Map<string, Record<string, unknown>>();
  const sessions: Record<string, unknown>[] = [];
  const absences: Record<string, unknown>[] = [];
  const totals: Record<string, unknown>[] = [];
  const rejects: RejectRow[] = [];
  let received = 0;

  for (const day of days) {
    received += countItems(day.result);
    const walk = walkEmployees(day.result, (employee, item) => {
      const who = employee.employeeNumber;
      const dayStamped = dayStampedAbsence(item);
      const parsed = parseIntervalItem(dayStamped ?? item, who, 'extended session', reading);
      if (!parsed.ok) {
        rejects.push(dayStamped ? { ...parsed.reject, raw: item } : parsed.reject); // raw as sent
        return;
      }
      const { record: s, interval, zone, flags } = parsed.item;
      const base = { account, employee_number: who, ...intervalColumns(interval, zone) };
      const duration = readWhole(s.duration, 'duration', flags);
      const isAbsence = readBoolean(s.isAbsence, 'isAbsence', flags);
      const ownFlags = () => uniqueFlags(flags, employee.flags, windowFlags(interval.start.localDate, window));
      if (isAbsence === true) {
        if (dayStamped) flags.push('absence_date_only');
        const row = {
          ...base,
          // An absence's reported duration is what payroll counts; fall back to the stamps, unless
          // they are whole days (24 h of leave per day would be a wrong number: NULL says unknown).
          duration_seconds: duration ?? (dayStamped ? null : interval.durationSeconds),
          absence_name: readText(s.absenceName, 'absenceName', flags),
          absence_note: readText(s.absenceNote, 'absenceNote', flags),
          absence_approved_date: readText(s.absenceApprovedDate, 'absenceApprovedDate', flags),
          absence_approved_manager: textOrNumber(s.absenceApprovedManager, 'absenceApprovedManager', flags),
          absence_code_days: textOrNumber(s.absenceCodeDays, 'absenceCodeDays', flags),
          absence_code_hours: textOrNumber(s.absenceCodeHors, 'absenceCodeHors', flags),
        };
        absences.push({ ...row, flags: ownFlags(), raw: item });
        return;
      }
      const row = {
        ...base,
        method: 'extended-sessions',
        location_type: readText(s.locationType, 'locationType', flags),
        ...sourceColumns(s, flags),
        reported_duration_seconds: duration,
        start_sent_at_local: sentAt(s.startDateSentAt, 'start_sent_at', zone, reading, flags),
        end_sent_at_local: sentAt(s.endDateSentAt, 'end_sent_at', zone, reading, flags),
        start_note: readText(s.startNote, 'startNote', flags),
        end_note: readText(s.endNote, 'endNote', flags),
      };
      sessions.push({ ...row, flags: ownFlags(), raw: item });
    });
    for (const row of walk.rejects) rejects.push(row); // no spread: the answer decides how many

    for (const employee of walk.employees) {
      const e = employee.raw;
      const who = employee.employeeNumber;
      const flags: string[] = [];
      const groups = e.groups === undefined ? null : e.groups;
      if (groups !== null && !Array.isArray(groups)) flags.push(unexpected('groups'));
      employees.set(who, {
        account,
        employee_number: who,
        email: employee.email,
        external_id: readWhole(e.id, 'id', flags),
        passport: readText(e.passport, 'passport', flags),
        groups,
        gender: readText(e.gender, 'gender', flags),
        birthday: readText(e.birthday, 'birthday', flags),
        work_started_at: readText(e.workStartedAt, 'workStartedAt', flags),
        work_ended_at: readText(e.workEndedAt, 'workEndedAt', flags),
        flags: uniqueFlags(employee.flags, flags),
        raw: pick(e, PERSON_FIELDS),
      });
      const totalFlags: string[] = [];
      totals.push({
        account,
        employee_number: who,
        period_start: day.date,
        period_end: day.date,
        total_worked_seconds: readWhole(e.totalWorkedSeconds, 'totalWorkedSeconds', totalFlags),
        total_leave_seconds: readWhole(e.totalLeaveSeconds, 'totalLeaveSeconds', totalFlags),
        expected_seconds: readWhole(e.expectedSeconds, 'expectedSeconds', totalFlags),
        flags: totalFlags,
        raw: pick(e, TOTAL_FIELDS),
      });
    }
  }

  return {
    received,
    tables: [
      { spec: tcEmployeesExtended, rows: [...employees.values()] },
      { spec: tcSessions('extended-sessions'), rows: sessions },
      { spec: tcAbsences, rows: absences },
      { spec: tcPeriodTotals, rows: totals },
    ],
    rejects,
  };
}

/** One employee record of one day's answer: what the spooled stream hands the transformer below. */
export interface ExtendedDayRecord {
  date: string;
  record: unknown;
}

/**
 * transformExtendedSessions one employee record at a time (members are ExtendedDayRecord, days in
 * order), for a window spooled as it is read. Sessions, absences and totals depend on their record
 * alone; an employee's row is the last one the window sent (as the whole transform's map keeps
 * it), so those wait for finish().
 */
export function createExtendedSessionsTransformer(account: string, window: DateWindow, reading: TimeclockReading = LOCAL_STAMPS): MemberTransformer {
  const specs = transformExtendedSessions([], account, window, reading).tables.map((table) => table.spec);
  const employees = new Map<unknown, Record<string, unknown>>();
  let received = 0;
  return {
    specs,
    push(member, emit, reject) {
      const { date, record } = member as ExtendedDayRecord;
      const batch = transformExtendedSessions([{ date, result: [record] }], account, window, reading);
      received += batch.received;
      for (const row of batch.rejects) reject(row);
      const [people, ...rest] = batch.tables;
      for (const row of people!.rows) employees.set(row.employee_number, row);
      rest.forEach(({ rows }, index) => {
        for (const row of rows) emit(row, specs[index + 1]!);
      });
    },
    finish(emit) {
      for (const row of employees.values()) emit(row, specs[0]!);
      return { received, rejects: [] };
    },
  };
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/**
 * An absence sent with days ("2025-03-10") instead of stamps, as leave is booked: read from local
 * midnight of its first day to local midnight after its last (an absent end stays open), so it is
 * kept rather than rejected. The document shows only stamps; a mix of a day and a stamp, or a day
 * that does not exist, is still rejected by the stamp rules.
 */
function dayStampedAbsence(item: unknown): Record<string, unknown> | undefined {
  if (!isObject(item) || readBoolean(item.isAbsence, 'isAbsence', []) !== true) return undefined;
  const { startDate, endDate } = item;
  if (typeof startDate !== 'string' || !DAY.test(startDate)) return undefined;
  if (endDate === null || endDate === undefined) return { ...item, startDate: `${startDate} 00:00:00` };
  if (typeof endDate !== 'string' || !DAY.test(endDate)) return undefined;
  const endMs = Date.parse(`${endDate}T00:00:00Z`);
  // Date rolls an impossible day over (2025-02-30 → March 2): such an end goes on as its own
  // midnight, which the stamp rules reject as not a real calendar date.
  const real = !Number.isNaN(endMs) && new Date(endMs).toISOString().slice(0, 10) === endDate;
  const afterEnd = real ? new Date(endMs + 86_400_000).toISOString().slice(0, 10) : endDate;
  return { ...item, startDate: `${startDate} 00:00:00`, endDate: `${afterEnd} 00:00:00` };
}

/** Absence codes and the approving manager come as text or numbers (both as the document leaves open). */
function textOrNumber(value: unknown, field: string, flags: string[]): string | null {
  return typeof value === 'number' ? String(value) : readText(value, field, flags);
}

function pick(record: Record<string, unknown>, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(fields.filter((f) => f in record).map((f) => [f, record[f]]));
}

/** Sent-at stamps are informational: a malformed one is stored as NULL and flagged, not rejected. */
function sentAt(value: unknown, flag: string, zone: string, reading: TimeclockReading, flags: string[]): string | null {
  if (value === null || value === undefined) return null;
  // The zone was checked with the session; a stamp that does not read is the only failure here.
  const resolved = resolveLocalStamp(value, zone, undefined, reading.stamps);
  if (!resolved.ok) {
    flags.push(`${flag}_unreadable`);
    return null;
  }
  return resolved.value.local;
}
