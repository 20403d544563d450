/** `punchcard period close YYYY-MM`: freezes that month's payroll as paid. */
import { hostname, userInfo } from 'node:os';
import { closePeriod } from '../../load/pay-periods.ts';
import { UsageError } from '../../errors.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function periodCloseCommand(context: CommandContext, month: string): Promise<void> {
  if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month)) throw new UsageError(`month must be YYYY-MM, got "${month}"`);
  const db = await openWarehouse(context, 'write');
  try {
    const { rows } = await closePeriod(db.pool, month, `${userInfo().username}@${hostname()}`);
    process.stdout.write(`closed pay period ${month}: ${rows} employee-days frozen in reporting.payroll_snapshots\n`);
  } finally {
    await db.close();
  }
}
