/** The TimeClock `lunches` method as a stream: one request per window. */
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { transformLunches } from '../../../transform/timeclock/lunches.ts';
import type { TimeclockClient } from '../client.ts';
import { receiveCall } from './received.ts';
import type { TimeclockReading } from '../../../transform/timeclock/common.ts';

export function lunchesStream(client: TimeclockClient, account: string, defaultWindowDays: number, reading: TimeclockReading): Stream {
  return {
    source: 'timeclock',
    name: 'lunches',
    account,
    defaultWindowDays,
    fetch: (window: DateWindow) => client.call('lunches', { startDate: window.start, endDate: window.end }),
    receive: (window, known) => receiveCall(client, 'lunches', window, known, (records) => transformLunches(records, account, window, reading)),
    transform: (answer, window) => transformLunches(answer as unknown[], account, window, reading),
  };
}
