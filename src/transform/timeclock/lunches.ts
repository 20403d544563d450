/** `lunches` (lunch breaks; list key still "sessions", no locationType) → tc_lunches (method "lunches"). */
import { z } from 'zod';
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcLunches } from '../../load/tables.ts';
import { intervalColumns, parseIntervalItem, stampFields, windowFlags } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';
import { countItems } from './sessions.ts';

const lunchItem = z.looseObject({ ...stampFields, timezone: z.unknown().optional() });

export function transformLunches(result: unknown[], account: string, window: DateWindow): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];
  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const parsed = parseIntervalItem(lunchItem, item, employee.employeeNumber, 'lunch');
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const { record: l, interval } = parsed;
    rows.push({
      account,
      method: 'lunches',
      employee_number: employee.employeeNumber,
      ...intervalColumns(l.startDate as string, l.endDate, interval, l.timezone as string),
      start_source_type: l.startSourceType ?? null,
      end_source_type: l.endSourceType ?? null,
      session_start_local: null,
      flags: [...interval.flags, ...windowFlags(interval.start.localDate, window)],
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
