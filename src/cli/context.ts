/**
 * What every command starts from: validated configuration, a logger that knows the secrets to
 * hide, the database (migrated or checked, see WarehouseAccess), and an AbortSignal raised by
 * Ctrl-C / SIGTERM.
 */
import { join } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { migrate, pendingMigrations } from '../db/migrate.ts';
import { ConfigError, UsageError } from '../errors.ts';
import { createLogger, type Logger } from '../logger.ts';
import { runsInProgress } from '../pipeline/run.ts';

export interface CommandContext {
  config: Config;
  logger: Logger;
  signal: AbortSignal;
  interactive: boolean;
}

export interface ContextOptions {
  /**
   * The first signal only raises the AbortSignal, even when no run is in progress (the worker,
   * which stops its schedule and server cleanly and exits 0). Otherwise a signal that finds no run
   * in progress ends the process at once: planning, connecting or waiting has nothing to wind down.
   */
  gracefulStop?: boolean;
}

export function createContext(env: NodeJS.ProcessEnv = process.env, options: ContextOptions = {}): CommandContext {
  const config = loadConfig(env);
  const interactive = Boolean(process.stderr.isTTY) && env.CI !== 'true';
  const logger = createLogger({
    level: config.logLevel,
    pretty: interactive,
    // No `secrets`: loadConfig registered every credential (and the database password) for scrubSecrets.
  });
  const controller = new AbortController();
  let signals = 0;
  const onSignal = (name: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1 && !options.gracefulStop && runsInProgress() === 0) {
      logger.warn({ signal: name }, 'stopping: nothing in progress');
      process.exit(name === 'SIGINT' ? 130 : 143);
    }
    if (signals > 1) {
      logger.warn({ signal: name }, 'second signal: exiting now; uncommitted windows roll back');
      process.exit(130);
    }
    logger.warn({ signal: name }, 'stopping: windows in flight finish or roll back, no new window starts');
    controller.abort(new Error(`received ${name}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return { config, logger, signal: controller.signal, interactive };
}

/**
 * How a command uses the warehouse. `write` migrates first (commands that load or change data);
 * `read` neither migrates nor writes warehouse data and refuses an unmigrated database with one
 * line (status, report; grant-bi, which changes only roles and grants); `raw` only connects
 * (migrate, check decide for themselves).
 * Settings are never written here: only `migrate`, the worker and `settings apply` change them,
 * so a read-only command run with another environment cannot change what BI users see.
 */
export type WarehouseAccess = 'write' | 'read' | 'raw';

export async function openWarehouse(context: CommandContext, access: WarehouseAccess): Promise<Database> {
  const db = await openDatabase({
    databaseUrl: context.config.databaseUrl,
    dataDir: join(context.config.dataDir, 'pgdata'),
    logger: context.logger,
  }).catch((error: unknown) => {
    throw dataDirError(context.config.dataDir, error) ?? error;
  });
  try {
    if (access === 'write') await migrate(db.pool, { logger: context.logger });
    if (access === 'read') {
      const pending = await pendingMigrations(db.pool);
      if (pending.length > 0) {
        throw new UsageError(`the warehouse lacks ${pending.length} migration(s) (${pending.join(', ')}): run \`punchcard migrate\` first`);
      }
    }
  } catch (error) {
    await db.close();
    throw error;
  }
  return db;
}

/** The embedded server's folder cannot be made: a user mistake, named by its variable. */
function dataDirError(dataDir: string, error: unknown): ConfigError | undefined {
  const e = error as NodeJS.ErrnoException;
  if (e?.syscall !== 'mkdir') return undefined;
  const where = `PUNCHCARD_DATA_DIR ${JSON.stringify(dataDir)}`;
  if (e.code === 'EEXIST') return new ConfigError(`${where}: ${e.path ?? dataDir} is a file, not a folder`, 'PUNCHCARD_DATA_DIR');
  if (e.code === 'ENOTDIR') return new ConfigError(`${where}: a part of ${e.path ?? dataDir} is a file, not a folder`, 'PUNCHCARD_DATA_DIR');
  if (e.code === 'EACCES' || e.code === 'EPERM' || e.code === 'EROFS' || e.code === 'ENOENT') return new ConfigError(`${where}: cannot create ${e.path ?? dataDir} (${e.code})`, 'PUNCHCARD_DATA_DIR');
  return undefined;
}
