-- TimeClock employee numbers are identities, not integers (issue 16): the document sends them as
-- JSON numbers in three methods and as a string in one, and real numbers can carry letters
-- ("A-17") or leading zeros ("0042"). Every employee_number becomes text in one canonical form:
-- a JSON number is written in plain decimal (42 -> '42'), a string is kept as sent, trimmed
-- ('0042' stays '0042', ' A-17 ' becomes 'A-17'). bigint::text is exactly the canonical form of
-- the numbers loaded so far, so existing rows keep their identity.
--
-- Also (same issue): a lunch is linked to the session it overlaps and payroll deducts only the part
-- of a lunch that lies inside its session; extended-sessions keeps employee fields of an
-- unexpected shape (flags, raw) instead of refusing the employee record.
--
-- Views depend on the columns, so they are dropped, the columns converted, and the views created
-- again (same names, columns and comments; the BI role's default privileges cover them again).

DROP VIEW reporting.reconciliation_monthly;
DROP VIEW reporting.reconciliation_daily;
DROP VIEW reporting.employee_links;
DROP VIEW reporting.restatements;
DROP VIEW reporting.payroll_snapshots;
DROP VIEW reporting.payroll_monthly;
DROP VIEW reporting.payroll_weekly;
DROP VIEW reporting.payroll_daily;
DROP VIEW reporting.absences;
DROP VIEW reporting.work_logs;
DROP VIEW reporting.lunches;
DROP VIEW reporting.work_sessions;
DROP VIEW reporting.employees;
DROP VIEW punchcard.lunches;
DROP VIEW punchcard.sessions;
DROP VIEW punchcard.employee_names;
DROP VIEW punchcard.employee_link_resolution;

ALTER TABLE punchcard.tc_employees            ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.tc_sessions             ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.tc_lunches              ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.tc_work_logs            ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.tc_absences             ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.tc_period_totals        ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.rejects                 ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.payroll_snapshots       ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.restatements            ALTER COLUMN employee_number TYPE text USING employee_number::text;
ALTER TABLE punchcard.employee_link_overrides ALTER COLUMN employee_number TYPE text USING employee_number::text;

-- extended-sessions employee metadata and per-day totals of an unexpected shape load flagged, with
-- the fields as sent (raw) next to what could be read from them.
ALTER TABLE punchcard.tc_employees     ADD COLUMN flags TEXT[] NOT NULL DEFAULT '{}', ADD COLUMN raw JSONB;
ALTER TABLE punchcard.tc_period_totals ADD COLUMN flags TEXT[] NOT NULL DEFAULT '{}', ADD COLUMN raw JSONB;

-- TimeClock model -----------------------------------------------------------------------------
CREATE VIEW punchcard.employee_link_resolution AS
WITH tc AS (
  SELECT account, employee_number, email FROM punchcard.tc_employees
), ck AS (
  SELECT account, id, name, number, email FROM punchcard.ck_users WHERE deleted_at IS NULL
), candidates AS (
  SELECT o.timeclock_account AS tc_account, o.employee_number, o.clockodo_account AS ck_account, o.clockodo_user_id AS ck_user_id, 'manual' AS method, 1 AS rank
  FROM punchcard.employee_link_overrides o
  UNION ALL
  -- Both sides in canonical form: a clockodo number is text, trimmed, as a TimeClock one is.
  SELECT tc.account, tc.employee_number, ck.account, ck.id, 'number', 2
  FROM tc JOIN ck ON btrim(ck.number) = tc.employee_number
  UNION ALL
  SELECT tc.account, tc.employee_number, ck.account, ck.id, 'email', 3
  FROM tc JOIN ck ON lower(btrim(ck.email)) = lower(btrim(tc.email))
  WHERE tc.email IS NOT NULL AND tc.email <> ''
), ranked AS (
  SELECT c.*,
         row_number() OVER (PARTITION BY tc_account, employee_number ORDER BY rank, ck_account, ck_user_id) AS tc_choice,
         row_number() OVER (PARTITION BY ck_account, ck_user_id ORDER BY rank, tc_account, employee_number) AS ck_choice
  FROM candidates c
)
SELECT r.tc_account, r.employee_number, r.ck_account, r.ck_user_id, r.method, u.name AS ck_name, u.number AS ck_number
FROM ranked r
LEFT JOIN punchcard.ck_users u ON (u.account, u.id) = (r.ck_account, r.ck_user_id)
WHERE r.tc_choice = 1 AND r.ck_choice = 1;

CREATE VIEW punchcard.employee_names AS
SELECT e.account, e.employee_number, coalesce(l.ck_name, 'Employee ' || e.employee_number) AS display_name
FROM punchcard.tc_employees e
LEFT JOIN punchcard.employee_link_resolution l ON (l.tc_account, l.employee_number) = (e.account, e.employee_number);

CREATE VIEW punchcard.sessions AS
WITH live AS (
  SELECT s.*, CASE s.method WHEN 'sessions' THEN 1 WHEN 'timesheet' THEN 2 ELSE 3 END AS precedence
  FROM punchcard.tc_sessions s
  WHERE s.deleted_at IS NULL
)
SELECT
  account,
  employee_number,
  start_local,
  (array_agg(end_local ORDER BY precedence))[1]                                               AS end_local,
  (array_agg(timezone ORDER BY precedence))[1]                                                AS timezone,
  (array_agg(start_utc ORDER BY precedence))[1]                                               AS start_utc,
  (array_agg(end_utc ORDER BY precedence))[1]                                                 AS end_utc,
  min(work_date)                                                                              AS work_date,
  (array_agg(duration_seconds ORDER BY precedence))[1]                                        AS duration_seconds,
  (array_agg(location_type ORDER BY precedence) FILTER (WHERE location_type IS NOT NULL))[1]  AS location_type,
  (array_agg(start_source_type ORDER BY precedence) FILTER (WHERE start_source_type IS NOT NULL))[1] AS start_source_type,
  (array_agg(end_source_type ORDER BY precedence) FILTER (WHERE end_source_type IS NOT NULL))[1]     AS end_source_type,
  max(reported_duration_seconds) FILTER (WHERE method = 'extended-sessions')                  AS reported_duration_seconds,
  max(start_sent_at_local) FILTER (WHERE method = 'extended-sessions')                        AS start_sent_at_local,
  max(end_sent_at_local) FILTER (WHERE method = 'extended-sessions')                          AS end_sent_at_local,
  max(start_note) FILTER (WHERE method = 'extended-sessions')                                 AS start_note,
  max(end_note) FILTER (WHERE method = 'extended-sessions')                                   AS end_note,
  array_agg(method ORDER BY precedence)                                                       AS methods,
  ARRAY(
    SELECT DISTINCT f FROM unnest(string_to_array(string_agg(array_to_string(flags, ','), ','), ',')) AS f
    WHERE f <> '' ORDER BY f
  ) || CASE WHEN count(DISTINCT coalesce(end_utc::text, 'open')) > 1
            THEN ARRAY['methods_disagree_on_end'] ELSE ARRAY[]::text[] END                    AS flags
FROM live
GROUP BY account, employee_number, start_local;

-- One row per real-world lunch: from `lunches` and/or nested in `timesheet` (which links it to
-- its session). Precedence: lunches > timesheet. A lunch only `lunches` reported is linked to the
-- live session it overlaps (the one containing its start first); one that does not lie wholly
-- inside that session is flagged outside_session, as the timesheet transform flags nested ones.
CREATE VIEW punchcard.lunches AS
WITH live AS (
  SELECT l.*, CASE l.method WHEN 'lunches' THEN 1 ELSE 2 END AS precedence
  FROM punchcard.tc_lunches l
  WHERE l.deleted_at IS NULL
), merged AS (
  SELECT
    account,
    employee_number,
    start_local,
    (array_agg(end_local ORDER BY precedence))[1]        AS end_local,
    (array_agg(timezone ORDER BY precedence))[1]         AS timezone,
    (array_agg(start_utc ORDER BY precedence))[1]        AS start_utc,
    (array_agg(end_utc ORDER BY precedence))[1]          AS end_utc,
    min(work_date)                                       AS work_date,
    (array_agg(duration_seconds ORDER BY precedence))[1] AS duration_seconds,
    (array_agg(start_source_type ORDER BY precedence) FILTER (WHERE start_source_type IS NOT NULL))[1] AS start_source_type,
    (array_agg(end_source_type ORDER BY precedence) FILTER (WHERE end_source_type IS NOT NULL))[1]     AS end_source_type,
    max(session_start_local)                             AS linked_session_start_local,
    array_agg(method ORDER BY precedence)                AS methods,
    ARRAY(
      SELECT DISTINCT f FROM unnest(string_to_array(string_agg(array_to_string(flags, ','), ','), ',')) AS f
      WHERE f <> '' ORDER BY f
    ) || CASE WHEN count(DISTINCT coalesce(end_utc::text, 'open')) > 1
              THEN ARRAY['methods_disagree_on_end'] ELSE ARRAY[]::text[] END AS flags
  FROM live
  GROUP BY account, employee_number, start_local
)
SELECT m.account, m.employee_number, m.start_local, m.end_local, m.timezone, m.start_utc, m.end_utc,
       m.work_date, m.duration_seconds, m.start_source_type, m.end_source_type,
       coalesce(m.linked_session_start_local, overlapping.start_local) AS session_start_local,
       m.methods,
       m.flags || CASE WHEN overlapping.contained = false AND NOT m.flags @> ARRAY['outside_session']
                       THEN ARRAY['outside_session'] ELSE ARRAY[]::text[] END AS flags
FROM merged m
LEFT JOIN LATERAL (
  SELECT s.start_local,
         s.start_utc <= m.start_utc AND (s.end_utc IS NULL OR s.end_utc >= coalesce(m.end_utc, m.start_utc)) AS contained
  FROM punchcard.sessions s
  WHERE m.linked_session_start_local IS NULL
    AND s.account = m.account AND s.employee_number = m.employee_number
    AND s.start_utc <= coalesce(m.end_utc, m.start_utc) AND (s.end_utc IS NULL OR s.end_utc >= m.start_utc)
  ORDER BY (s.start_utc <= m.start_utc) DESC, s.start_utc DESC LIMIT 1
) overlapping ON true;

-- Reporting ---------------------------------------------------------------------------------
CREATE VIEW reporting.employees AS
SELECT e.account, e.employee_number, n.display_name,
       CASE WHEN (SELECT value FROM punchcard.settings WHERE key = 'expose_personal_data') = 'true' THEN e.email END AS email,
       e.first_seen_at
FROM punchcard.tc_employees e
JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.employees IS 'TimeClock employees: number and display name. Personal data (email) only when the setting expose_personal_data is true (PUNCHCARD_EXPOSE_PERSONAL_DATA=1); passport, birthday and gender never appear in reporting.';
COMMENT ON COLUMN reporting.employees.employee_number IS 'TimeClock employeeNumber as text in canonical form: a JSON number in plain decimal (42 -> 42), a string as sent, trimmed (0042 stays 0042, A-17 stays A-17).';
COMMENT ON COLUMN reporting.employees.display_name IS 'Name for reports: the linked clockodo user''s name when known, else "Employee <number>".';
COMMENT ON COLUMN reporting.employees.email IS 'NULL unless expose_personal_data is enabled.';

CREATE VIEW reporting.work_sessions AS
SELECT s.account, s.employee_number, n.display_name,
       CASE WHEN (SELECT value FROM punchcard.settings WHERE key = 'expose_personal_data') = 'true' THEN e.email END AS email,
       s.work_date, s.start_utc, s.end_utc, s.start_local, s.end_local, s.timezone, s.duration_seconds,
       s.location_type, s.start_source_type AS start_source, s.end_source_type AS end_source,
       s.reported_duration_seconds, s.start_note, s.end_note, s.methods, s.flags
FROM punchcard.sessions s
JOIN punchcard.tc_employees e USING (account, employee_number)
JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.work_sessions IS 'One row per live TimeClock session (clock-in to clock-out), whichever methods reported it. Deleted sessions are excluded.';
COMMENT ON COLUMN reporting.work_sessions.work_date IS 'Local date of the session start in its own zone; a session crossing midnight belongs to the day it started.';
COMMENT ON COLUMN reporting.work_sessions.start_utc IS 'Start instant. Local stamps in a DST gap are read with the offset before the jump (flag start_in_dst_gap); in an overlap the earlier instant is taken (flag start_in_dst_overlap). With TIMECLOCK_STAMPS=utc the stamp as sent is this instant.';
COMMENT ON COLUMN reporting.work_sessions.end_utc IS 'End instant; NULL while the employee is still clocked in.';
COMMENT ON COLUMN reporting.work_sessions.duration_seconds IS 'Real elapsed seconds between start_utc and end_utc (DST-correct); NULL while open.';
COMMENT ON COLUMN reporting.work_sessions.email IS 'NULL unless expose_personal_data is enabled.';
COMMENT ON COLUMN reporting.work_sessions.methods IS 'TimeClock methods that reported this session, in precedence order.';
COMMENT ON COLUMN reporting.work_sessions.flags IS 'What was resolved by rule: start/end_in_dst_gap, start/end_in_dst_overlap, zero_length, over_48h, outside_requested_window, duplicate_in_answer, methods_disagree_on_end, zone_defaulted (no timezone sent: TIMECLOCK_TIMEZONE used), <field>_unexpected_shape (a field of a shape the document does not show: kept in raw). Empty when nothing was.';

CREATE VIEW reporting.lunches AS
SELECT l.account, l.employee_number, n.display_name, l.work_date, l.start_utc, l.end_utc, l.start_local, l.end_local,
       l.timezone, l.duration_seconds, l.start_source_type AS start_source, l.end_source_type AS end_source,
       l.session_start_local, l.methods, l.flags
FROM punchcard.lunches l
JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.lunches IS 'One row per live lunch break, from the lunches method and/or nested in timesheet sessions.';
COMMENT ON COLUMN reporting.lunches.session_start_local IS 'Local start of the session the lunch belongs to (from timesheet, else the live session it overlaps); NULL if none.';
COMMENT ON COLUMN reporting.lunches.timezone IS 'The lunch''s zone; lunches nested in timesheet sessions carry none and take their session''s.';
COMMENT ON COLUMN reporting.lunches.flags IS 'outside_session: the lunch does not lie wholly inside its session (payroll deducts only the overlapping part); plus the stamp flags of reporting.work_sessions.';

CREATE VIEW reporting.work_logs AS
SELECT w.account, w.employee_number, n.display_name, w.work_date, w.name, w.external_id, w.start_utc, w.end_utc,
       w.start_local, w.end_local, w.timezone, w.duration_seconds, w.session_start_local,
       w.start_source_type AS start_source, w.end_source_type AS end_source, w.flags
FROM punchcard.tc_work_logs w
JOIN punchcard.employee_names n USING (account, employee_number)
WHERE w.deleted_at IS NULL;
COMMENT ON VIEW reporting.work_logs IS 'Tasks logged inside TimeClock sessions (timesheet workLogs), stamps in UTC and local time. A work log not wholly inside its session is flagged outside_session.';
COMMENT ON COLUMN reporting.work_logs.work_date IS 'Local start date of the session the work log belongs to.';

CREATE VIEW reporting.absences AS
SELECT a.account, a.employee_number, n.display_name, a.work_date, a.absence_name, a.duration_seconds,
       a.start_utc, a.end_utc, a.start_local, a.end_local, a.timezone,
       a.absence_approved_date, a.absence_code_days, a.absence_code_hours, a.flags
FROM punchcard.tc_absences a
JOIN punchcard.employee_names n USING (account, employee_number)
WHERE a.deleted_at IS NULL;
COMMENT ON VIEW reporting.absences IS 'Absences (extended-sessions items whose isAbsence is true, 1, "1" or "true"). Notes and approving manager stay internal.';
COMMENT ON COLUMN reporting.absences.duration_seconds IS 'Reported absence duration in seconds (falls back to the stamps when the source sends none).';

-- Payroll -----------------------------------------------------------------------------------
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
  -- Lunches count to the work date of the session they belong to (a lunch after midnight in a
  -- night shift belongs to the shift's day), and only the part inside that session is deducted:
  -- time outside the session was never counted as worked. Open lunches, and lunches of sessions
  -- still open (which count 0 worked seconds), count nothing yet.
  SELECT s.account, s.employee_number, s.work_date,
         coalesce(sum(greatest(0, extract(epoch FROM least(l.end_utc, s.end_utc) - greatest(l.start_utc, s.start_utc)))), 0)::bigint AS lunch_seconds,
         bool_or(l.flags @> ARRAY['outside_session']) AS lunch_outside_session
  FROM punchcard.lunches l
  JOIN punchcard.sessions s ON (s.account, s.employee_number, s.start_local) = (l.account, l.employee_number, l.session_start_local)
  WHERE l.end_utc IS NOT NULL AND s.end_utc IS NOT NULL
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
         CASE WHEN sd.open_sessions > 0 THEN 'open_session' END,
         CASE WHEN ld.lunch_outside_session THEN 'lunch_outside_session' END
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
COMMENT ON COLUMN reporting.payroll_daily.lunch_seconds IS 'Seconds of closed lunches that lie inside the day''s closed sessions: a lunch reaching outside its session counts only its overlap with the session.';
COMMENT ON COLUMN reporting.payroll_daily.net_seconds IS 'worked_seconds minus lunch_seconds.';
COMMENT ON COLUMN reporting.payroll_daily.absence_seconds IS 'Reported seconds of absences on this day (vacation, sick leave, ...).';
COMMENT ON COLUMN reporting.payroll_daily.absence_names IS 'Names of the day''s absences.';
COMMENT ON COLUMN reporting.payroll_daily.expected_seconds IS 'Expected seconds for the day from TimeClock''s per-day totals (extended-sessions asked one day at a time); NULL when unknown.';
COMMENT ON COLUMN reporting.payroll_daily.overtime_seconds IS 'net_seconds minus expected_seconds; NULL when expected_seconds is unknown.';
COMMENT ON COLUMN reporting.payroll_daily.open_sessions IS 'Sessions of the day still clocked in.';
COMMENT ON COLUMN reporting.payroll_daily.flags IS 'dst_resolved (a stamp was resolved by the DST rule), has_rejects (records of this employee and day were rejected: see punchcard.rejects), session_over_16h, open_session, lunch_outside_session (a lunch reached outside its session: only the overlap was deducted).';

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

CREATE VIEW reporting.payroll_snapshots AS
SELECT to_char(s.period, 'YYYY-MM') AS month, s.account, s.employee_number, coalesce(n.display_name, 'Employee ' || s.employee_number) AS display_name,
       s.work_date, s.worked_seconds, s.lunch_seconds, s.net_seconds, s.absence_seconds, s.expected_seconds, s.overtime_seconds
FROM punchcard.payroll_snapshots s
LEFT JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.payroll_snapshots IS 'Payroll of closed months as it was when the month was closed (as paid); never changed by later syncs.';

CREATE VIEW reporting.restatements AS
SELECT to_char(r.period, 'YYYY-MM') AS month, r.account, r.employee_number,
       coalesce(n.display_name, 'Employee ' || r.employee_number) AS display_name, r.work_date,
       r.paid_net_seconds, r.previous_net_seconds, r.new_net_seconds,
       r.new_net_seconds - r.paid_net_seconds AS difference_from_paid_seconds, r.detected_at, r.run_id
FROM punchcard.restatements r
LEFT JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.restatements IS 'Changes to closed months detected after closing: one row each time the net seconds of an employee-day in a closed month changed.';
COMMENT ON COLUMN reporting.restatements.paid_net_seconds IS 'Net seconds in the snapshot taken when the month was closed (what was paid).';
COMMENT ON COLUMN reporting.restatements.previous_net_seconds IS 'Net seconds as last known before this change (the paid value, or the previous restatement).';
COMMENT ON COLUMN reporting.restatements.new_net_seconds IS 'Net seconds now, after the sync that detected the change.';
COMMENT ON COLUMN reporting.restatements.detected_at IS 'When the sync that saw the change ran.';

-- Links and reconciliation ------------------------------------------------------------------
CREATE VIEW reporting.employee_links AS
SELECT e.account AS timeclock_account, e.employee_number, n.display_name,
       l.ck_account AS clockodo_account, l.ck_user_id AS clockodo_user_id, l.ck_name AS clockodo_user_name, l.ck_number AS clockodo_user_number,
       l.method AS match_method,
       CASE WHEN l.ck_user_id IS NULL THEN 'unmatched_timeclock' ELSE 'matched' END AS status
FROM punchcard.tc_employees e
JOIN punchcard.employee_names n USING (account, employee_number)
LEFT JOIN punchcard.employee_link_resolution l ON (l.tc_account, l.employee_number) = (e.account, e.employee_number)
UNION ALL
SELECT NULL, NULL, u.name, u.account, u.id, u.name, u.number, NULL, 'unmatched_clockodo'
FROM punchcard.ck_users u
WHERE u.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM punchcard.employee_link_resolution l WHERE (l.ck_account, l.ck_user_id) = (u.account, u.id));
COMMENT ON VIEW reporting.employee_links IS 'How TimeClock employees match clockodo users: a manual link (punchcard link), else the same number (compared as trimmed text: 0042 matches 0042, not 42), else the same e-mail. Unmatched people on either side are listed with status unmatched_timeclock / unmatched_clockodo.';
COMMENT ON COLUMN reporting.employee_links.match_method IS 'manual, number or email; NULL when unmatched.';
COMMENT ON COLUMN reporting.employee_links.status IS 'matched, unmatched_timeclock (no clockodo user found) or unmatched_clockodo (a clockodo user no TimeClock employee matches).';

CREATE VIEW reporting.reconciliation_daily AS
WITH tolerance AS (
  SELECT coalesce((SELECT value::int FROM punchcard.settings WHERE key = 'reconciliation_tolerance_seconds'), 900) AS seconds
), attended AS (
  SELECT account, employee_number, work_date, net_seconds FROM reporting.payroll_daily WHERE net_seconds <> 0 OR sessions > 0
), booked AS (
  SELECT account, users_id, day,
         sum(duration_seconds)::bigint AS booked_seconds,
         coalesce(sum(duration_seconds) FILTER (WHERE billable IN (1, 2)), 0)::bigint AS billable_seconds
  FROM punchcard.ck_entrygroups
  WHERE deleted_at IS NULL AND users_id IS NOT NULL AND day IS NOT NULL
  GROUP BY 1, 2, 3
), linked_attended AS (
  SELECT a.account AS tc_account, a.employee_number, l.ck_account, l.ck_user_id, a.work_date AS day, a.net_seconds
  FROM attended a
  LEFT JOIN punchcard.employee_link_resolution l ON (l.tc_account, l.employee_number) = (a.account, a.employee_number)
), linked_booked AS (
  SELECT l.tc_account, l.employee_number, b.account AS ck_account, b.users_id AS ck_user_id, b.day, b.booked_seconds, b.billable_seconds
  FROM booked b
  LEFT JOIN punchcard.employee_link_resolution l ON (l.ck_account, l.ck_user_id) = (b.account, b.users_id)
), joined AS (
  SELECT coalesce(a.tc_account, b.tc_account) AS timeclock_account,
         coalesce(a.employee_number, b.employee_number) AS employee_number,
         coalesce(a.ck_account, b.ck_account) AS clockodo_account,
         coalesce(a.ck_user_id, b.ck_user_id) AS clockodo_user_id,
         coalesce(a.day, b.day) AS work_date,
         coalesce(a.net_seconds, 0)::bigint AS timeclock_net_seconds,
         coalesce(b.booked_seconds, 0)::bigint AS clockodo_booked_seconds,
         coalesce(b.billable_seconds, 0)::bigint AS billable_seconds
  FROM linked_attended a
  FULL JOIN linked_booked b
    ON a.employee_number IS NOT NULL AND a.ck_user_id IS NOT NULL
   AND (a.tc_account, a.employee_number, a.ck_account, a.ck_user_id, a.day) = (b.tc_account, b.employee_number, b.ck_account, b.ck_user_id, b.day)
)
SELECT j.timeclock_account, j.employee_number,
       coalesce(n.display_name, u.name, 'Employee ' || j.employee_number) AS display_name,
       j.clockodo_account, j.clockodo_user_id, j.work_date,
       j.timeclock_net_seconds, j.clockodo_booked_seconds, j.billable_seconds,
       j.clockodo_booked_seconds - j.timeclock_net_seconds AS difference_seconds,
       CASE
         WHEN j.employee_number IS NULL OR j.clockodo_user_id IS NULL THEN 'unmatched_person'
         WHEN j.clockodo_booked_seconds = 0 AND j.timeclock_net_seconds > 0 THEN 'no_bookings'
         WHEN j.timeclock_net_seconds = 0 AND j.clockodo_booked_seconds > 0 THEN 'no_attendance'
         WHEN abs(j.clockodo_booked_seconds - j.timeclock_net_seconds) <= t.seconds THEN 'ok'
         WHEN j.clockodo_booked_seconds < j.timeclock_net_seconds THEN 'under_booked'
         ELSE 'over_booked'
       END AS status
FROM joined j
CROSS JOIN tolerance t
LEFT JOIN punchcard.employee_names n ON (n.account, n.employee_number) = (j.timeclock_account, j.employee_number)
LEFT JOIN punchcard.ck_users u ON (u.account, u.id) = (j.clockodo_account, j.clockodo_user_id);
COMMENT ON VIEW reporting.reconciliation_daily IS 'Per person and local day: TimeClock net attendance (payroll_daily.net_seconds, day of the session start in its zone) against clockodo booked seconds (the entrygroups day, in the clockodo account''s zone). Days with neither are not listed.';
COMMENT ON COLUMN reporting.reconciliation_daily.difference_seconds IS 'clockodo_booked_seconds minus timeclock_net_seconds: negative means less booked than attended.';
COMMENT ON COLUMN reporting.reconciliation_daily.billable_seconds IS 'Booked seconds with billable 1 (billable) or 2 (billable and already billed).';
COMMENT ON COLUMN reporting.reconciliation_daily.status IS 'ok (|difference| within the tolerance, setting reconciliation_tolerance_seconds, default 900), under_booked, over_booked, no_bookings (attended, nothing booked), no_attendance (booked, not attended), unmatched_person (no link between the two systems for this person).';

CREATE VIEW reporting.reconciliation_monthly AS
SELECT timeclock_account, employee_number, min(display_name) AS display_name, clockodo_account, clockodo_user_id,
       to_char(work_date, 'YYYY-MM') AS month,
       sum(timeclock_net_seconds)::bigint AS timeclock_net_seconds,
       sum(clockodo_booked_seconds)::bigint AS clockodo_booked_seconds,
       sum(billable_seconds)::bigint AS billable_seconds,
       sum(difference_seconds)::bigint AS difference_seconds,
       count(*)::int AS days,
       count(*) FILTER (WHERE status = 'ok')::int AS days_ok,
       count(*) FILTER (WHERE status = 'under_booked')::int AS days_under_booked,
       count(*) FILTER (WHERE status = 'over_booked')::int AS days_over_booked,
       count(*) FILTER (WHERE status = 'no_bookings')::int AS days_no_bookings,
       count(*) FILTER (WHERE status = 'no_attendance')::int AS days_no_attendance,
       count(*) FILTER (WHERE status = 'unmatched_person')::int AS days_unmatched
FROM reporting.reconciliation_daily
GROUP BY timeclock_account, employee_number, clockodo_account, clockodo_user_id, to_char(work_date, 'YYYY-MM');
COMMENT ON VIEW reporting.reconciliation_monthly IS 'reporting.reconciliation_daily summed per person and month, with the number of days in each status.';
