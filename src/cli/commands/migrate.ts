import type { CommandContext } from '../context.ts';
import { openWarehouse } from '../context.ts';
import { migrate } from '../../db/migrate.ts';

export async function migrateCommand(context: CommandContext): Promise<void> {
  const db = await openWarehouse(context, { migrate: false });
  try {
    const result = await migrate(db.pool, { logger: context.logger });
    process.stdout.write(
      result.applied.length === 0
        ? `database is up to date (${result.alreadyApplied} migrations)\n`
        : `applied ${result.applied.length} migration(s): ${result.applied.join(', ')}\n`,
    );
  } finally {
    await db.close();
  }
}
