-- Display names in reconciliation when clockodo users (/v3/users) are not loaded: a booked row
-- then has no link and no user, and its name was NULL (the HTML report failed on it). Fall back
-- to the name the entry groups carry, then to the clockodo user id. Same columns as before.
CREATE OR REPLACE VIEW reporting.reconciliation_daily AS
WITH tolerance AS (
  SELECT coalesce((SELECT value::int FROM punchcard.settings WHERE key = 'reconciliation_tolerance_seconds'), 900) AS seconds
), attended AS (
  SELECT account, employee_number, work_date, net_seconds FROM reporting.payroll_daily WHERE net_seconds <> 0 OR sessions > 0
), booked AS (
  SELECT account, users_id, day,
         sum(duration_seconds)::bigint AS booked_seconds,
         coalesce(sum(duration_seconds) FILTER (WHERE billable IN (1, 2)), 0)::bigint AS billable_seconds,
         max(user_name) AS user_name
  FROM punchcard.ck_entrygroups
  WHERE deleted_at IS NULL AND users_id IS NOT NULL AND day IS NOT NULL
  GROUP BY 1, 2, 3
), linked_attended AS (
  SELECT a.account AS tc_account, a.employee_number, l.ck_account, l.ck_user_id, a.work_date AS day, a.net_seconds
  FROM attended a
  LEFT JOIN punchcard.employee_link_resolution l ON (l.tc_account, l.employee_number) = (a.account, a.employee_number)
), linked_booked AS (
  SELECT l.tc_account, l.employee_number, b.account AS ck_account, b.users_id AS ck_user_id, b.day, b.booked_seconds, b.billable_seconds, b.user_name
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
         coalesce(b.billable_seconds, 0)::bigint AS billable_seconds,
         b.user_name AS entrygroup_user_name
  FROM linked_attended a
  FULL JOIN linked_booked b
    ON a.employee_number IS NOT NULL AND a.ck_user_id IS NOT NULL
   AND (a.tc_account, a.employee_number, a.ck_account, a.ck_user_id, a.day) = (b.tc_account, b.employee_number, b.ck_account, b.ck_user_id, b.day)
)
SELECT j.timeclock_account, j.employee_number,
       coalesce(n.display_name, u.name, j.entrygroup_user_name, 'Employee ' || j.employee_number, 'clockodo user ' || j.clockodo_user_id) AS display_name,
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
