/**
 * A single-request TimeClock method as a stream's `receive`: the answer's records go one by one
 * through the transform into a spool (pipeline/spool.ts), so a window's answer is never held whole;
 * an answer recognised by its fingerprint is not parsed at all.
 */
import type { DateWindow, ReceivedAnswer, StreamBatch } from '../../../pipeline/stream.ts';
import { openSpool, recordByRecordTransformer } from '../../../pipeline/spool.ts';
import type { TimeclockClient, TimeclockMethod } from '../client.ts';

export async function receiveCall(
  client: TimeclockClient,
  method: TimeclockMethod,
  window: DateWindow,
  known: ((answerSha256: string) => boolean) | undefined,
  transform: (records: unknown[]) => StreamBatch,
): Promise<ReceivedAnswer> {
  const open = () => openSpool({ listKey: 'result', keepRawAnswer: false }, recordByRecordTransformer(transform));
  const call = await client.callSpooled(method, { startDate: window.start, endDate: window.end }, known, open);
  const answerSha256 = call.sha256;
  if (call.value === undefined) {
    return { kind: 'known', answerSha256, read: async () => ({ kind: 'spooled', answerSha256, spooled: await call.read() }), dispose: call.dispose };
  }
  await call.dispose();
  return { kind: 'spooled', answerSha256, spooled: call.value };
}
