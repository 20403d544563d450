/** Manual links between a TimeClock employee and a clockodo user (reporting.employee_links). */
import type { Pool } from 'pg';
import { UsageError } from '../errors.ts';

export interface ManualLink {
  timeclockAccount: string;
  employeeNumber: string;
  clockodoAccount: string;
  clockodoUserId: number;
  createdBy: string;
}

export async function setManualLink(pool: Pool, link: ManualLink): Promise<void> {
  const { rows } = await pool.query<{ employee: boolean; user: boolean }>(
    `SELECT EXISTS (SELECT 1 FROM punchcard.tc_employees WHERE account = $1 AND employee_number = $2) AS employee,
            EXISTS (SELECT 1 FROM punchcard.ck_users WHERE account = $3 AND id = $4 AND deleted_at IS NULL) AS user`,
    [link.timeclockAccount, link.employeeNumber, link.clockodoAccount, link.clockodoUserId],
  );
  if (!rows[0]!.employee) throw new UsageError(`no TimeClock employee ${link.employeeNumber} (account ${link.timeclockAccount}) in the warehouse: sync TimeClock first`);
  if (!rows[0]!.user) throw new UsageError(`no clockodo user ${link.clockodoUserId} (account ${link.clockodoAccount}) in the warehouse: sync the clockodo users stream first`);
  // One manual link per clockodo user: moving it silently would unlink someone else's hours.
  const refuseIfTaken = async () => {
    const { rows: taken } = await pool.query<{ account: string; employee: string }>(
      `SELECT timeclock_account AS account, employee_number::text AS employee FROM punchcard.employee_link_overrides
       WHERE clockodo_account = $3 AND clockodo_user_id = $4 AND (timeclock_account, employee_number) <> ($1, $2)`,
      [link.timeclockAccount, link.employeeNumber, link.clockodoAccount, link.clockodoUserId],
    );
    if (taken[0]) {
      throw new UsageError(
        `clockodo user ${link.clockodoUserId} (account ${link.clockodoAccount}) is already linked to TimeClock employee ${taken[0].employee} (account ${taken[0].account}): ` +
          `remove that link first with \`punchcard link --timeclock ${taken[0].employee} --remove\``,
      );
    }
  };
  await refuseIfTaken();
  try {
    await pool.query(
      `INSERT INTO punchcard.employee_link_overrides (timeclock_account, employee_number, clockodo_account, clockodo_user_id, created_by)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (timeclock_account, employee_number)
       DO UPDATE SET clockodo_account = EXCLUDED.clockodo_account, clockodo_user_id = EXCLUDED.clockodo_user_id, created_at = now(), created_by = EXCLUDED.created_by`,
      [link.timeclockAccount, link.employeeNumber, link.clockodoAccount, link.clockodoUserId, link.createdBy],
    );
  } catch (error) {
    // A concurrent `link` took the user between the check and the insert: name who has it now.
    if ((error as { constraint?: string }).constraint === 'employee_link_overrides_clockodo_key') await refuseIfTaken();
    throw error;
  }
}

export async function removeManualLink(pool: Pool, timeclockAccount: string, employeeNumber: string): Promise<boolean> {
  const result = await pool.query(`DELETE FROM punchcard.employee_link_overrides WHERE timeclock_account = $1 AND employee_number = $2`, [timeclockAccount, employeeNumber]);
  return (result.rowCount ?? 0) > 0;
}
