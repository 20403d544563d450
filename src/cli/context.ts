/**
 * What every command starts from: validated configuration, a logger that knows the secrets to
 * hide, the database (migrated on request), and an AbortSignal raised by Ctrl-C / SIGTERM.
 */
import { join } from 'node:path';
import { loadConfig, type Config } from '../config.ts';
import { openDatabase, type Database } from '../db/connection.ts';
import { migrate } from '../db/migrate.ts';
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
    secrets: [config.timeclock?.token, config.clockodo?.apiKey, passwordOf(config.databaseUrl)],
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

export async function openWarehouse(context: CommandContext, options: { migrate?: boolean } = {}): Promise<Database> {
  const db = await openDatabase({
    databaseUrl: context.config.databaseUrl,
    dataDir: join(context.config.dataDir, 'pgdata'),
    logger: context.logger,
  });
  if (options.migrate ?? true) {
    try {
      await migrate(db.pool, { logger: context.logger });
      // The views read these settings (personal data reaches reporting only when configured so).
      await db.pool.query(
        `INSERT INTO punchcard.settings (key, value)
         VALUES ('expose_personal_data', $1), ('reconciliation_tolerance_seconds', $2)
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE punchcard.settings.value IS DISTINCT FROM EXCLUDED.value`,
        [String(context.config.exposePersonalData), String(context.config.reconciliationToleranceSeconds)],
      );
    } catch (error) {
      await db.close();
      throw error;
    }
  }
  return db;
}

function passwordOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
