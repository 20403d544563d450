/** TimeClock 365: the streams this source offers, built around one client. */
import type { TimeclockConfig } from '../../config.ts';
import type { Stream } from '../../pipeline/stream.ts';
import { createTimeclockClient, type TimeclockClient } from './client.ts';
import type { HttpTransportOptions } from '../http.ts';
import type { TimeclockReading } from '../../transform/timeclock/common.ts';
import { sessionsStream } from './streams/sessions.ts';
import { lunchesStream } from './streams/lunches.ts';
import { timesheetStream } from './streams/timesheet.ts';
import { extendedSessionsStream } from './streams/extended-sessions.ts';

export function timeclockReading(config: TimeclockConfig): TimeclockReading {
  return { stamps: config.stamps, defaultZone: config.timezone };
}

export const TIMECLOCK_STREAMS = ['sessions', 'lunches', 'timesheet', 'extended-sessions'] as const;

export function timeclockStreams(config: TimeclockConfig, transport: Omit<HttpTransportOptions, 'source' | 'secrets'>): Stream[] {
  const client: TimeclockClient = createTimeclockClient({ ...transport, url: config.url, token: config.token });
  const reading = timeclockReading(config);
  // The reading turns the same answer into other rows (UTC stamps, defaulted zones): part of the
  // answer's fingerprint, so a re-backfill after changing it restates instead of skipping.
  const settingsFingerprint = `stamps=${reading.stamps};defaultZone=${reading.defaultZone ?? ''}`;
  return [
    sessionsStream(client, config.account, config.windowDays, reading),
    lunchesStream(client, config.account, config.windowDays, reading),
    timesheetStream(client, config.account, config.windowDays, reading),
    extendedSessionsStream(client, config.account, config.windowDays, reading),
  ].map((stream) => ({ ...stream, settingsFingerprint }));
}
