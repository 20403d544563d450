/**
 * The per-window unit: fetch → transform → load → ledger row, the load in one transaction. It is
 * split in two so a runner can overlap windows: prepareWindow does the network and the CPU work
 * (a big answer spooled to disk as it arrives), commitWindow the database work. syncWindow runs
 * both for one window, for callers that schedule windows themselves (one job per window).
 *
 * An answer equal to the one the window last committed (same fingerprint) is recorded without
 * transforming, staging or merging anything: an unchanged re-sync costs about what reading the
 * answers costs.
 */
import { createHash } from 'node:crypto';
import type { Pool } from 'pg';
import type { Logger } from '../logger.ts';
import { jsonPieces } from '../load/copy-format.ts';
import { lastCommittedAnswer, loadSpooledWindow, loadWindow, type LedgerHooks, type WindowCounts, type WindowIdentity } from '../load/load-window.ts';
import { withDatabaseRetries } from '../load/retryable.ts';
import { finalizeBatch } from './batch.ts';
import type { SpooledBatch } from './spool.ts';
import type { DateWindow, Stream, StreamBatch } from './stream.ts';

/**
 * Raised whenever a transform or the rows it makes change meaning, so that answers fingerprinted
 * by an older version are loaded again instead of being taken as unchanged.
 */
export const TRANSFORM_VERSION = 1;

export type PreparedWindow =
  | { kind: 'spooled'; fingerprint: string; spooled: SpooledBatch }
  | { kind: 'batch'; fingerprint: string; answer: unknown; batch?: StreamBatch };

export interface WindowTaskLike {
  stream: Stream;
  window: DateWindow;
}

/** The fingerprint of an answer: its SHA-256 with the transform's version and the stream's settings. */
export function answerFingerprint(stream: Stream, answerSha256: string): string {
  return createHash('sha256').update(`${TRANSFORM_VERSION}\n${stream.settingsFingerprint ?? ''}\n${answerSha256}`).digest('hex');
}

/** SHA-256 of a parsed answer's JSON text, written piece by piece rather than as one string. */
export function sha256OfAnswer(answer: unknown): string {
  const hash = createHash('sha256');
  for (const piece of jsonPieces(answer)) hash.update(piece);
  return hash.digest('hex');
}

/**
 * Fetches (and for an in-memory stream transforms) one window. An in-memory answer that matches
 * the last committed one is not transformed: commitWindow will most likely record it unchanged.
 */
export async function prepareWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike): Promise<PreparedWindow> {
  const { stream, window } = task;
  if (stream.fetchSpooled) {
    const spooled = await stream.fetchSpooled(window);
    return { kind: 'spooled', fingerprint: answerFingerprint(stream, spooled.answerSha256), spooled };
  }
  const answer = await stream.fetch(window);
  const fingerprint = answerFingerprint(stream, sha256OfAnswer(answer));
  const last = await withDatabaseRetries(() => lastCommittedAnswer(pool, identity), { attempts: 4, baseDelayMs: 200 });
  if (last?.answerSha256 === fingerprint) return { kind: 'batch', fingerprint, answer };
  return { kind: 'batch', fingerprint, answer, batch: finalizeBatch(stream.transform(answer, window)) };
}

/**
 * Loads a prepared window in one transaction with its ledger row (retried on database errors);
 * `hooks` run in that transaction after the ledger row (the queue counts its run down there).
 */
export async function commitWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike, prepared: PreparedWindow, log: Logger, hooks: LedgerHooks = {}): Promise<WindowCounts> {
  const options = { ...hooks, answerSha256: prepared.fingerprint };
  return withDatabaseRetries(
    async () => {
      // One transaction: an answer unchanged since the window's last commit is only recorded.
      if (prepared.kind === 'spooled') return loadSpooledWindow(pool, identity, prepared.spooled, options);
      return loadWindow(pool, identity, () => (prepared.batch ??= finalizeBatch(task.stream.transform(prepared.answer, task.window))), options);
    },
    {
      attempts: 4,
      baseDelayMs: 200,
      onRetry: (error, attempt) => log.warn({ err: error, attempt }, 'database error while loading the window; it rolled back, loading it again'),
    },
  );
}

/** Frees what a prepared window holds (its spool files). */
export async function disposeWindow(prepared: PreparedWindow | undefined): Promise<void> {
  if (prepared?.kind === 'spooled') await prepared.spooled.dispose();
}

/** The whole unit for one window. */
export async function syncWindow(pool: Pool, identity: WindowIdentity, task: WindowTaskLike, log: Logger, hooks?: LedgerHooks): Promise<WindowCounts> {
  const prepared = await prepareWindow(pool, identity, task);
  try {
    return await commitWindow(pool, identity, task, prepared, log, hooks);
  } finally {
    await disposeWindow(prepared);
  }
}
