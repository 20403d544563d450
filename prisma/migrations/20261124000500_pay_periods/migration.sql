-- Closed pay periods: a frozen snapshot of a month's payroll, and restatements when a later sync
-- changes a closed month (a late edit at the source). The snapshot stays as it was paid.

CREATE TABLE punchcard.pay_periods (
  period     DATE        PRIMARY KEY,   -- first day of the month
  closed_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
  closed_by  TEXT
);

CREATE TABLE punchcard.payroll_snapshots (
  period            DATE    NOT NULL REFERENCES punchcard.pay_periods (period),
  account           TEXT    NOT NULL,
  employee_number   BIGINT  NOT NULL,
  work_date         DATE    NOT NULL,
  worked_seconds    BIGINT  NOT NULL,
  lunch_seconds     BIGINT  NOT NULL,
  net_seconds       BIGINT  NOT NULL,
  absence_seconds   BIGINT  NOT NULL,
  expected_seconds  BIGINT,
  overtime_seconds  BIGINT,
  PRIMARY KEY (period, account, employee_number, work_date)
);

CREATE TABLE punchcard.restatements (
  id                     BIGSERIAL   PRIMARY KEY,
  period                 DATE        NOT NULL REFERENCES punchcard.pay_periods (period),
  account                TEXT        NOT NULL,
  employee_number        BIGINT      NOT NULL,
  work_date              DATE        NOT NULL,
  paid_net_seconds       BIGINT      NOT NULL,
  previous_net_seconds   BIGINT      NOT NULL,
  new_net_seconds        BIGINT      NOT NULL,
  detected_at            TIMESTAMPTZ NOT NULL DEFAULT now(),
  run_id                 BIGINT
);
CREATE INDEX restatements_day_idx ON punchcard.restatements (account, employee_number, work_date, id DESC);

CREATE VIEW reporting.pay_periods AS
SELECT to_char(p.period, 'YYYY-MM') AS month, p.closed_at,
       (SELECT count(*) FROM punchcard.restatements r WHERE r.period = p.period)::int AS restatements
FROM punchcard.pay_periods p;
COMMENT ON VIEW reporting.pay_periods IS 'Closed pay periods (punchcard period close YYYY-MM) and how many restatements were detected since.';

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
