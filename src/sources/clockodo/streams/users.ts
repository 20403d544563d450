/**
 * clockodo `GET /v3/users` as a stream: a snapshot of the whole list, so any range is one window
 * (the dates only name the run); every page is read before anything is loaded.
 */
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { transformUsers } from '../../../transform/clockodo/users.ts';
import type { ClockodoClient, UsersListing } from '../client.ts';

export function usersStream(client: ClockodoClient, account: string): Stream {
  return {
    source: 'clockodo',
    name: 'users',
    account,
    defaultWindowDays: 36_600,
    splitWindows: (from: string, to: string): DateWindow[] => [{ start: from, end: to }],
    fetch: () => client.users(),
    transform: (answer) => transformUsers(answer as UsersListing, account),
  };
}
