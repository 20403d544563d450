-- Payroll views: worked, lunch and net time per employee per day, ISO week and month, with
-- absences and expected time.

-- One row per employee and local work date that has sessions, absences or an expected-time total.
CREATE VIEW reporting.payroll_daily AS
WITH session_days AS (
  SELECT s.account, s.employee_number, s.work_date,
         min(s.start_utc)                                              AS first_in_utc,
         max(s.end_utc)                                                AS last_out_utc,
         count(*)::int                                                 AS sessions,
         coalesce(sum(s.duration_seconds), 0)::bigint                  AS worked_seconds,
         count(*) FILTER (WHERE s.end_utc IS NULL)::int                AS open_sessions,
         bool_or(s.flags && ARRAY['start_in_dst_gap', 'end_in_dst_gap', 'start_in_dst_overlap', 'end_in_dst_overlap']) AS dst_resolved,
         bool_or(s.duration_seconds > 16 * 3600)                       AS over_16h
  FROM punchcard.sessions s
  GROUP BY 1, 2, 3
), lunch_days AS (
  -- Lunches count to the work date of the session they lie in (a lunch after midnight in a night
  -- shift belongs to the shift's day). Open lunches count nothing yet.
  SELECT s.account, s.employee_number, s.work_date, coalesce(sum(l.duration_seconds), 0)::bigint AS lunch_seconds
  FROM punchcard.lunches l
  JOIN punchcard.sessions s ON (s.account, s.employee_number, s.start_local) = (l.account, l.employee_number, l.session_start_local)
  GROUP BY 1, 2, 3
), absence_days AS (
  SELECT account, employee_number, work_date,
         coalesce(sum(duration_seconds), 0)::bigint AS absence_seconds,
         array_agg(DISTINCT absence_name ORDER BY absence_name) FILTER (WHERE absence_name IS NOT NULL) AS absence_names
  FROM punchcard.tc_absences
  WHERE deleted_at IS NULL
  GROUP BY 1, 2, 3
), expected_days AS (
  SELECT account, employee_number, period_start AS work_date, expected_seconds
  FROM punchcard.tc_period_totals
  WHERE deleted_at IS NULL AND period_start = period_end
), reject_days AS (
  SELECT account, employee_number, work_date, count(*)::int AS rejects
  FROM punchcard.rejects
  WHERE source = 'timeclock' AND employee_number IS NOT NULL AND work_date IS NOT NULL
  GROUP BY 1, 2, 3
), days AS (
  SELECT account, employee_number, work_date FROM session_days
  UNION SELECT account, employee_number, work_date FROM absence_days
  UNION SELECT account, employee_number, work_date FROM expected_days WHERE expected_seconds > 0
)
SELECT d.account,
       d.employee_number,
       coalesce(n.display_name, 'Employee ' || d.employee_number)                    AS display_name,
       d.work_date,
       sd.first_in_utc,
       sd.last_out_utc,
       coalesce(sd.sessions, 0)                                                      AS sessions,
       coalesce(sd.worked_seconds, 0)                                                AS worked_seconds,
       coalesce(ld.lunch_seconds, 0)                                                 AS lunch_seconds,
       coalesce(sd.worked_seconds, 0) - coalesce(ld.lunch_seconds, 0)                AS net_seconds,
       coalesce(ad.absence_seconds, 0)                                               AS absence_seconds,
       coalesce(ad.absence_names, ARRAY[]::text[])                                   AS absence_names,
       ed.expected_seconds,
       coalesce(sd.worked_seconds, 0) - coalesce(ld.lunch_seconds, 0) - ed.expected_seconds AS overtime_seconds,
       coalesce(sd.open_sessions, 0)                                                 AS open_sessions,
       array_remove(ARRAY[
         CASE WHEN sd.dst_resolved THEN 'dst_resolved' END,
         CASE WHEN rd.rejects > 0 THEN 'has_rejects' END,
         CASE WHEN sd.over_16h THEN 'session_over_16h' END,
         CASE WHEN sd.open_sessions > 0 THEN 'open_session' END
       ], NULL)                                                                      AS flags
FROM days d
LEFT JOIN session_days sd USING (account, employee_number, work_date)
LEFT JOIN lunch_days ld USING (account, employee_number, work_date)
LEFT JOIN absence_days ad USING (account, employee_number, work_date)
LEFT JOIN expected_days ed USING (account, employee_number, work_date)
LEFT JOIN reject_days rd USING (account, employee_number, work_date)
LEFT JOIN punchcard.employee_names n USING (account, employee_number);

COMMENT ON VIEW reporting.payroll_daily IS 'Payroll per employee and local work date: worked, lunch and net time, absences, expected time and overtime. A session counts to the local date of its start in its own zone: a shift crossing midnight counts to the day it started. Open sessions (still clocked in) count 0 worked seconds until they end.';
COMMENT ON COLUMN reporting.payroll_daily.work_date IS 'Local date of the session start in the session''s zone (also the date of absences and of the expected-time total).';
COMMENT ON COLUMN reporting.payroll_daily.first_in_utc IS 'Earliest clock-in of the day (UTC).';
COMMENT ON COLUMN reporting.payroll_daily.last_out_utc IS 'Latest clock-out of the day (UTC); sessions still open are not counted.';
COMMENT ON COLUMN reporting.payroll_daily.sessions IS 'Number of live sessions that started on this day.';
COMMENT ON COLUMN reporting.payroll_daily.worked_seconds IS 'Sum of real elapsed seconds of the day''s closed sessions (DST-correct).';
COMMENT ON COLUMN reporting.payroll_daily.lunch_seconds IS 'Seconds of closed lunches inside those sessions.';
COMMENT ON COLUMN reporting.payroll_daily.net_seconds IS 'worked_seconds minus lunch_seconds.';
COMMENT ON COLUMN reporting.payroll_daily.absence_seconds IS 'Reported seconds of absences on this day (vacation, sick leave, ...).';
COMMENT ON COLUMN reporting.payroll_daily.absence_names IS 'Names of the day''s absences.';
COMMENT ON COLUMN reporting.payroll_daily.expected_seconds IS 'Expected seconds for the day from TimeClock''s per-day totals (extended-sessions asked one day at a time); NULL when unknown.';
COMMENT ON COLUMN reporting.payroll_daily.overtime_seconds IS 'net_seconds minus expected_seconds; NULL when expected_seconds is unknown.';
COMMENT ON COLUMN reporting.payroll_daily.open_sessions IS 'Sessions of the day still clocked in.';
COMMENT ON COLUMN reporting.payroll_daily.flags IS 'dst_resolved (a stamp was resolved by the DST rule), has_rejects (records of this employee and day were rejected: see punchcard.rejects), session_over_16h, open_session.';

CREATE VIEW reporting.payroll_weekly AS
SELECT account, employee_number, min(display_name) AS display_name,
       to_char(work_date, 'IYYY-"W"IW')                     AS iso_week,
       date_trunc('week', work_date)::date                  AS week_start,
       count(*) FILTER (WHERE sessions > 0)::int            AS days_worked,
       sum(sessions)::int                                   AS sessions,
       sum(worked_seconds)::bigint                          AS worked_seconds,
       sum(lunch_seconds)::bigint                           AS lunch_seconds,
       sum(net_seconds)::bigint                             AS net_seconds,
       sum(absence_seconds)::bigint                         AS absence_seconds,
       sum(expected_seconds)::bigint                        AS expected_seconds,
       sum(overtime_seconds)::bigint                        AS overtime_seconds,
       sum(open_sessions)::int                              AS open_sessions
FROM reporting.payroll_daily
GROUP BY account, employee_number, to_char(work_date, 'IYYY-"W"IW'), date_trunc('week', work_date);
COMMENT ON VIEW reporting.payroll_weekly IS 'reporting.payroll_daily summed per ISO week (Monday to Sunday; iso_week like 2025-W44).';
COMMENT ON COLUMN reporting.payroll_weekly.expected_seconds IS 'Sum over the days whose expected time is known.';
COMMENT ON COLUMN reporting.payroll_weekly.overtime_seconds IS 'Sum of daily overtime over the days whose expected time is known.';

CREATE VIEW reporting.payroll_monthly AS
SELECT account, employee_number, min(display_name) AS display_name,
       to_char(work_date, 'YYYY-MM')                        AS month,
       date_trunc('month', work_date)::date                 AS month_start,
       count(*) FILTER (WHERE sessions > 0)::int            AS days_worked,
       sum(sessions)::int                                   AS sessions,
       sum(worked_seconds)::bigint                          AS worked_seconds,
       sum(lunch_seconds)::bigint                           AS lunch_seconds,
       sum(net_seconds)::bigint                             AS net_seconds,
       sum(absence_seconds)::bigint                         AS absence_seconds,
       sum(expected_seconds)::bigint                        AS expected_seconds,
       sum(overtime_seconds)::bigint                        AS overtime_seconds,
       sum(open_sessions)::int                              AS open_sessions
FROM reporting.payroll_daily
GROUP BY account, employee_number, to_char(work_date, 'YYYY-MM'), date_trunc('month', work_date);
COMMENT ON VIEW reporting.payroll_monthly IS 'reporting.payroll_daily summed per calendar month of the work date.';
COMMENT ON COLUMN reporting.payroll_monthly.month IS 'YYYY-MM of the work date.';
