/** `punchcard migrate`: applies pending migrations, then writes the settings the views read. */
import type { CommandContext } from '../context.ts';
import { openWarehouse } from '../context.ts';
import { migrate } from '../../db/migrate.ts';
import { applySettings, describeSettingChanges } from '../../ops/settings.ts';

export async function migrateCommand(context: CommandContext): Promise<void> {
  const db = await openWarehouse(context, 'raw');
  try {
    const result = await migrate(db.pool, { logger: context.logger });
    const changes = await applySettings(db.pool, context.config);
    process.stdout.write(
      result.applied.length === 0
        ? `database is up to date (${result.alreadyApplied} migrations); ${describeSettingChanges(changes)}\n`
        : `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}; ${describeSettingChanges(changes)}\n`,
    );
  } finally {
    await db.close();
  }
}

/** `punchcard settings apply`: writes PUNCHCARD_EXPOSE_PERSONAL_DATA and the reconciliation tolerance. */
export async function settingsApplyCommand(context: CommandContext): Promise<void> {
  const db = await openWarehouse(context, 'write');
  try {
    process.stdout.write(`${describeSettingChanges(await applySettings(db.pool, context.config))}\n`);
  } finally {
    await db.close();
  }
}
