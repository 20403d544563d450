/**
 * clockodo `GET /v3/users` as a stream: a snapshot of the whole list, so any range is one window
 * (the dates only name the run); every page is read before anything is loaded.
 *
 * The entrygroups document does not promise /v3/users (only clockodo's wider reference has it).
 * Where it answers 404/410 the stream loads nothing and marks nothing deleted, with a warning:
 * names then come from the entrygroups answers alone.
 */
import type { Logger } from '../../../logger.ts';
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { transformUsers } from '../../../transform/clockodo/users.ts';
import { isEndpointMissing, type ClockodoClient, type UsersListing } from '../client.ts';

const UNAVAILABLE = Symbol('users endpoint unavailable');

export function usersStream(client: ClockodoClient, account: string, logger?: Logger): Stream {
  return {
    source: 'clockodo',
    name: 'users',
    account,
    defaultWindowDays: 36_600,
    splitWindows: (from: string, to: string): DateWindow[] => [{ start: from, end: to }],
    fetch: async () => {
      try {
        return await client.users();
      } catch (error) {
        if (!isEndpointMissing(error)) throw error;
        logger?.warn({ err: error }, 'clockodo /v3/users is not available for this account: the users stream loads nothing (user names come from entrygroups)');
        return UNAVAILABLE;
      }
    },
    transform: (answer) => (answer === UNAVAILABLE ? { received: 0, tables: [], rejects: [] } : transformUsers(answer as UsersListing, account)),
  };
}
