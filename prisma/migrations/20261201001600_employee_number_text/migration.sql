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
-- Views depend on the columns: every view over them is saved (definition and comments), dropped,
-- and created again from what was saved once the columns are text; then the two views whose
-- logic changes are replaced. Linking by number needs no change: the saved rule
-- `btrim(ck.number) = employee_number::text` now compares a trimmed clockodo number with the
-- canonical text itself. The BI role's default privileges cover the re-created views.

-- Every view over an employee_number, in the order it can be created again (dependencies first).
CREATE TEMP TABLE pc_saved_views ON COMMIT DROP AS
SELECT t.ord, t.name, pg_get_viewdef(t.name::regclass) AS definition, obj_description(t.name::regclass, 'pg_class') AS comment,
       ARRAY(SELECT a.attname::text FROM pg_attribute a JOIN pg_description d ON (d.objoid, d.classoid, d.objsubid) = (a.attrelid, 'pg_class'::regclass, a.attnum)
             WHERE a.attrelid = t.name::regclass ORDER BY a.attnum) AS commented_columns,
       ARRAY(SELECT d.description FROM pg_attribute a JOIN pg_description d ON (d.objoid, d.classoid, d.objsubid) = (a.attrelid, 'pg_class'::regclass, a.attnum)
             WHERE a.attrelid = t.name::regclass ORDER BY a.attnum) AS column_descriptions
FROM unnest(ARRAY[
  'punchcard.employee_link_resolution',
  'punchcard.employee_names',
  'punchcard.sessions',
  'punchcard.lunches',
  'reporting.employees',
  'reporting.work_sessions',
  'reporting.lunches',
  'reporting.work_logs',
  'reporting.absences',
  'reporting.payroll_daily',
  'reporting.payroll_weekly',
  'reporting.payroll_monthly',
  'reporting.payroll_snapshots',
  'reporting.restatements',
  'reporting.employee_links',
  'reporting.reconciliation_daily',
  'reporting.reconciliation_monthly'
]) WITH ORDINALITY AS t(name, ord);

DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT name FROM pc_saved_views ORDER BY ord DESC LOOP
    EXECUTE format('DROP VIEW %s', v.name);
  END LOOP;
END
$$;

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

-- The saved views again, as they were, with their comments. A definition that spells a typed
-- NULL for the number (the unmatched-clockodo branch of reporting.employee_links) gets a text one.
DO $$
DECLARE v record;
BEGIN
  FOR v IN SELECT * FROM pc_saved_views ORDER BY ord LOOP
    EXECUTE format('CREATE VIEW %s AS %s', v.name, replace(v.definition, 'NULL::bigint AS employee_number', 'NULL::text AS employee_number'));
    IF v.comment IS NOT NULL THEN
      EXECUTE format('COMMENT ON VIEW %s IS %L', v.name, v.comment);
    END IF;
    FOR i IN 1 .. coalesce(array_length(v.commented_columns, 1), 0) LOOP
      EXECUTE format('COMMENT ON COLUMN %s.%I IS %L', v.name, v.commented_columns[i], v.column_descriptions[i]);
    END LOOP;
  END LOOP;
END
$$;

-- One row per real-world lunch: from `lunches` and/or nested in `timesheet` (which links it to
-- its session). Precedence: lunches > timesheet. A lunch only `lunches` reported is linked to the
-- live session it overlaps (the one containing its start first); one that does not lie wholly
-- inside that session is flagged outside_session, as the timesheet transform flags nested ones.
CREATE OR REPLACE VIEW punchcard.lunches AS
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

-- Payroll: only the part of a lunch inside its session is deducted.
CREATE OR REPLACE VIEW reporting.payroll_daily AS
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

COMMENT ON COLUMN reporting.payroll_daily.lunch_seconds IS 'Seconds of closed lunches that lie inside the day''s closed sessions: a lunch reaching outside its session counts only its overlap with the session.';
COMMENT ON COLUMN reporting.payroll_daily.flags IS 'dst_resolved (a stamp was resolved by the DST rule), has_rejects (records of this employee and day were rejected: see punchcard.rejects), session_over_16h, open_session, lunch_outside_session (a lunch reached outside its session: only the overlap was deducted).';

-- Comments that say more now.
COMMENT ON COLUMN reporting.employees.employee_number IS 'TimeClock employeeNumber as text in canonical form: a JSON number in plain decimal (42 -> 42), a string as sent, trimmed (0042 stays 0042, A-17 stays A-17).';
COMMENT ON COLUMN reporting.work_sessions.start_utc IS 'Start instant. Local stamps in a DST gap are read with the offset before the jump (flag start_in_dst_gap); in an overlap the earlier instant is taken (flag start_in_dst_overlap). With TIMECLOCK_STAMPS=utc the stamp as sent is this instant.';
COMMENT ON COLUMN reporting.work_sessions.flags IS 'What was resolved by rule: start/end_in_dst_gap, start/end_in_dst_overlap, zero_length, over_48h, outside_requested_window, duplicate_in_answer, methods_disagree_on_end, zone_defaulted (no timezone sent: TIMECLOCK_TIMEZONE used), <field>_unexpected_shape (a field of a shape the document does not show: kept in raw). Empty when nothing was.';
COMMENT ON COLUMN reporting.lunches.session_start_local IS 'Local start of the session the lunch belongs to (from timesheet, else the live session it overlaps); NULL if none.';
COMMENT ON COLUMN reporting.lunches.flags IS 'outside_session: the lunch does not lie wholly inside its session (payroll deducts only the overlapping part); plus the stamp flags of reporting.work_sessions.';
COMMENT ON VIEW reporting.work_logs IS 'Tasks logged inside TimeClock sessions (timesheet workLogs), stamps in UTC and local time. A work log not wholly inside its session is flagged outside_session.';
COMMENT ON VIEW reporting.absences IS 'Absences (extended-sessions items whose isAbsence is true, 1, "1" or "true"). Notes and approving manager stay internal.';
COMMENT ON VIEW reporting.employee_links IS 'How TimeClock employees match clockodo users: a manual link (punchcard link), else the same number (compared as trimmed text: 0042 matches 0042, not 42), else the same e-mail. Unmatched people on either side are listed with status unmatched_timeclock / unmatched_clockodo.';
