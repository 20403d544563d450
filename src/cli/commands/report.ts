/** `punchcard report --month YYYY-MM --out report.html`: the reconciliation report as one HTML file. */
import { resolve } from 'node:path';
import type { Pool } from 'pg';
import { renderReport, type ReportData } from '../../report/html.ts';
import { writeFileSafely } from '../../report/write-file.ts';
import { UsageError } from '../../errors.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function loadReportData(pool: Pool, month: string, now: Date): Promise<ReportData> {
  const first = `${month}-01`;
  const { rows: tolerance } = await pool.query(`SELECT coalesce((SELECT value::int FROM punchcard.settings WHERE key = 'reconciliation_tolerance_seconds'), 900) AS seconds`);
  const { rows: people } = await pool.query(
    `SELECT employee_number AS "employeeNumber", display_name AS "displayName",
            timeclock_net_seconds::int AS "attendedSeconds", clockodo_booked_seconds::int AS "bookedSeconds",
            billable_seconds::int AS "billableSeconds", (days - days_ok)::int AS "daysNotReconciled"
     FROM reporting.reconciliation_monthly WHERE month = $1
     ORDER BY display_name, employee_number`,
    [month],
  );
  const { rows: days } = await pool.query(
    `SELECT employee_number AS "employeeNumber", display_name AS "displayName", work_date::text AS "workDate",
            timeclock_net_seconds::int AS "attendedSeconds", clockodo_booked_seconds::int AS "bookedSeconds",
            difference_seconds::int AS "differenceSeconds", status
     FROM reporting.reconciliation_daily
     WHERE work_date >= $1::date AND work_date < $1::date + interval '1 month' AND status <> 'ok'
     ORDER BY work_date, display_name`,
    [first],
  );
  return { month, generatedAt: now.toISOString().replace(/\.\d+Z$/, 'Z'), toleranceSeconds: tolerance[0].seconds, people, days };
}

export async function reportCommand(context: CommandContext, flags: { month?: string; out?: string; force?: boolean }): Promise<void> {
  const month = flags.month;
  if (!month || !/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new UsageError(`--month must be YYYY-MM, got ${month ? `"${month}"` : 'nothing'}`);
  const out = resolve(flags.out ?? `reconciliation-${month}.html`);
  const db = await openWarehouse(context, 'read');
  try {
    const data = await loadReportData(db.pool, month, new Date());
    // Names and hours are personal data: the file is readable by its owner only, from its first byte.
    await writeFileSafely('--out', out, renderReport(data), { force: flags.force ?? false });
    process.stdout.write(`wrote ${out}: ${data.people.length} people, ${data.days.length} days that do not reconcile\n`);
  } finally {
    await db.close();
  }
}
