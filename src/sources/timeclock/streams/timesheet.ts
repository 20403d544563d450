/** The TimeClock `timesheet` method as a stream: one request per window. */
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { transformTimesheet } from '../../../transform/timeclock/timesheet.ts';
import type { TimeclockClient } from '../client.ts';
import { receiveCall } from './received.ts';
import type { TimeclockReading } from '../../../transform/timeclock/common.ts';

export function timesheetStream(client: TimeclockClient, account: string, defaultWindowDays: number, reading: TimeclockReading): Stream {
  return {
    source: 'timeclock',
    name: 'timesheet',
    account,
    defaultWindowDays,
    fetch: (window: DateWindow) => client.call('timesheet', { startDate: window.start, endDate: window.end }),
    receive: (window, known) => receiveCall(client, 'timesheet', window, known, (records) => transformTimesheet(records, account, window, reading)),
    transform: (answer, window) => transformTimesheet(answer as unknown[], account, window, reading),
  };
}
