/** `sessions` (clock-in/out reports) → punchcard.tc_sessions rows (method "sessions"). */
import { z } from 'zod';
import type { DateWindow, StreamBatch } from '../../pipeline/stream.ts';
import { tcEmployeesBasic, tcSessions } from '../../load/tables.ts';
import { intervalColumns, parseIntervalItem, stampFields, windowFlags } from './common.ts';
import { basicEmployeeRows, walkEmployees } from './employees.ts';

const sessionItem = z.looseObject({
  ...stampFields,
  timezone: z.unknown().optional(),
  locationType: z.string().nullable().optional(),
});

export function transformSessions(result: unknown[], account: string, window: DateWindow): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const itemRejects: StreamBatch['rejects'] = [];
  const { employees, rejects } = walkEmployees(result, (employee, item) => {
    const parsed = parseIntervalItem(sessionItem, item, employee.employeeNumber, 'session');
    if (!parsed.ok) {
      itemRejects.push(parsed.reject);
      return;
    }
    const { record: s, interval } = parsed;
    rows.push({
      account,
      method: 'sessions',
      employee_number: employee.employeeNumber,
      ...intervalColumns(s.startDate as string, s.endDate, interval, s.timezone as string),
      location_type: s.locationType ?? null,
      start_source_type: s.startSourceType ?? null,
      end_source_type: s.endSourceType ?? null,
      reported_duration_seconds: null,
      start_sent_at_local: null,
      end_sent_at_local: null,
      start_note: null,
      end_note: null,
      flags: [...interval.flags, ...windowFlags(interval.start.localDate, window)],
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
    count += Array.isArray(sessions) ? sessions.length : 1;
  }
  return count;
}
