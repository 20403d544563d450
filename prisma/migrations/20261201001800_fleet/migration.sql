-- Many accounts, many workers (the job queue is pg-boss, in its own schema "pgboss").

-- A queued run is settled by whichever worker records its last window: each window's outcome
-- (committed, or failed after its last attempt) counts this down in the same transaction as its
-- ledger row. NULL for runs that are not queued.
ALTER TABLE punchcard.sync_runs ADD COLUMN windows_pending integer;

-- Request starts per rate-limited key (a clockodo API user's entrygroups GETs), shared by every
-- worker of the fleet: a sliding-window log, pruned as it is read.
CREATE TABLE punchcard.rate_events (
  id  BIGSERIAL   PRIMARY KEY,
  key TEXT        NOT NULL,
  at  TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX rate_events_key_at_idx ON punchcard.rate_events (key, at);

-- Links by number or e-mail pair a TimeClock account with the clockodo account of the same label
-- (or the only account of each source): with several tenants, employee 7 of one company is not
-- employee 7 of another. Manual links may pair any accounts.
CREATE OR REPLACE VIEW punchcard.employee_link_resolution AS
WITH tc AS (
  SELECT account, employee_number, email FROM punchcard.tc_employees
), ck AS (
  SELECT account, id, name, number, email FROM punchcard.ck_users WHERE deleted_at IS NULL
), single AS (
  SELECT (SELECT count(DISTINCT account) FROM punchcard.tc_employees) <= 1
     AND (SELECT count(DISTINCT account) FROM punchcard.ck_users WHERE deleted_at IS NULL) <= 1 AS one_each
), candidates AS (
  SELECT o.timeclock_account AS tc_account, o.employee_number, o.clockodo_account AS ck_account, o.clockodo_user_id AS ck_user_id, 'manual' AS method, 1 AS rank
  FROM punchcard.employee_link_overrides o
  UNION ALL
  SELECT tc.account, tc.employee_number, ck.account, ck.id, 'number', 2
  FROM tc JOIN ck ON btrim(ck.number) = tc.employee_number::text CROSS JOIN single
  WHERE tc.account = ck.account OR single.one_each
  UNION ALL
  SELECT tc.account, tc.employee_number, ck.account, ck.id, 'email', 3
  FROM tc JOIN ck ON lower(btrim(ck.email)) = lower(btrim(tc.email)) CROSS JOIN single
  WHERE tc.email IS NOT NULL AND tc.email <> '' AND (tc.account = ck.account OR single.one_each)
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
