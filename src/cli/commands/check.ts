/**
 * `punchcard check`: one line per check (database, migrations, then a block per account); exit 1 when any
 * failed. Changes nothing: migrations are compared, not applied.
 */
import { describeError } from '../../errors.ts';
import { accountsToCheck, anyFailed, checkAccounts, checkDatabase, formatChecks, type CheckResult } from '../../ops/check.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function checkCommand(context: CommandContext, flags: { account?: string } = {}): Promise<CheckResult[]> {
  // A wrong label is a usage error: stopped before the database or any source is asked.
  const accounts = accountsToCheck(context.config, flags.account);
  const where = context.config.databaseUrl ? 'DATABASE_URL' : `embedded, ${context.config.dataDir}/pgdata`;
  const results: CheckResult[] = [];
  let db;
  try {
    db = await openWarehouse(context, 'raw');
  } catch (error) {
    results.push({ name: 'database', outcome: 'failed', detail: `unreachable (${where}): ${describeError(error)}` });
    results.push({ name: 'migrations', outcome: 'skipped', detail: 'the database is unreachable' });
  }
  try {
    if (db) results.push(...(await checkDatabase(db.pool, where)));
    const probe = { config: context.config, logger: context.logger, now: new Date(), signal: context.signal };
    results.push(...(await checkAccounts(probe, accounts, flags.account, db?.pool)));
  } finally {
    await db?.close();
  }
  process.stdout.write(formatChecks(results));
  if (anyFailed(results)) process.exitCode = 1;
  return results;
}
