/**
 * The TimeClock `extended-sessions` method as a stream. It asks one day per request, because the
 * totals it returns (worked, leave, expected seconds) are per requested range: per-day requests
 * give expected time per day.
 */
import { eachDay } from '../../../pipeline/windows.ts';
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
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
    transform: (answer, window) => transformExtendedSessions(answer as ExtendedDayAnswer[], account, window, reading),
  };
}
