/**
 * Which database errors are worth retrying a window's transaction for: the transaction rolled
 * back as a whole, and the same batch (already fetched and transformed) can be loaded again.
 */
import { setTimeout as sleep } from 'node:timers/promises';

const RETRYABLE_SQLSTATES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57P01', // admin_shutdown (pg_terminate_backend, server restart)
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (server starting up)
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
]);

const RETRYABLE_NODE_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);

export function isRetryableDatabaseError(error: unknown): boolean {
  if (!error || typeof error !== 'object') return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (RETRYABLE_SQLSTATES.has(code) || RETRYABLE_NODE_CODES.has(code))) return true;
  const message = (error as { message?: unknown }).message;
  return typeof message === 'string' && /Connection terminated|terminating connection|Client has encountered a connection error/i.test(message);
}

export interface DatabaseRetryOptions {
  attempts: number;
  baseDelayMs: number;
  onRetry?: (error: unknown, attempt: number) => void;
}

/** Runs `work` again (with jittered backoff) while it fails with a retryable database error. */
export async function withDatabaseRetries<T>(work: () => Promise<T>, options: DatabaseRetryOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= options.attempts || !isRetryableDatabaseError(error)) throw error;
      options.onRetry?.(error, attempt);
      await sleep(options.baseDelayMs * 2 ** (attempt - 1) * (0.5 + Math.random()));
    }
  }
}
