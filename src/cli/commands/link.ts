/** `punchcard link --timeclock N --clockodo M`: a manual link that wins over number and e-mail matching. */
import { hostname, userInfo } from 'node:os';
import { removeManualLink, setManualLink } from '../../load/links.ts';
import { UsageError } from '../../errors.ts';
import { accountsOf, chooseAccount, type Config } from '../../config.ts';
import { parseEmployeeNumber } from '../../transform/timeclock/common.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export interface LinkFlags {
  timeclock?: string;
  clockodo?: string;
  /** The label of both sides (the accounts file gives one label to a company's TimeClock and clockodo accounts). */
  account?: string;
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

/**
 * The account label of one side of the link: the one named (checked against the configured
 * accounts of that source, when there are any: a host with only DATABASE_URL links by the
 * warehouse's labels), else the only configured account, else "default". Several accounts and
 * none named is refused by chooseAccount: a link changes who is who, so it never guesses.
 */
function accountLabel(config: Config, source: 'timeclock' | 'clockodo', flags: LinkFlags): string {
  const own = source === 'timeclock' ? flags.timeclockAccount : flags.clockodoAccount;
  const label = own ?? flags.account;
  const option = own !== undefined ? `--${source}-account` : '--account';
  if (label !== undefined && accountsOf(config, source).length === 0) return label;
  const chosen = source === 'timeclock' ? chooseAccount(config, 'timeclock', label, option) : chooseAccount(config, 'clockodo', label, option);
  return chosen?.account ?? 'default';
}

export async function linkCommand(context: CommandContext, flags: LinkFlags): Promise<void> {
  const employeeNumber = employeeNumberOf(flags.timeclock);
  if (flags.account !== undefined && (flags.timeclockAccount !== undefined || flags.clockodoAccount !== undefined)) {
    throw new UsageError('give either --account or --timeclock-account / --clockodo-account, not both');
  }
  const timeclockAccount = accountLabel(context.config, 'timeclock', flags);
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
  const clockodoAccount = accountLabel(context.config, 'clockodo', flags);
  const db = await openWarehouse(context, 'write');
  try {
    await setManualLink(db.pool, { timeclockAccount, employeeNumber, clockodoAccount, clockodoUserId, createdBy: `${userInfo().username}@${hostname()}` });
    process.stdout.write(`linked TimeClock employee ${employeeNumber} to clockodo user ${clockodoUserId} (manual link; see reporting.employee_links)\n`);
  } finally {
    await db.close();
  }
}
