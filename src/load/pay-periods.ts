/**
 * Closing a month freezes its payroll; every later run compares the live numbers of closed months
 * with the last known ones and records each change as a restatement.
 */
import type { Pool, PoolClient } from 'pg';
import { UsageError } from '../errors.ts';
import { inTransaction } from '../db/client.ts';

export async function closePeriod(pool: Pool, month: string, closedBy: string): Promise<{ rows: number }> {
  return inTransaction(pool, async (client) => {
    const period = `${month}-01`;
    const inserted = await client.query(`INSERT INTO punchcard.pay_periods (period, closed_by) VALUES ($1::date, $2) ON CONFLICT (period) DO NOTHING`, [period, closedBy]);
    if (inserted.rowCount === 0) throw new UsageError(`pay period ${month} is already closed`);
    const snapshot = await client.query(
      `INSERT INTO punchcard.payroll_snapshots
         (period, account, employee_number, work_date, worked_seconds, lunch_seconds, net_seconds, absence_seconds, expected_seconds, overtime_seconds)
       SELECT $1::date, account, employee_number, work_date, worked_seconds, lunch_seconds, net_seconds, absence_seconds, expected_seconds, overtime_seconds
       FROM reporting.payroll_daily
       WHERE work_date >= $1::date AND work_date < ($1::date + interval '1 month')`,
      [period],
    );
    return { rows: snapshot.rowCount ?? 0 };
  });
}

/** Records a restatement for every employee-day of a closed month whose net seconds changed since last seen. */
export async function detectRestatements(pool: Pool | PoolClient, runId?: number): Promise<number> {
  // Without a closed month there is nothing to compare (snapshots belong to closed months), and the
  // comparison below computes the payroll view whole first: 2.8 s after 62 days of 1,000 employees.
  const { rows } = await pool.query<{ closed: boolean }>('SELECT EXISTS (SELECT 1 FROM punchcard.pay_periods) AS closed');
  if (!rows[0]!.closed) return 0;
  const result = await pool.query(
    `WITH closed AS (
       SELECT period FROM punchcard.pay_periods
     ), live AS (
       SELECT c.period, d.account, d.employee_number, d.work_date, d.net_seconds
       FROM reporting.payroll_daily d
       JOIN closed c ON d.work_date >= c.period AND d.work_date < c.period + interval '1 month'
     ), paid AS (
       SELECT period, account, employee_number, work_date, net_seconds FROM punchcard.payroll_snapshots
     ), compared AS (
       SELECT coalesce(l.period, p.period) AS period,
              coalesce(l.account, p.account) AS account,
              coalesce(l.employee_number, p.employee_number) AS employee_number,
              coalesce(l.work_date, p.work_date) AS work_date,
              coalesce(p.net_seconds, 0) AS paid_net_seconds,
              coalesce(l.net_seconds, 0) AS new_net_seconds
       FROM live l
       FULL JOIN paid p ON (p.period, p.account, p.employee_number, p.work_date) = (l.period, l.account, l.employee_number, l.work_date)
     )
     INSERT INTO punchcard.restatements (period, account, employee_number, work_date, paid_net_seconds, previous_net_seconds, new_net_seconds, run_id)
     SELECT c.period, c.account, c.employee_number, c.work_date, c.paid_net_seconds,
            coalesce(last.new_net_seconds, c.paid_net_seconds), c.new_net_seconds, $1
     FROM compared c
     LEFT JOIN LATERAL (
       SELECT r.new_net_seconds FROM punchcard.restatements r
       WHERE (r.account, r.employee_number, r.work_date) = (c.account, c.employee_number, c.work_date)
       ORDER BY r.id DESC LIMIT 1
     ) last ON true
     WHERE c.new_net_seconds <> coalesce(last.new_net_seconds, c.paid_net_seconds)`,
    [runId ?? null],
  );
  return result.rowCount ?? 0;
}
