-- Consolidated TimeClock model and the first reporting views.

-- Settings the views read (written by punchcard from its configuration).
CREATE TABLE punchcard.settings (
  key    TEXT PRIMARY KEY,
  value  TEXT NOT NULL
);
INSERT INTO punchcard.settings (key, value) VALUES ('expose_personal_data', 'false');

-- Display names for reporting. TimeClock sends no names; later migrations take them from clockodo.
CREATE VIEW punchcard.employee_names AS
SELECT e.account, e.employee_number, 'Employee ' || e.employee_number AS display_name
FROM punchcard.tc_employees e;

-- One row per real-world session, whichever methods reported it.
-- Natural key: (account, employee_number, start_local): the employee and the local wall-clock
-- start as the source wrote it. An edit of the end, location or sources updates the row; an
-- edit of the start is a different session (the old one is marked deleted on the next sync).
-- Precedence when methods disagree: sessions > timesheet > extended-sessions for stamps,
-- location and source types (first non-null); extended-sessions alone supplies reported duration,
-- notes and sent-at stamps. A disagreement on the end is flagged `methods_disagree_on_end`.
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
-- live session that contains it.
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
       coalesce(m.linked_session_start_local, containing.start_local) AS session_start_local,
       m.methods, m.flags
FROM merged m
LEFT JOIN LATERAL (
  SELECT s.start_local FROM punchcard.sessions s
  WHERE m.linked_session_start_local IS NULL
    AND s.account = m.account AND s.employee_number = m.employee_number
    AND s.start_utc <= m.start_utc AND (s.end_utc IS NULL OR s.end_utc >= coalesce(m.end_utc, m.start_utc))
  ORDER BY s.start_utc DESC LIMIT 1
) containing ON true;

-- Reporting ---------------------------------------------------------------------------------
CREATE VIEW reporting.employees AS
SELECT e.account, e.employee_number, n.display_name,
       CASE WHEN (SELECT value FROM punchcard.settings WHERE key = 'expose_personal_data') = 'true' THEN e.email END AS email,
       e.first_seen_at
FROM punchcard.tc_employees e
JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.employees IS 'TimeClock employees: number and display name. Personal data (email) only when the setting expose_personal_data is true (PUNCHCARD_EXPOSE_PERSONAL_DATA=1); passport, birthday and gender never appear in reporting.';
COMMENT ON COLUMN reporting.employees.employee_number IS 'TimeClock employeeNumber (a number in sessions/lunches/timesheet, a string in extended-sessions; stored as bigint).';
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
COMMENT ON COLUMN reporting.work_sessions.start_utc IS 'Start instant. Local stamps in a DST gap are read with the offset before the jump (flag start_in_dst_gap); in an overlap the earlier instant is taken (flag start_in_dst_overlap).';
COMMENT ON COLUMN reporting.work_sessions.end_utc IS 'End instant; NULL while the employee is still clocked in.';
COMMENT ON COLUMN reporting.work_sessions.duration_seconds IS 'Real elapsed seconds between start_utc and end_utc (DST-correct); NULL while open.';
COMMENT ON COLUMN reporting.work_sessions.email IS 'NULL unless expose_personal_data is enabled.';
COMMENT ON COLUMN reporting.work_sessions.methods IS 'TimeClock methods that reported this session, in precedence order.';
COMMENT ON COLUMN reporting.work_sessions.flags IS 'What was resolved by rule: start/end_in_dst_gap, start/end_in_dst_overlap, zero_length, over_48h, outside_requested_window, duplicate_in_answer, methods_disagree_on_end. Empty when nothing was.';

CREATE VIEW reporting.lunches AS
SELECT l.account, l.employee_number, n.display_name, l.work_date, l.start_utc, l.end_utc, l.start_local, l.end_local,
       l.timezone, l.duration_seconds, l.start_source_type AS start_source, l.end_source_type AS end_source,
       l.session_start_local, l.methods, l.flags
FROM punchcard.lunches l
JOIN punchcard.employee_names n USING (account, employee_number);
COMMENT ON VIEW reporting.lunches IS 'One row per live lunch break, from the lunches method and/or nested in timesheet sessions.';
COMMENT ON COLUMN reporting.lunches.session_start_local IS 'Local start of the session the lunch belongs to (from timesheet, else the live session containing it); NULL if none.';
COMMENT ON COLUMN reporting.lunches.timezone IS 'The lunch''s zone; lunches nested in timesheet sessions carry none and take their session''s.';

CREATE VIEW reporting.work_logs AS
SELECT w.account, w.employee_number, n.display_name, w.work_date, w.name, w.external_id, w.start_utc, w.end_utc,
       w.start_local, w.end_local, w.timezone, w.duration_seconds, w.session_start_local,
       w.start_source_type AS start_source, w.end_source_type AS end_source, w.flags
FROM punchcard.tc_work_logs w
JOIN punchcard.employee_names n USING (account, employee_number)
WHERE w.deleted_at IS NULL;
COMMENT ON VIEW reporting.work_logs IS 'Tasks logged inside TimeClock sessions (timesheet workLogs), stamps in UTC and local time.';
COMMENT ON COLUMN reporting.work_logs.work_date IS 'Local start date of the session the work log belongs to.';

CREATE VIEW reporting.absences AS
SELECT a.account, a.employee_number, n.display_name, a.work_date, a.absence_name, a.duration_seconds,
       a.start_utc, a.end_utc, a.start_local, a.end_local, a.timezone,
       a.absence_approved_date, a.absence_code_days, a.absence_code_hours, a.flags
FROM punchcard.tc_absences a
JOIN punchcard.employee_names n USING (account, employee_number)
WHERE a.deleted_at IS NULL;
COMMENT ON VIEW reporting.absences IS 'Absences (extended-sessions items with isAbsence = true). Notes and approving manager stay internal.';
COMMENT ON COLUMN reporting.absences.duration_seconds IS 'Reported absence duration in seconds (falls back to the stamps when the source sends none).';
