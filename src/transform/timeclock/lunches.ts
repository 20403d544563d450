/** `lunches` (lunch breaks; list key still "sessions", no locationType) → tc_lunches (method "lunches"). */
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcLunches } from '../../load/tables.ts';
import { intervalColumns, LOCAL_STAMPS, parseIntervalItem, sourceColumns, uniqueFlags, windowFlags, type TimeclockReading } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

export function transformLunches(result: unknown[], account: string, window: DateWindow, reading: TimeclockReading = LOCAL_STAMPS): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];
  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const parsed = parseIntervalItem(item, employee.employeeNumber, 'lunch', reading);
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const { record: l, interval, zone, flags } = parsed.item;
    rows.push({
      account,
      method: 'lunches',
      employee_number: employee.employeeNumber,
      ...intervalColumns(interval, zone),
      ...sourceColumns(l, flags),
      session_start_local: null,
      flags: uniqueFlags(flags, employee.flags, windowFlags(interval.start.localDate, window)),
      raw: item,
    });
  });
  return {
    received: countItems(result),
    tables: [
      { spec: tcEmployeesBasic, rows: basicEmployeeRows(account, employees) },
      { spec: tcLunches('lunches'), rows },
    ],
    rejects: [...rejects, ...itemRejects],
  };
}
