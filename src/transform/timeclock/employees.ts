/**
 * Walks the employee envelope every TimeClock method shares and hands each item of its
 * `sessions` list to the method's own visitor. Only an employee without an identity is rejected
 * whole; the rest of the envelope is read leniently (see common.ts).
 */
import type { RejectRow } from '../../pipeline/stream.ts';
import { parseEmployeeRecord, reject, type EmployeeRecord } from './common.ts';

export interface EmployeeWalk {
  employees: EmployeeRecord[];
  rejects: RejectRow[];
}

export function walkEmployees(result: unknown[], visit: (employee: EmployeeRecord, item: unknown) => void): EmployeeWalk {
  const employees: EmployeeRecord[] = [];
  const rejects: RejectRow[] = [];
  for (const record of result) {
    const employee = parseEmployeeRecord(record);
    if (!employee.ok) {
      rejects.push(reject(employee.reason, record));
      continue;
    }
    employees.push(employee.value);
    for (const item of employee.value.sessions) visit(employee.value, item);
  }
  return { employees, rejects };
}

export function basicEmployeeRows(account: string, employees: EmployeeRecord[]): Record<string, unknown>[] {
  return employees.map((e) => ({ account, employee_number: e.employeeNumber, email: e.email }));
}
