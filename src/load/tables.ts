/**
 * The tables punchcard loads, as the loader sees them (see prisma/migrations for the DDL).
 *
 * Scopes say which rows a window owns: the rows of that account (and method) whose local work
 * date lies in the window. A row the source returned although it lies outside the requested
 * window is kept (flagged `outside_requested_window`) and owned by the window of its own date.
 */
import { columns, type TableSpec, type WindowScope } from './table-spec.ts';

const interval = {
  start_local: 'timestamp',
  end_local: 'timestamp',
  timezone: 'text',
  start_utc: 'timestamptz',
  end_utc: 'timestamptz',
  work_date: 'date',
  duration_seconds: 'integer',
} as const;

const byWorkDate =
  (method?: string) =>
  (window: WindowScope): { sql: string; params: unknown[] } =>
    method === undefined
      ? { sql: 't.account = $1 AND t.work_date BETWEEN $2::date AND $3::date', params: [window.account, window.start, window.end] }
      : {
          sql: 't.account = $1 AND t.method = $2 AND t.work_date BETWEEN $3::date AND $4::date',
          params: [window.account, method, window.start, window.end],
        };

/** Employee numbers and emails, reported by every TimeClock method. */
export const tcEmployeesBasic: TableSpec = {
  table: 'punchcard.tc_employees',
  key: ['account', 'employee_number'],
  columns: columns({ account: 'text', employee_number: 'text', email: 'text' }),
};

/** The full employee record from extended-sessions. */
export const tcEmployeesExtended: TableSpec = {
  table: 'punchcard.tc_employees',
  key: ['account', 'employee_number'],
  columns: columns({
    account: 'text',
    employee_number: 'text',
    email: 'text',
    external_id: 'bigint',
    passport: 'text',
    groups: 'jsonb',
    gender: 'text',
    birthday: 'text',
    work_started_at: 'text',
    work_ended_at: 'text',
    flags: 'text[]',
    raw: 'jsonb',
  }),
  // The person as extended-sessions sent it last: a null there (a rehire's workEndedAt) is the value.
  // The e-mail is not among them: sessions, lunches and timesheet send it too.
  nullClears: ['external_id', 'passport', 'groups', 'gender', 'birthday', 'work_started_at', 'work_ended_at', 'flags', 'raw'],
};

const sessionColumns = columns({
  account: 'text',
  method: 'text',
  employee_number: 'text',
  ...interval,
  location_type: 'text',
  start_source_type: 'text',
  end_source_type: 'text',
  reported_duration_seconds: 'integer',
  start_sent_at_local: 'timestamp',
  end_sent_at_local: 'timestamp',
  start_note: 'text',
  end_note: 'text',
  flags: 'text[]',
  raw: 'jsonb',
});

export function tcSessions(method: 'sessions' | 'timesheet' | 'extended-sessions'): TableSpec {
  return {
    table: 'punchcard.tc_sessions',
    key: ['account', 'method', 'employee_number', 'start_local'],
    columns: sessionColumns,
    scope: byWorkDate(method),
  };
}

export function tcLunches(method: 'lunches' | 'timesheet'): TableSpec {
  return {
    table: 'punchcard.tc_lunches',
    key: ['account', 'method', 'employee_number', 'start_local'],
    columns: columns({
      account: 'text',
      method: 'text',
      employee_number: 'text',
      ...interval,
      start_source_type: 'text',
      end_source_type: 'text',
      session_start_local: 'timestamp',
      flags: 'text[]',
      raw: 'jsonb',
    }),
    // `lunches` answers by the lunch's own start date; `timesheet` by its session's start date
    // (a night shift's lunch after midnight comes with the session, in the session's window).
    scope:
      method === 'lunches'
        ? byWorkDate(method)
        : (window) => ({
            sql: `t.account = $1 AND t.method = $2 AND t.session_start_local >= $3::date AND t.session_start_local < $4::date + 1`,
            params: [window.account, method, window.start, window.end],
          }),
  };
}

export const tcWorkLogs: TableSpec = {
  table: 'punchcard.tc_work_logs',
  key: ['account', 'employee_number', 'start_local', 'task_key'],
  columns: columns({
    account: 'text',
    employee_number: 'text',
    start_local: 'timestamp',
    task_key: 'text',
    session_start_local: 'timestamp',
    name: 'text',
    external_id: 'text',
    end_local: 'timestamp',
    timezone: 'text',
    start_utc: 'timestamptz',
    end_utc: 'timestamptz',
    work_date: 'date',
    duration_seconds: 'integer',
    start_source_type: 'text',
    end_source_type: 'text',
    flags: 'text[]',
    raw: 'jsonb',
  }),
  scope: byWorkDate(),
};

export const tcAbsences: TableSpec = {
  table: 'punchcard.tc_absences',
  key: ['account', 'employee_number', 'start_local'],
  columns: columns({
    account: 'text',
    employee_number: 'text',
    ...interval,
    absence_name: 'text',
    absence_note: 'text',
    absence_approved_date: 'text',
    absence_approved_manager: 'text',
    absence_code_days: 'text',
    absence_code_hours: 'text',
    flags: 'text[]',
    raw: 'jsonb',
  }),
  scope: byWorkDate(),
};

export const tcPeriodTotals: TableSpec = {
  table: 'punchcard.tc_period_totals',
  key: ['account', 'employee_number', 'period_start', 'period_end'],
  columns: columns({
    account: 'text',
    employee_number: 'text',
    period_start: 'date',
    period_end: 'date',
    total_worked_seconds: 'bigint',
    total_leave_seconds: 'bigint',
    expected_seconds: 'bigint',
    flags: 'text[]',
    raw: 'jsonb',
  }),
  scope: (window) => ({
    sql: 't.account = $1 AND t.period_start >= $2::date AND t.period_end <= $3::date',
    params: [window.account, window.start, window.end],
  }),
};
