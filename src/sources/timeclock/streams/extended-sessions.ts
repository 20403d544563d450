/**
 * The TimeClock `extended-sessions` method as a stream. It asks one day per request, because the
 * totals it returns (worked, leave, expected seconds) are per requested range: per-day requests
 * give expected time per day.
 *
 * Its answer's fingerprint combines the days' (each hashed as it arrives, without the request id),
 * so it is known only once the last day is in: every day is received before any is parsed. A day
 * whose body then fails to parse in a way a new attempt may cure (truncated, not JSON, a server-side
 * JSON-RPC error) is asked again under the whole retry policy, as call() would have: such a day may
 * see one attempt more than its retries allow.
 */
import { createHash } from 'node:crypto';
import { SourceError } from '../../../errors.ts';
import { eachDay } from '../../../pipeline/windows.ts';
import type { DateWindow, ReceivedAnswer, Stream } from '../../../pipeline/stream.ts';
import { transformExtendedSessions, type ExtendedDayAnswer } from '../../../transform/timeclock/extended-sessions.ts';
import type { FingerprintedCall, TimeclockClient } from '../client.ts';
import type { TimeclockReading } from '../../../transform/timeclock/common.ts';

export function extendedSessionsStream(client: TimeclockClient, account: string, defaultWindowDays: number, reading: TimeclockReading): Stream {
  return {
    source: 'timeclock',
    name: 'extended-sessions',
    account,
    defaultWindowDays,
    fetch: async (window: DateWindow): Promise<ExtendedDayAnswer[]> => {
      const days: ExtendedDayAnswer[] = [];
      for (const date of eachDay(window)) {
        days.push({ date, result: await client.call('extended-sessions', { startDate: date, endDate: date }) });
      }
      return days;
    },
    receive: async (window: DateWindow, known): Promise<ReceivedAnswer> => {
      const days: Array<{ date: string; call: FingerprintedCall }> = [];
      const dispose = async () => void (await Promise.all(days.map(({ call }) => call.dispose())));
      try {
        // Received, not parsed (`known` says yes to each day: the window decides once all are in).
        for (const date of eachDay(window)) days.push({ date, call: await client.callFingerprinted('extended-sessions', { startDate: date, endDate: date }, () => true) });
        const answerSha256 = windowSha256(days.map(({ date, call }) => ({ date, sha256: call.sha256 })));
        const read = () => readDays(client, days);
        if (known?.(answerSha256)) return { kind: 'known', answerSha256, read, dispose };
        const answer = await read();
        await dispose();
        return answer;
      } catch (error) {
        await dispose();
        throw error;
      }
    },
    transform: (answer, window) => transformExtendedSessions(answer as ExtendedDayAnswer[], account, window, reading),
  };
}

function windowSha256(days: Array<{ date: string; sha256: string }>): string {
  const hash = createHash('sha256');
  for (const { date, sha256 } of days) hash.update(`${date} ${sha256}\n`);
  return `days:${hash.digest('hex')}`;
}

/** Parses the received days, asking again for a day whose body a new attempt may cure. */
async function readDays(client: TimeclockClient, days: Array<{ date: string; call: FingerprintedCall }>): Promise<{ kind: 'answer'; answerSha256: string; answer: ExtendedDayAnswer[] }> {
  const answer: ExtendedDayAnswer[] = [];
  const hashes: Array<{ date: string; sha256: string }> = [];
  for (const { date, call } of days) {
    try {
      answer.push({ date, result: call.result ?? (await call.read()) });
      hashes.push({ date, sha256: call.sha256 });
    } catch (error) {
      if (!(error instanceof SourceError && error.retryable)) throw error;
      const again = await client.callFingerprinted('extended-sessions', { startDate: date, endDate: date }, () => false);
      await again.dispose();
      answer.push({ date, result: again.result! });
      hashes.push({ date, sha256: again.sha256 });
    }
  }
  return { kind: 'answer', answerSha256: windowSha256(hashes), answer };
}
