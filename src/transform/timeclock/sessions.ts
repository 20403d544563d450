/** `sessions` (clock-in/out reports) → punchcard.tc_sessions rows (method "sessions"). */
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcSessions } from '../../load/tables.ts';
import { intervalColumns, LOCAL_STAMPS, parseIntervalItem, readText, sourceColumns, uniqueFlags, windowFlags, type TimeclockReading } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';

export function transformSessions(result: unknown[], account: string, window: DateWindow, reading: TimeclockReading = LOCAL_STAMPS): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];
  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const parsed = parseIntervalItem(item, employee.employeeNumber, 'session', reading);
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const { record: s, interval, zone, flags } = parsed.item;
    rows.push({
      account,
      method: 'sessions',
      employee_number: employee.employeeNumber,
      ...intervalColumns(interval, zone),
      location_type: readText(s.locationType, 'locationType', flags),
      ...sourceColumns(s, flags),
      reported_duration_seconds: null,
      start_sent_at_local: null,
      end_sent_at_local: null,
      start_note: null,
      end_note: null,
      flags: uniqueFlags(flags, employee.flags, windowFlags(interval.start.localDate, window)),
      raw: item,
    });
  });
  return {
    received: countItems(result),
    tables: [
      { spec: tcEmployeesBasic, rows: basicEmployeeRows(account, employees) },
      { spec: tcSessions('sessions'), rows },
    ],
    rejects: [...rejects, ...itemRejects],
  };
}

/** Records received: one per session item, or one per employee record that has none we could read. */
export function countItems(result: unknown[]): number {
  let count = 0;
  for (const record of result) {
    const sessions = (record as { sessions?: unknown })?.sessions;
    count += Array.isArray(sessions) ? sessions.length : sessions !== null && typeof sessions === 'object' ? Object.keys(sessions).length || 1 : 1;
  }
  return count;
}
