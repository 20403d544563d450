-- clockodo: booked time from GET /v2/entrygroups and the user list from GET /v3/users, and the
-- reporting view reporting.clockodo_time.

-- One row per leaf of the entrygroups tree (one combination of every grouping level).
-- Natural key: (account, grouping, path_key). grouping is the signature of the request
-- ("users_id,day,customers_id,projects_id,services_id,billable", plus ";round=N" when rounding);
-- path_key lists each level's group, e.g. "users_id=501/day=2026-09-01/customers_id=3/...".
-- A loaded window owns every row of the account whose day lies in it, whatever its grouping:
-- reloading marks leaves the source no longer returns as deleted.
CREATE TABLE punchcard.ck_entrygroups (
  account                                    TEXT        NOT NULL,
  grouping                                   TEXT        NOT NULL,
  path_key                                   TEXT        NOT NULL,
  day                                        DATE        NOT NULL,
  users_id                                   BIGINT,
  customers_id                               BIGINT,
  projects_id                                BIGINT,
  subprojects_id                             BIGINT,
  services_id                                BIGINT,
  lumpsum_services_id                        BIGINT,
  texts_id                                   BIGINT,
  billable                                   INTEGER     CHECK (billable IN (0, 1, 2)),
  user_name                                  TEXT,
  user_number                                TEXT,
  customer_name                              TEXT,
  project_name                               TEXT,
  service_name                               TEXT,
  duration_seconds                           BIGINT      NOT NULL,
  duration_without_rounding                  BIGINT,
  revenue                                    NUMERIC,
  revenue_without_rounding                   NUMERIC,
  hourly_rate                                NUMERIC,
  hourly_rate_is_equal_and_has_no_lump_sums  BOOLEAN,
  budget_used                                BOOLEAN,
  has_budget_revenues_billed                 BOOLEAN,
  has_budget_revenues_not_billed             BOOLEAN,
  has_non_budget_revenues_billed             BOOLEAN,
  has_non_budget_revenues_not_billed         BOOLEAN,
  rounding_success                           BOOLEAN,
  path                                       JSONB       NOT NULL,
  flags                                      TEXT[]      NOT NULL DEFAULT '{}',
  raw                                        JSONB       NOT NULL,
  first_seen_at                              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                                 TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at                                 TIMESTAMPTZ,
  PRIMARY KEY (account, grouping, path_key)
);
CREATE INDEX ck_entrygroups_scope_idx ON punchcard.ck_entrygroups (account, day);

-- The complete user list of the account; users missing from a later full list are marked deleted.
CREATE TABLE punchcard.ck_users (
  account        TEXT        NOT NULL,
  id             BIGINT      NOT NULL,
  name           TEXT,
  number         TEXT,
  email          TEXT,
  active         BOOLEAN,
  timezone       TEXT,
  teams_id       BIGINT,
  raw            JSONB       NOT NULL,
  first_seen_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at     TIMESTAMPTZ,
  PRIMARY KEY (account, id)
);

-- Reporting ---------------------------------------------------------------------------------
CREATE VIEW reporting.clockodo_time AS
SELECT g.account,
       g.day                                                         AS work_date,
       g.users_id,
       coalesce(max(u.number), max(g.user_number))                   AS user_number,
       coalesce(max(u.name), max(g.user_name))                       AS user_name,
       g.customers_id,
       max(g.customer_name)                                          AS customer_name,
       g.projects_id,
       max(g.project_name)                                           AS project_name,
       g.services_id,
       max(g.service_name)                                           AS service_name,
       g.billable,
       sum(g.duration_seconds)::bigint                               AS seconds,
       sum(coalesce(g.duration_without_rounding, g.duration_seconds))::bigint AS unrounded_seconds,
       sum(g.revenue)                                                AS revenue
FROM punchcard.ck_entrygroups g
LEFT JOIN punchcard.ck_users u ON u.account = g.account AND u.id = g.users_id AND u.deleted_at IS NULL
WHERE g.deleted_at IS NULL
GROUP BY g.account, g.day, g.users_id, g.customers_id, g.projects_id, g.services_id, g.billable;
COMMENT ON VIEW reporting.clockodo_time IS 'Time booked in clockodo: one row per account, local day (CLOCKODO_TIMEZONE), user, customer, project, service and billable state, summed over any further grouping levels. Deleted time entries are excluded. A level missing from CLOCKODO_GROUPING is NULL.';
COMMENT ON COLUMN reporting.clockodo_time.account IS 'CLOCKODO_ACCOUNT the rows were loaded for.';
COMMENT ON COLUMN reporting.clockodo_time.work_date IS 'Calendar day in the clockodo account''s zone (the entrygroups `day` group).';
COMMENT ON COLUMN reporting.clockodo_time.users_id IS 'clockodo user id.';
COMMENT ON COLUMN reporting.clockodo_time.user_number IS 'The clockodo user''s `number` (personnel number): matches the TimeClock employeeNumber for most people (compare as text); match by e-mail where it does not.';
COMMENT ON COLUMN reporting.clockodo_time.user_name IS 'The clockodo user''s name (from /v3/users when loaded, else from entrygroups).';
COMMENT ON COLUMN reporting.clockodo_time.customers_id IS 'clockodo customer id.';
COMMENT ON COLUMN reporting.clockodo_time.customer_name IS 'Customer name as clockodo reported it.';
COMMENT ON COLUMN reporting.clockodo_time.projects_id IS 'clockodo project id; 0 = entries without a project.';
COMMENT ON COLUMN reporting.clockodo_time.project_name IS 'Project name as clockodo reported it (prefixed with the customer name by default); for project 0 the "without project" label(s).';
COMMENT ON COLUMN reporting.clockodo_time.services_id IS 'clockodo service id.';
COMMENT ON COLUMN reporting.clockodo_time.service_name IS 'Service name as clockodo reported it.';
COMMENT ON COLUMN reporting.clockodo_time.billable IS '0 = not billable, 1 = billable, 2 = billable and already billed.';
COMMENT ON COLUMN reporting.clockodo_time.seconds IS 'Booked seconds (rounded per entry when CLOCKODO_ROUND_TO_MINUTES > 0).';
COMMENT ON COLUMN reporting.clockodo_time.unrounded_seconds IS 'Booked seconds before rounding (equal to seconds when rounding is off).';
COMMENT ON COLUMN reporting.clockodo_time.revenue IS 'Revenue as clockodo computed it (rounded per group to the cent); NULL when the API user has no right to see revenues, never 0 in that case.';
