/**
 * `timesheet` (sessions with nested lunches and work logs) → tc_sessions (method "timesheet"),
 * tc_lunches (method "timesheet", linked by session_start_local) and tc_work_logs.
 *
 * Nested lunches and work logs carry no timezone: the session's applies. One that does not lie
 * within its session is rejected with a reason; the session and its other items still load.
 */
import { z } from 'zod';
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcLunches, tcSessions, tcWorkLogs } from '../../load/tables.ts';
import { localTimestamp, type ResolvedInterval } from '../local-time.ts';
import { dateOf, intervalColumns, parseIntervalItem, reject, stampFields, windowFlags, within } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

const nestedItem = z.looseObject({ ...stampFields });
const workLogItem = z.looseObject({
  ...stampFields,
  name: z.string().nullable().optional(),
  externalId: z.union([z.string(), z.number()]).nullable().optional(),
});
const timesheetSession = z.looseObject({
  ...stampFields,
  timezone: z.unknown().optional(),
  locationType: z.string().nullable().optional(),
  lunches: z.array(z.unknown()).nullable().optional(),
  workLogs: z.array(z.unknown()).nullable().optional(),
});

export function transformTimesheet(result: unknown[], account: string, window: DateWindow): StreamBatch {
  const sessions: Record<string, unknown>[] = [];
  const lunches: Record<string, unknown>[] = [];
  const workLogs: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];

  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const who = employee.employeeNumber;
    const parsed = parseIntervalItem(timesheetSession, item, who, 'timesheet session');
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const s = parsed.record;
    const interval = parsed.interval;
    const zone = s.timezone as string;
    const sessionStart = localTimestamp(s.startDate as string);
    const { lunches: nestedLunches, workLogs: nestedLogs, ...sessionOnly } = s;
    sessions.push({
      account,
      method: 'timesheet',
      employee_number: who,
      ...intervalColumns(s.startDate as string, s.endDate, interval, zone),
      location_type: s.locationType ?? null,
      start_source_type: s.startSourceType ?? null,
      end_source_type: s.endSourceType ?? null,
      reported_duration_seconds: null,
      start_sent_at_local: null,
      end_sent_at_local: null,
      start_note: null,
      end_note: null,
      flags: [...interval.flags, ...windowFlags(interval.start.localDate, window)],
      raw: sessionOnly,
    });

    for (const lunch of nestedLunches ?? []) {
      const nested = nestedInterval(nestedItem, lunch, zone, interval, 'lunch');
      if (!nested.ok) {
        itemRejects.push(reject(nested.reason, { ...asObject(lunch), sessionStartDate: s.startDate, timezone: zone }, who, dateOf(s.startDate)));
        continue;
      }
      const l = nested.record;
      lunches.push({
        account,
        method: 'timesheet',
        employee_number: who,
        ...intervalColumns(l.startDate as string, l.endDate, nested.interval, zone),
        start_source_type: l.startSourceType ?? null,
        end_source_type: l.endSourceType ?? null,
        session_start_local: sessionStart,
        // Owned by the session's window (see tcLunches): flagged by the session's date.
        flags: [...nested.interval.flags, ...windowFlags(interval.start.localDate, window)],
        raw: lunch,
      });
    }

    for (const log of nestedLogs ?? []) {
      const nested = nestedInterval(workLogItem, log, zone, interval, 'work log');
      if (!nested.ok) {
        itemRejects.push(reject(nested.reason, { ...asObject(log), sessionStartDate: s.startDate, timezone: zone }, who, dateOf(s.startDate)));
        continue;
      }
      const w = nested.record;
      const externalId = w.externalId === null || w.externalId === undefined ? null : String(w.externalId);
      workLogs.push({
        account,
        employee_number: who,
        start_local: localTimestamp(w.startDate as string),
        task_key: externalId ?? w.name ?? '',
        session_start_local: sessionStart,
        name: w.name ?? null,
        external_id: externalId,
        end_local: typeof w.endDate === 'string' ? localTimestamp(w.endDate) : null,
        timezone: zone,
        start_utc: nested.interval.start.utc,
        end_utc: nested.interval.end?.utc ?? null,
        work_date: interval.start.localDate,
        duration_seconds: nested.interval.durationSeconds,
        start_source_type: w.startSourceType ?? null,
        end_source_type: w.endSourceType ?? null,
        flags: [...nested.interval.flags, ...windowFlags(interval.start.localDate, window)],
        raw: log,
      });
    }
  });

  return {
    received: countItems(result),
    tables: [
      { spec: tcEmployeesBasic, rows: basicEmployeeRows(account, employees) },
      { spec: tcSessions('timesheet'), rows: sessions },
      { spec: tcLunches('timesheet'), rows: lunches },
      { spec: tcWorkLogs, rows: workLogs },
    ],
    rejects: [...rejects, ...itemRejects],
  };
}

type NestedOutcome<T> = { ok: true; record: T; interval: ResolvedInterval } | { ok: false; reason: string };

/** A lunch or work log nested in a session: the session's zone applies, and it must lie within the session. */
function nestedInterval<T extends { startDate?: unknown; endDate?: unknown }>(
  schema: z.ZodType<T>,
  item: unknown,
  zone: string,
  session: ResolvedInterval,
  what: string,
): NestedOutcome<T> {
  const parsed = parseIntervalItem(schema, item, 0, what, zone);
  if (!parsed.ok) return { ok: false, reason: parsed.reject.reason };
  if (!within(parsed.interval, session)) {
    return { ok: false, reason: `${what} ${String(parsed.record.startDate)}..${String(parsed.record.endDate)} lies outside its session` };
  }
  return parsed;
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value };
}
