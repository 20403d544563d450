/**
 * `timesheet` (sessions with nested lunches and work logs) → tc_sessions (method "timesheet"),
 * tc_lunches (method "timesheet", linked by session_start_local) and tc_work_logs.
 *
 * Nested lunches and work logs carry no timezone: the session's applies. One that does not lie
 * within its session loads flagged `outside_session` (payroll deducts only the part of such a
 * lunch that overlaps the session: see reporting.payroll_daily).
 */
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcLunches, tcSessions, tcWorkLogs } from '../../load/tables.ts';
import {
  dateOf,
  intervalColumns,
  isObject,
  LOCAL_STAMPS,
  parseIntervalItem,
  readList,
  readText,
  reject,
  sourceColumns,
  uniqueFlags,
  windowFlags,
  within,
  type IntervalItem,
  type TimeclockReading,
} from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

export function transformTimesheet(result: unknown[], account: string, window: DateWindow, reading: TimeclockReading = LOCAL_STAMPS): StreamBatch {
  const sessions: Record<string, unknown>[] = [];
  const lunches: Record<string, unknown>[] = [];
  const workLogs: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];

  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const who = employee.employeeNumber;
    const parsed = parseIntervalItem(item, who, 'timesheet session', reading);
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const { record: s, interval, zone, flags } = parsed.item;
    const sessionStart = interval.start.local;
    const { lunches: nestedLunches, workLogs: nestedLogs, ...sessionOnly } = s;
    const ownerFlags = windowFlags(interval.start.localDate, window);
    const nestedLunchList = readList(nestedLunches, 'lunches', flags);
    const nestedLogList = readList(nestedLogs, 'workLogs', flags);
    sessions.push({
      account,
      method: 'timesheet',
      employee_number: who,
      ...intervalColumns(interval, zone),
      location_type: readText(s.locationType, 'locationType', flags),
      ...sourceColumns(s, flags),
      reported_duration_seconds: null,
      start_sent_at_local: null,
      end_sent_at_local: null,
      start_note: null,
      end_note: null,
      flags: uniqueFlags(flags, employee.flags, ownerFlags),
      raw: sessionOnly,
    });

    const nested = (child: unknown, what: string): IntervalItem | undefined => {
      const result = parseIntervalItem(child, who, what, reading, zone);
      if (!result.ok) {
        itemRejects.push(reject(result.reject.reason, { ...asObject(child), sessionStartDate: s.startDate, timezone: zone }, who, dateOf(s.startDate)));
        return undefined;
      }
      if (!within(result.item.interval, interval)) result.item.flags.push('outside_session');
      return result.item;
    };

    for (const lunch of nestedLunchList) {
      const l = nested(lunch, 'lunch');
      if (!l) continue;
      lunches.push({
        account,
        method: 'timesheet',
        employee_number: who,
        ...intervalColumns(l.interval, zone),
        ...sourceColumns(l.record, l.flags),
        session_start_local: sessionStart,
        // Owned by the session's window (see tcLunches): flagged by the session's date.
        flags: uniqueFlags(l.flags, employee.flags, ownerFlags),
        raw: lunch,
      });
    }

    for (const log of nestedLogList) {
      const w = nested(log, 'work log');
      if (!w) continue;
      const name = readText(w.record.name, 'name', w.flags);
      const externalId = readText(w.record.externalId, 'externalId', w.flags);
      workLogs.push({
        account,
        employee_number: who,
        ...intervalColumns(w.interval, zone),
        work_date: interval.start.localDate, // the session's work date, not the log's own
        task_key: externalId ?? name ?? '',
        session_start_local: sessionStart,
        name,
        external_id: externalId,
        ...sourceColumns(w.record, w.flags),
        flags: uniqueFlags(w.flags, employee.flags, ownerFlags),
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

function asObject(value: unknown): Record<string, unknown> {
  return isObject(value) ? value : { value };
}
