/**
 * `extended-sessions` (attendance with employee metadata) → tc_employees (full record),
 * tc_sessions (method "extended-sessions": reported duration, notes, sent-at stamps),
 * tc_absences (items with isAbsence true) and tc_period_totals.
 *
 * The stream asks one day per request so that expected time is known per day; the answer handed
 * to this transform is the list of those daily answers.
 */
import { z } from 'zod';
import type { DateWindow, RejectRow, StreamBatch } from '../../pipeline/stream.ts';
import { tcAbsences, tcEmployeesExtended, tcPeriodTotals, tcSessions } from '../../load/tables.ts';
import { checkLocalStamp, localTimestamp } from '../local-time.ts';
import { intervalColumns, parseIntervalItem, reject, stampFields, windowFlags, zodReason } from './common.ts';
import { walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

export interface ExtendedDayAnswer {
  date: string; // the day asked for (startDate = endDate)
  result: unknown[];
}

const text = z.string().nullable().optional();
const textOrNumber = z.union([z.string(), z.number()]).nullable().optional();
const seconds = z.union([z.number().int(), z.string().regex(/^-?\d+$/)]).nullable().optional();

const extendedEmployee = z.looseObject({
  id: z.union([z.number().int(), z.string().regex(/^\d+$/)]).nullable().optional(),
  passport: text,
  groups: z.array(z.unknown()).nullable().optional(),
  workStartedAt: text,
  workEndedAt: text,
  birthday: text,
  gender: text,
  totalWorkedSeconds: seconds,
  totalLeaveSeconds: seconds,
  expectedSeconds: seconds,
});

const extendedSession = z.looseObject({
  ...stampFields,
  timezone: z.unknown().optional(),
  locationType: text,
  startDateSentAt: z.unknown().optional(),
  endDateSentAt: z.unknown().optional(),
  startNote: text,
  endNote: text,
  duration: seconds,
  isAbsence: z.boolean().nullable().optional(),
  absenceName: text,
  absenceNote: text,
  absenceApprovedDate: text,
  absenceApprovedManager: textOrNumber,
  absenceCodeDays: textOrNumber,
  absenceCodeHors: textOrNumber,
});

export function transformExtendedSessions(days: ExtendedDayAnswer[], account: string, window: DateWindow): StreamBatch {
  const employees = new Map<number, Record<string, unknown>>();
  const sessions: Record<string, unknown>[] = [];
  const absences: Record<string, unknown>[] = [];
  const totals: Record<string, unknown>[] = [];
  const rejects: RejectRow[] = [];
  let received = 0;

  for (const day of days) {
    received += countItems(day.result);
    const walk = walkEmployees(day.result, (employee, item) => {
      const who = employee.employeeNumber;
      const parsed = parseIntervalItem(extendedSession, item, who, 'extended session');
      if (!parsed.ok) {
        rejects.push(parsed.reject);
        return;
      }
      const s = parsed.record;
      const interval = parsed.interval;
      const base = {
        account,
        employee_number: who,
        ...intervalColumns(s.startDate as string, s.endDate, interval, s.timezone as string),
      };
      const flags = [...interval.flags, ...windowFlags(interval.start.localDate, window)];
      if (s.isAbsence === true) {
        absences.push({
          ...base,
          // An absence's reported duration is what payroll counts; fall back to the stamps.
          duration_seconds: toInt(s.duration) ?? interval.durationSeconds,
          absence_name: s.absenceName ?? null,
          absence_note: s.absenceNote ?? null,
          absence_approved_date: s.absenceApprovedDate ?? null,
          absence_approved_manager: nullableText(s.absenceApprovedManager),
          absence_code_days: nullableText(s.absenceCodeDays),
          absence_code_hours: nullableText(s.absenceCodeHors),
          flags,
          raw: item,
        });
        return;
      }
      const startSent = sentAt(s.startDateSentAt, 'start_sent_at', flags);
      const endSent = sentAt(s.endDateSentAt, 'end_sent_at', flags);
      sessions.push({
        ...base,
        method: 'extended-sessions',
        location_type: s.locationType ?? null,
        start_source_type: s.startSourceType ?? null,
        end_source_type: s.endSourceType ?? null,
        reported_duration_seconds: toInt(s.duration),
        start_sent_at_local: startSent,
        end_sent_at_local: endSent,
        start_note: s.startNote ?? null,
        end_note: s.endNote ?? null,
        flags,
        raw: item,
      });
    });
    for (const row of walk.rejects) rejects.push(row); // no spread: the answer decides how many

    for (const employee of walk.employees) {
      const parsed = extendedEmployee.safeParse(employee.raw);
      const who = employee.employeeNumber;
      if (!parsed.success) {
        // The sessions above still load; only the metadata and totals of this record are refused.
        const { sessions: _sessions, ...metadata } = employee.raw;
        rejects.push(reject(`extended employee: ${zodReason(parsed.error)}`, metadata, who, day.date));
        continue;
      }
      const e = parsed.data;
      employees.set(who, {
        account,
        employee_number: who,
        email: employee.email,
        external_id: toInt(e.id),
        passport: e.passport ?? null,
        groups: e.groups ?? null,
        gender: e.gender ?? null,
        birthday: e.birthday ?? null,
        work_started_at: e.workStartedAt ?? null,
        work_ended_at: e.workEndedAt ?? null,
      });
      totals.push({
        account,
        employee_number: who,
        period_start: day.date,
        period_end: day.date,
        total_worked_seconds: toInt(e.totalWorkedSeconds),
        total_leave_seconds: toInt(e.totalLeaveSeconds),
        expected_seconds: toInt(e.expectedSeconds),
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

function toInt(value: number | string | null | undefined): number | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'number' ? value : Number(value);
}

function nullableText(value: string | number | null | undefined): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** Sent-at stamps are informational: a malformed one is stored as NULL and flagged, not rejected. */
function sentAt(value: unknown, flag: string, flags: string[]): string | null {
  if (value === null || value === undefined) return null;
  if (checkLocalStamp(value) !== undefined) {
    flags.push(`${flag}_unreadable`);
    return null;
  }
  return localTimestamp(value as string);
}
