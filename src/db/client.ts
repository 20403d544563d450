/**
 * Checking a client out of the pool safely. A connection the server ends while we hold it (a
 * restart, pg_terminate_backend) emits 'error' on the client; without a listener that would crash
 * the process. Here it is recorded, the next statement fails with it, and the broken client is
 * destroyed instead of returned to the pool.
 */
import type { Pool, PoolClient } from 'pg';

export async function withClient<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  const onError = (error: Error) => {
    broken = error;
  };
  client.on('error', onError);
  try {
    return await work(client);
  } catch (error) {
    broken ??= error instanceof Error && isConnectionLevel(error) ? error : undefined;
    throw error;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}

/** Runs `work` in a transaction on its own client: COMMIT on success, ROLLBACK on failure. */
export async function inTransaction<T>(pool: Pool, work: (client: PoolClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    await client.query('BEGIN');
    try {
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

function isConnectionLevel(error: Error): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code.startsWith('08') || code.startsWith('57P') || /Connection terminated|ECONNRESET/i.test(error.message);
}
