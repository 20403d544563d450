/** The TimeClock `sessions` method as a stream: one request per window. */
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { transformSessions } from '../../../transform/timeclock/sessions.ts';
import type { TimeclockClient } from '../client.ts';
import { receiveCall } from './received.ts';
import type { TimeclockReading } from '../../../transform/timeclock/common.ts';

export function sessionsStream(client: TimeclockClient, account: string, defaultWindowDays: number, reading: TimeclockReading): Stream {
  return {
    source: 'timeclock',
    name: 'sessions',
    account,
    defaultWindowDays,
    fetch: (window: DateWindow) => client.call('sessions', { startDate: window.start, endDate: window.end }),
    receive: (window, known) => receiveCall(client, 'sessions', window, known, (records) => transformSessions(records, account, window, reading)),
    transform: (answer, window) => transformSessions(answer as unknown[], account, window, reading),
  };
}
