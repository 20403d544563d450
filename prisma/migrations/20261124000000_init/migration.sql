-- punchcard warehouse: internal tables (schema punchcard) and the BI-facing schema (reporting).
-- Conventions:
--   * Every source row carries the account it came from, its raw JSON, flags (text[]: how a
--     stamp was resolved by rule, etc.), first_seen_at / updated_at, and deleted_at (set when a
--     later sync of the same window no longer returns it; views exclude those rows).
--   * Local stamps are kept as `timestamp` (wall clock, as sent) next to the UTC `timestamptz`.

CREATE SCHEMA IF NOT EXISTS punchcard;
CREATE SCHEMA IF NOT EXISTS reporting;

-- Runs ledger --------------------------------------------------------------------------------
CREATE TABLE punchcard.sync_runs (
  id           BIGSERIAL PRIMARY KEY,
  kind         TEXT        NOT NULL CHECK (kind IN ('backfill', 'sync')),
  plan_key     TEXT        NOT NULL,
  sources      TEXT[]      NOT NULL,
  streams      TEXT[]      NOT NULL,
  range_from   DATE        NOT NULL,
  range_to     DATE        NOT NULL,
  window_days  INTEGER     NOT NULL,
  status       TEXT        NOT NULL DEFAULT 'running'
               CHECK (status IN ('running', 'succeeded', 'failed', 'partial', 'interrupted', 'skipped')),
  started_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
  finished_at  TIMESTAMPTZ,
  error        TEXT,
  host         TEXT,
  pid          INTEGER
);
CREATE INDEX sync_runs_plan_idx ON punchcard.sync_runs (plan_key, started_at DESC);

CREATE TABLE punchcard.sync_windows (
  id             BIGSERIAL PRIMARY KEY,
  run_id         BIGINT      NOT NULL REFERENCES punchcard.sync_runs (id) ON DELETE CASCADE,
  source         TEXT        NOT NULL,
  account        TEXT        NOT NULL,
  stream         TEXT        NOT NULL,
  window_start   DATE        NOT NULL,
  window_end     DATE        NOT NULL,
  status         TEXT        NOT NULL CHECK (status IN ('succeeded', 'failed')),
  started_at     TIMESTAMPTZ NOT NULL,
  finished_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  rows_received  INTEGER     NOT NULL DEFAULT 0,
  rows_inserted  INTEGER     NOT NULL DEFAULT 0,
  rows_updated   INTEGER     NOT NULL DEFAULT 0,
  rows_deleted   INTEGER     NOT NULL DEFAULT 0,
  rows_rejected  INTEGER     NOT NULL DEFAULT 0,
  error          TEXT
);
CREATE INDEX sync_windows_run_idx ON punchcard.sync_windows (run_id);
CREATE INDEX sync_windows_stream_idx ON punchcard.sync_windows (source, stream, account, window_start, finished_at DESC);

-- Records that could not be loaded, replaced each time their (stream, window) is loaded again.
CREATE TABLE punchcard.rejects (
  id               BIGSERIAL PRIMARY KEY,
  source           TEXT        NOT NULL,
  account          TEXT        NOT NULL,
  stream           TEXT        NOT NULL,
  window_start     DATE        NOT NULL,
  window_end       DATE        NOT NULL,
  employee_number  BIGINT,
  work_date        DATE,
  reason           TEXT        NOT NULL,
  raw              JSONB       NOT NULL,
  run_id           BIGINT,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX rejects_window_idx ON punchcard.rejects (source, account, stream, window_start, window_end);

-- Raw answers kept per (stream, window), replaced on each load of that window.
CREATE TABLE punchcard.raw_answers (
  source        TEXT        NOT NULL,
  account       TEXT        NOT NULL,
  stream        TEXT        NOT NULL,
  window_start  DATE        NOT NULL,
  window_end    DATE        NOT NULL,
  fetched_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  body          JSONB       NOT NULL,
  PRIMARY KEY (source, account, stream, window_start, window_end)
);

-- TimeClock 365 ------------------------------------------------------------------------------
CREATE TABLE punchcard.tc_employees (
  account          TEXT        NOT NULL,
  employee_number  BIGINT      NOT NULL,
  email            TEXT,
  external_id      BIGINT,
  passport         TEXT,
  groups           JSONB,
  gender           TEXT,
  birthday         TEXT,
  work_started_at  TEXT,
  work_ended_at    TEXT,
  first_seen_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (account, employee_number)
);

-- One row per (method, session): the consolidated view punchcard.sessions merges the methods.
CREATE TABLE punchcard.tc_sessions (
  account                    TEXT        NOT NULL,
  method                     TEXT        NOT NULL CHECK (method IN ('sessions', 'timesheet', 'extended-sessions')),
  employee_number            BIGINT      NOT NULL,
  start_local                TIMESTAMP   NOT NULL,
  end_local                  TIMESTAMP,
  timezone                   TEXT        NOT NULL,
  start_utc                  TIMESTAMPTZ NOT NULL,
  end_utc                    TIMESTAMPTZ,
  work_date                  DATE        NOT NULL,
  duration_seconds           INTEGER,
  location_type              TEXT,
  start_source_type          TEXT,
  end_source_type            TEXT,
  reported_duration_seconds  INTEGER,
  start_sent_at_local        TIMESTAMP,
  end_sent_at_local          TIMESTAMP,
  start_note                 TEXT,
  end_note                   TEXT,
  flags                      TEXT[]      NOT NULL DEFAULT '{}',
  raw                        JSONB       NOT NULL,
  first_seen_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                 TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at                 TIMESTAMPTZ,
  PRIMARY KEY (account, method, employee_number, start_local)
);
CREATE INDEX tc_sessions_scope_idx ON punchcard.tc_sessions (account, method, work_date);

CREATE TABLE punchcard.tc_lunches (
  account              TEXT        NOT NULL,
  method               TEXT        NOT NULL CHECK (method IN ('lunches', 'timesheet')),
  employee_number      BIGINT      NOT NULL,
  start_local          TIMESTAMP   NOT NULL,
  end_local            TIMESTAMP,
  timezone             TEXT        NOT NULL,
  start_utc            TIMESTAMPTZ NOT NULL,
  end_utc              TIMESTAMPTZ,
  work_date            DATE        NOT NULL,
  duration_seconds     INTEGER,
  start_source_type    TEXT,
  end_source_type      TEXT,
  session_start_local  TIMESTAMP,
  flags                TEXT[]      NOT NULL DEFAULT '{}',
  raw                  JSONB       NOT NULL,
  first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at           TIMESTAMPTZ,
  PRIMARY KEY (account, method, employee_number, start_local)
);
CREATE INDEX tc_lunches_scope_idx ON punchcard.tc_lunches (account, method, work_date);

CREATE TABLE punchcard.tc_work_logs (
  account              TEXT        NOT NULL,
  employee_number      BIGINT      NOT NULL,
  start_local          TIMESTAMP   NOT NULL,
  task_key             TEXT        NOT NULL,
  session_start_local  TIMESTAMP   NOT NULL,
  name                 TEXT,
  external_id          TEXT,
  end_local            TIMESTAMP,
  timezone             TEXT        NOT NULL,
  start_utc            TIMESTAMPTZ NOT NULL,
  end_utc              TIMESTAMPTZ,
  work_date            DATE        NOT NULL,
  duration_seconds     INTEGER,
  start_source_type    TEXT,
  end_source_type      TEXT,
  flags                TEXT[]      NOT NULL DEFAULT '{}',
  raw                  JSONB       NOT NULL,
  first_seen_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at           TIMESTAMPTZ,
  PRIMARY KEY (account, employee_number, start_local, task_key)
);
CREATE INDEX tc_work_logs_scope_idx ON punchcard.tc_work_logs (account, work_date);

CREATE TABLE punchcard.tc_absences (
  account                   TEXT        NOT NULL,
  employee_number           BIGINT      NOT NULL,
  start_local               TIMESTAMP   NOT NULL,
  end_local                 TIMESTAMP,
  timezone                  TEXT        NOT NULL,
  start_utc                 TIMESTAMPTZ NOT NULL,
  end_utc                   TIMESTAMPTZ,
  work_date                 DATE        NOT NULL,
  duration_seconds          INTEGER,
  absence_name              TEXT,
  absence_note              TEXT,
  absence_approved_date     TEXT,
  absence_approved_manager  TEXT,
  absence_code_days         TEXT,
  absence_code_hours        TEXT,
  flags                     TEXT[]      NOT NULL DEFAULT '{}',
  raw                       JSONB       NOT NULL,
  first_seen_at             TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at                TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at                TIMESTAMPTZ,
  PRIMARY KEY (account, employee_number, start_local)
);
CREATE INDEX tc_absences_scope_idx ON punchcard.tc_absences (account, work_date);

-- extended-sessions totals for the exact day range they were asked for (one day per request).
CREATE TABLE punchcard.tc_period_totals (
  account               TEXT        NOT NULL,
  employee_number       BIGINT      NOT NULL,
  period_start          DATE        NOT NULL,
  period_end            DATE        NOT NULL,
  total_worked_seconds  BIGINT,
  total_leave_seconds   BIGINT,
  expected_seconds      BIGINT,
  first_seen_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  deleted_at            TIMESTAMPTZ,
  PRIMARY KEY (account, employee_number, period_start, period_end)
);
