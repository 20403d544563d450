/** Loads hand-written API answers through the real transforms and loader, for view tests. */
import type { Pool } from 'pg';
import { finalizeBatch } from '../../src/pipeline/batch.ts';
import { loadWindow } from '../../src/load/load-window.ts';
import { startRun } from '../../src/load/ledger.ts';
import type { DateWindow, StreamBatch } from '../../src/pipeline/stream.ts';

export async function seedBatch(pool: Pool, source: 'timeclock' | 'clockodo', stream: string, account: string, window: DateWindow, batch: StreamBatch) {
  const runId = await startRun(pool, { kind: 'backfill', sources: [source], streams: [`${source}.${stream}`], from: window.start, to: window.end, windowDays: 0 });
  return loadWindow(pool, { runId, source, account, stream, window, startedAt: new Date() }, finalizeBatch(batch));
}
