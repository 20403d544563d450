/** `lunches` (lunch breaks; list key still "sessions", no locationType) → tc_lunches (method "lunches"). */
import { z } from 'zod';
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcLunches } from '../../load/tables.ts';
import { dateOf, intervalColumns, reject, resolveRecordInterval, stampFields, windowFlags, zodReason } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

const lunchItem = z.looseObject({ ...stampFields, timezone: z.unknown().optional() });

export function transformLunches(result: unknown[], account: string, window: DateWindow): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];
  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const parsed = lunchItem.safeParse(item);
    if (!parsed.success) {
      itemRejects.push(reject(`lunch: ${zodReason(parsed.error)}`, item, employee.employeeNumber));
      return;
    }
    const l = parsed.data;
    const interval = resolveRecordInterval(l, l.timezone);
    if (!interval.ok) {
      itemRejects.push(reject(`lunch: ${interval.reason}`, item, employee.employeeNumber, dateOf(l.startDate)));
      return;
    }
    rows.push({
      account,
      method: 'lunches',
      employee_number: employee.employeeNumber,
      ...intervalColumns(l.startDate as string, l.endDate, interval.value, l.timezone as string),
      start_source_type: l.startSourceType ?? null,
      end_source_type: l.endSourceType ?? null,
      session_start_local: null,
      flags: [...interval.value.flags, ...windowFlags(interval.value.start.localDate, window)],
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
