/** A TimeClock call as a stream's `receive`: one request, its answer recognised before parsing. */
import type { DateWindow, ReceivedAnswer } from '../../../pipeline/stream.ts';
import type { TimeclockClient, TimeclockMethod } from '../client.ts';

export async function receiveCall(client: TimeclockClient, method: TimeclockMethod, window: DateWindow, known: ((answerSha256: string) => boolean) | undefined): Promise<ReceivedAnswer> {
  const call = await client.callFingerprinted(method, { startDate: window.start, endDate: window.end }, known ?? (() => false));
  const answerSha256 = call.sha256;
  if (call.result === undefined) {
    return { kind: 'known', answerSha256, read: async () => ({ kind: 'answer', answerSha256, answer: await call.read() }), dispose: call.dispose };
  }
  await call.dispose();
  return { kind: 'answer', answerSha256, answer: call.result };
}
