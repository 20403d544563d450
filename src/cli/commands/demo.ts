/**
 * `punchcard demo` (npm run demo): the first thing a newcomer runs. Starts both API simulators on
 * loopback, back-fills the last four weeks of every stream into the default database (embedded
 * unless DATABASE_URL is set) and prints what landed in the reporting views.
 */
import { withDemoSources } from '../../ops/demo-sources.ts';
import { buildStreams } from '../../sources/registry.ts';
import { addDays, todayIn } from '../../pipeline/windows.ts';
import { planTasks } from '../../pipeline/plan.ts';
import { runPlan, type RunSummary } from '../../pipeline/run.ts';
import type { Stream } from '../../pipeline/stream.ts';
import type { Pool } from 'pg';
import { openWarehouse, type CommandContext } from '../context.ts';
import { createProgress } from '../progress.ts';
import { backfillPlan, printSummary } from './backfill.ts';
import { parseIntOption } from '../arguments.ts';

export async function demoCommand(context: CommandContext, flags: { days?: string }): Promise<void> {
  const days = parseIntOption('--days', flags.days, 28, 1, 366);
  const db = await openWarehouse(context, 'write');
  try {
    const range = await withDemoSources(process.env, context.logger, async (config) => {
      const to = todayIn(config.timeclock!.timezone, new Date());
      const from = addDays(to, -(days - 1));
      const streams = buildStreams(config, {}, { logger: context.logger, signal: context.signal });
      const summary = await backfillInProcess(context, db.pool, streams, { from, to });
      printSummary(summary);
      return { from, to };
    });
    const { rows: sessions } = await db.pool.query(
      `SELECT count(*)::int AS sessions, count(DISTINCT employee_number)::int AS employees,
              round(sum(duration_seconds) / 3600.0) AS hours, count(*) FILTER (WHERE cardinality(flags) > 0)::int AS flagged
       FROM reporting.work_sessions`,
    );
    const { rows: statuses } = await db.pool.query(
      `SELECT status, count(*)::int AS days, round(sum(difference_seconds) / 3600.0, 1) AS difference_hours
       FROM reporting.reconciliation_daily GROUP BY status ORDER BY days DESC`,
    );
    // Early in a month the current one holds a day or two of open sessions: show the fullest month.
    const { rows: fullest } = await db.pool.query<{ month: string }>(
      `SELECT month FROM reporting.payroll_monthly WHERE month_start BETWEEN date_trunc('month', $1::date) AND $2::date
       GROUP BY month ORDER BY sum(net_seconds) DESC NULLS LAST, month DESC LIMIT 1`,
      [range.from, range.to],
    );
    const shownMonth = fullest[0]?.month ?? new Date().toISOString().slice(0, 7);
    const { rows: month } = await db.pool.query(
      `SELECT display_name, round(net_seconds / 3600.0, 1) AS net_h, round(expected_seconds / 3600.0, 1) AS expected_h,
              round(overtime_seconds / 3600.0, 1) AS overtime_h, open_sessions
       FROM reporting.payroll_monthly WHERE month = $1 ORDER BY display_name LIMIT 8`,
      [shownMonth],
    );
    process.stdout.write(`\nreporting.work_sessions: ${JSON.stringify(sessions[0])}\n\nreporting.payroll_monthly (${shownMonth}, first 8):\n`);
    console.table(month);
    process.stdout.write('\nreporting.reconciliation_daily by status:\n');
    console.table(statuses);
    process.stdout.write(
      `\nThe warehouse is ${db.embedded ? `the embedded PostgreSQL in ${context.config.dataDir}/pgdata` : 'at DATABASE_URL'}. ` +
        `Next: npx punchcard status · npx punchcard report --month ${shownMonth} · docs/bi-guide.md\n`,
    );
  } finally {
    await db.close();
  }
}

/**
 * The demo's back-fill runs its windows in this process (runPlan), not on the queue like
 * `backfill`: the simulators listen on this process's loopback under a configuration only this
 * process holds, so a queue worker elsewhere could neither reach them nor build their streams.
 */
async function backfillInProcess(context: CommandContext, pool: Pool, streams: Stream[], range: { from: string; to: string }): Promise<RunSummary> {
  const progress = createProgress(context.logger, context.interactive);
  try {
    return await runPlan({
      pool,
      logger: context.logger,
      plan: backfillPlan(streams, range),
      tasks: planTasks(streams, range.from, range.to),
      concurrency: 2,
      resume: false,
      signal: context.signal,
      onStart: (total, done) => progress.start(total, done),
      onWindow: (event) => progress.window(event),
    });
  } finally {
    progress.stop();
  }
}
