/**
 * `punchcard grant-bi --role NAME`: creates or updates the read-only login role for BI tools.
 * It does not migrate (an administrator may run it with other rights than the owner's): the
 * warehouse must already be migrated.
 */
import { namedSecret } from '../../config.ts';
import { grantBiRole } from '../../db/roles.ts';
import { UsageError } from '../../errors.ts';
import { openWarehouse, type CommandContext } from '../context.ts';

export async function grantBiCommand(context: CommandContext, flags: { role?: string; passwordEnv?: string }): Promise<void> {
  const role = flags.role ?? 'punchcard_bi';
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(role)) throw new UsageError(`--role must be a plain identifier (letters, digits, _), got "${role}"`);
  // The password comes from an environment variable, never from argv (visible in `ps`).
  let password: string | undefined;
  if (flags.passwordEnv !== undefined) {
    const value = namedSecret(flags.passwordEnv);
    if (value === undefined) throw new UsageError(`--password-env ${flags.passwordEnv}: that variable is empty or not set`);
    password = value;
  }
  const db = await openWarehouse(context, 'read');
  try {
    const { created, owners, notes } = await grantBiRole(db.pool, { role, password });
    process.stdout.write(
      `${created ? 'created' : 'updated'} role ${role}: SELECT on every view of schema reporting (present, and future ones created by ${owners.join(', ')}), nothing in schema punchcard, no temporary objects` +
        `${password ? '; password set' : created ? '; no password set (use --password-env VAR)' : ''}\n`,
    );
    for (const note of notes) process.stdout.write(`note: ${note}\n`);
  } finally {
    await db.close();
  }
}
