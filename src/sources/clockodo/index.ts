/** clockodo: the streams this source offers, built around one client (one throttle per process). */
import type { ClockodoConfig } from '../../config.ts';
import type { Stream } from '../../pipeline/stream.ts';
import type { HttpTransportOptions } from '../http.ts';
import { createClockodoClient, type ClockodoClient, type Clock, type RequestLimiter } from './client.ts';
import { entrygroupsStream } from './streams/entrygroups.ts';
import { usersStream } from './streams/users.ts';

export const CLOCKODO_STREAMS = ['entrygroups', 'users'] as const;

export type ClockodoTransport = Omit<HttpTransportOptions, 'source' | 'secrets'> & { clock?: Clock; entrygroupsLimiter?: RequestLimiter };

export function createClientFromConfig(config: ClockodoConfig, transport: ClockodoTransport): ClockodoClient {
  return createClockodoClient({
    ...transport,
    url: config.url,
    user: config.user,
    apiKey: config.apiKey,
    externalApplication: config.externalApplication,
    entrygroupsPerMinute: config.entrygroupsPerMinute,
    entrygroupsSpanSeconds: config.entrygroupsSpanSeconds,
  });
}

export function clockodoStreams(config: ClockodoConfig, transport: ClockodoTransport, client: ClockodoClient = createClientFromConfig(config, transport)): Stream[] {
  return [entrygroupsStream(client, config), usersStream(client, config.account, transport.logger)];
}
