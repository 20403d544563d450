/**
 * The TimeClock `extended-sessions` method as a stream. It asks one day per request, because the
 * totals it returns (worked, leave, expected seconds) are per requested range: per-day requests
 * give expected time per day.
 *
 * Its answer's fingerprint combines the days' (each hashed as it arrives, without the request id),
 * so it is known only after the last day: each day is parsed as it comes (a body that does not parse
 * is fetched again under the retry policy, as for any call), and an unchanged window skips only the
 * transform and the load.
 */
import { createHash } from 'node:crypto';
import { eachDay } from '../../../pipeline/windows.ts';
import type { DateWindow, ReceivedAnswer, Stream } from '../../../pipeline/stream.ts';
import { transformExtendedSessions, type ExtendedDayAnswer } from '../../../transform/timeclock/extended-sessions.ts';
import type { TimeclockClient } from '../client.ts';
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
    receive: async (window: DateWindow): Promise<ReceivedAnswer> => {
      const days: ExtendedDayAnswer[] = [];
      const hash = createHash('sha256');
      for (const date of eachDay(window)) {
        const call = await client.callFingerprinted('extended-sessions', { startDate: date, endDate: date }, () => false);
        await call.dispose();
        days.push({ date, result: call.result! });
        hash.update(`${date} ${call.sha256}\n`);
      }
      return { kind: 'answer', answerSha256: `days:${hash.digest('hex')}`, answer: days };
    },
    transform: (answer, window) => transformExtendedSessions(answer as ExtendedDayAnswer[], account, window, reading),
  };
}
