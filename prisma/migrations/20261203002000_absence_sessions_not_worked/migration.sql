-- An absence is not worked time, whichever method reports it. extended-sessions marks an absence
-- (`isAbsence`) and punchcard files it in tc_absences; the document does not say whether
-- `sessions` and `timesheet` leave absences out or list them as plain sessions, without the mark.
-- If they list them, the same (account, employee, local start) would count once as an absence and
-- once more as worked time. So the merged view leaves out every session whose key extended-sessions
-- reports as a live absence; the rows stay in tc_sessions as the source sent them. When the other
-- methods leave absences out, nothing changes.
CREATE OR REPLACE VIEW punchcard.sessions AS
WITH live AS (
  SELECT s.*, CASE s.method WHEN 'sessions' THEN 1 WHEN 'timesheet' THEN 2 ELSE 3 END AS precedence
  FROM punchcard.tc_sessions s
  WHERE s.deleted_at IS NULL
    AND NOT EXISTS (
      SELECT 1 FROM punchcard.tc_absences a
      WHERE a.deleted_at IS NULL
        AND (a.account, a.employee_number, a.start_local) = (s.account, s.employee_number, s.start_local)
    )
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
