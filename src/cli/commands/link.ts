/** `punchcard link --timeclock N --clockodo M`: a manual link that wins over number and e-mail matching. */
import { hostname, userInfo } from 'node:os';
import { removeManualLink, setManualLink } from '../../load/links.ts';
import { UsageError } from '../../errors.ts';
import { parseEmployeeNumber } from '../../transform/timeclock/common.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export interface LinkFlags {
  timeclock?: string;
  clockodo?: string;
  timeclockAccount?: string;
  clockodoAccount?: string;
  remove?: boolean;
}

function wholeNumber(option: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,15}$/.test(value)) throw new UsageError(`${option} must be a whole number, got ${value === undefined ? 'nothing' : `"${value}"`}`);
  return Number(value);
}

/** The employee number in the warehouse's canonical form (trimmed text: "A-17", "0042" and "42" are three people). */
function employeeNumberOf(value: string | undefined): string {
  const parsed = parseEmployeeNumber(value);
  if (!parsed.ok) throw new UsageError('--timeclock must be a TimeClock employee number, got nothing');
  return parsed.value.number;
}

export async function linkCommand(context: CommandContext, flags: LinkFlags): Promise<void> {
  const employeeNumber = employeeNumberOf(flags.timeclock);
  const timeclockAccount = flags.timeclockAccount ?? context.config.timeclock?.account ?? 'default';
  if (flags.remove) {
    const db = await openWarehouse(context, 'write');
    try {
      const removed = await removeManualLink(db.pool, timeclockAccount, employeeNumber);
      process.stdout.write(removed ? `removed the manual link of TimeClock employee ${employeeNumber}\n` : `TimeClock employee ${employeeNumber} had no manual link\n`);
    } finally {
      await db.close();
    }
    return;
  }
  const clockodoUserId = wholeNumber('--clockodo', flags.clockodo);
  const clockodoAccount = flags.clockodoAccount ?? context.config.clockodo?.account ?? 'default';
  const db = await openWarehouse(context, 'write');
  try {
    await setManualLink(db.pool, { timeclockAccount, employeeNumber, clockodoAccount, clockodoUserId, createdBy: `${userInfo().username}@${hostname()}` });
    process.stdout.write(`linked TimeClock employee ${employeeNumber} to clockodo user ${clockodoUserId} (manual link; see reporting.employee_links)\n`);
  } finally {
    await db.close();
  }
}
