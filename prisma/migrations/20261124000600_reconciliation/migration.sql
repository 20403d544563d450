-- Matching TimeClock employees with clockodo users, and reconciling attendance with bookings.

-- Manual links an admin sets with `punchcard link --timeclock N --clockodo M`; they win over
-- the automatic rules.
CREATE TABLE punchcard.employee_link_overrides (
  timeclock_account  TEXT        NOT NULL,
  employee_number    BIGINT      NOT NULL,
  clockodo_account   TEXT        NOT NULL,
  clockodo_user_id   BIGINT      NOT NULL,
  created_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  created_by         TEXT,
  PRIMARY KEY (timeclock_account, employee_number),
  CONSTRAINT employee_link_overrides_clockodo_key UNIQUE (clockodo_account, clockodo_user_id)
);

INSERT INTO punchcard.settings (key, value) VALUES ('reconciliation_tolerance_seconds', '900')
ON CONFLICT (key) DO NOTHING;

-- One row per link in force. Rules, in order: a manual link; the same number (clockodo user
-- number = TimeClock employee number); the same e-mail (case-insensitive). Each person is linked
-- at most once on each side; the better rule wins a contested user.
CREATE VIEW punchcard.employee_link_resolution AS
WITH tc AS (
  SELECT account, employee_number, email FROM punchcard.tc_employees
), ck AS (
  SELECT account, id, name, number, email FROM punchcard.ck_users WHERE deleted_at IS NULL
), candidates AS (
  SELECT o.timeclock_account AS tc_account, o.employee_number, o.clockodo_account AS ck_account, o.clockodo_user_id AS ck_user_id, 'manual' AS method, 1 AS rank
  FROM punchcard.employee_link_overrides o
  UNION ALL
  SELECT tc.account, tc.employee_number, ck.account, ck.id, 'number', 2
  FROM tc JOIN ck ON btrim(ck.number) = tc.employee_number::text
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

-- Display names: the linked clockodo user's name when there is one.
CREATE OR REPLACE VIEW punchcard.employee_names AS
SELECT e.account, e.employee_number, coalesce(l.ck_name, 'Employee ' || e.employee_number) AS display_name
FROM punchcard.tc_employees e
LEFT JOIN punchcard.employee_link_resolution l ON (l.tc_account, l.employee_number) = (e.account, e.employee_number);

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
COMMENT ON VIEW reporting.employee_links IS 'How TimeClock employees match clockodo users: a manual link (punchcard link), else the same number, else the same e-mail. Unmatched people on either side are listed with status unmatched_timeclock / unmatched_clockodo.';
COMMENT ON COLUMN reporting.employee_links.match_method IS 'manual, number or email; NULL when unmatched.';
COMMENT ON COLUMN reporting.employee_links.status IS 'matched, unmatched_timeclock (no clockodo user found) or unmatched_clockodo (a clockodo user no TimeClock employee matches).';

-- Per person and local day: TimeClock net attendance against clockodo booked time.
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
