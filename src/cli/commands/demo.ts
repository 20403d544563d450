/**
 * `punchcard demo` (npm run demo): the first thing a newcomer runs. Starts the simulators on
 * loopback, syncs the last four weeks of every stream into the default database (embedded unless
 * DATABASE_URL is set) and prints what landed in the reporting views.
 */
import { startTimeclockSimulator } from '../../simulators/timeclock/index.ts';
import { buildStreams } from '../../sources/registry.ts';
import { addDays, todayIn } from '../../pipeline/windows.ts';
import { loadConfig } from '../../config.ts';
import { openWarehouse, type CommandContext } from '../context.ts';
import { printSummary, runBackfill } from './backfill.ts';
import { parseIntOption } from '../arguments.ts';

export async function demoCommand(context: CommandContext, flags: { days?: string; employees?: string }): Promise<void> {
  const days = parseIntOption('--days', flags.days, 28, 1, 366);
  const employees = parseIntOption('--employees', flags.employees, 40, 1, 10_000);
  const token = 'demo-token';
  const timeclock = await startTimeclockSimulator({ port: 0, token, employees });
  const db = await openWarehouse(context);
  try {
    const config = loadConfig({ ...process.env, TIMECLOCK_API_URL: timeclock.url, TIMECLOCK_API_TOKEN: token });
    const demoContext = { ...context, config };
    const to = todayIn(config.timeclock!.timezone, new Date());
    const from = addDays(to, -(days - 1));
    context.logger.info({ from, to, simulator: timeclock.url, database: db.embedded ? 'embedded' : 'DATABASE_URL' }, 'demo: syncing the simulators');
    const streams = buildStreams(config, {}, { logger: context.logger, signal: context.signal });
    const summary = await runBackfill(demoContext, db.pool, streams, { from, to, concurrency: 2, resume: false });
    printSummary(summary);
    const { rows } = await db.pool.query(
      `SELECT employee_number, work_date::text, to_char(start_utc AT TIME ZONE 'UTC', 'HH24:MI') || 'Z' AS start_utc,
              timezone, round(duration_seconds / 3600.0, 2) AS hours, flags
       FROM reporting.work_sessions ORDER BY work_date DESC, employee_number LIMIT 8`,
    );
    const { rows: totals } = await db.pool.query(
      `SELECT count(*)::int AS sessions, count(DISTINCT employee_number)::int AS employees,
              round(sum(duration_seconds) / 3600.0) AS hours, count(*) FILTER (WHERE cardinality(flags) > 0)::int AS flagged
       FROM reporting.work_sessions`,
    );
    process.stdout.write(`\nreporting.work_sessions: ${JSON.stringify(totals[0])}\n`);
    console.table(rows);
    process.stdout.write(
      `\nThe warehouse is ${db.embedded ? `the embedded PostgreSQL in ${config.dataDir}/pgdata` : 'at DATABASE_URL'}; ` +
        `try: npx punchcard status\n`,
    );
  } finally {
    await db.close();
    await timeclock.close();
  }
}
