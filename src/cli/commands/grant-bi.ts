/** `punchcard grant-bi --role NAME`: creates or updates the read-only login role for BI tools. */
import { grantBiRole } from '../../db/roles.ts';
import { UsageError } from '../../errors.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function grantBiCommand(context: CommandContext, flags: { role?: string; passwordEnv?: string }): Promise<void> {
  const role = flags.role ?? 'punchcard_bi';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(role)) throw new UsageError(`--role must be a plain identifier (letters, digits, _), got "${role}"`);
  // The password comes from an environment variable, never from argv (visible in `ps`).
  let password: string | undefined;
  if (flags.passwordEnv) {
    password = process.env[flags.passwordEnv];
    if (!password) throw new UsageError(`--password-env ${flags.passwordEnv}: that variable is empty or not set`);
  }
  const db = await openWarehouse(context);
  try {
    const { created } = await grantBiRole(db.pool, { role, password });
    process.stdout.write(
      `${created ? 'created' : 'updated'} role ${role}: SELECT on every view of schema reporting (present and future), nothing in schema punchcard` +
        `${password ? '; password set' : created ? '; no password set (use --password-env VAR)' : ''}\n`,
    );
  } finally {
    await db.close();
  }
}
