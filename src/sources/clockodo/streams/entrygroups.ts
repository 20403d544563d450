/**
 * clockodo `GET /v2/entrygroups` as a stream: windows are calendar months (whole local days of
 * CLOCKODO_TIMEZONE), one throttled request per window with the configured grouping.
 */
import type { ClockodoConfig } from '../../../config.ts';
import { ConfigError } from '../../../errors.ts';
import type { DateWindow, Stream } from '../../../pipeline/stream.ts';
import { splitByMonth } from '../../../pipeline/windows.ts';
import { transformEntrygroups } from '../../../transform/clockodo/entrygroups.ts';
import { utcBoundsOfLocalDays } from '../../../transform/clockodo/time.ts';
import type { ClockodoClient } from '../client.ts';

export type EntrygroupsSettings = Pick<
  ClockodoConfig,
  'account' | 'timezone' | 'grouping' | 'roundToMinutes' | 'prependCustomerToProjectName' | 'calcAlsoRevenuesForProjectsWithHardBudget'
>;

/** Rows are owned by their day: a grouping without `day` could not be kept in sync. */
export function checkGrouping(grouping: readonly string[]): void {
  if (!grouping.includes('day')) {
    throw new ConfigError(
      `CLOCKODO_GROUPING must contain "day" (got "${grouping.join(',')}"): entrygroups rows are owned by their day, which is how deleted time entries are detected`,
      'CLOCKODO_GROUPING',
    );
  }
}

export function entrygroupsStream(client: ClockodoClient, settings: EntrygroupsSettings): Stream {
  checkGrouping(settings.grouping);
  return {
    source: 'clockodo',
    name: 'entrygroups',
    account: settings.account,
    defaultWindowDays: 31,
    splitWindows: splitByMonth,
    // clockodo answers about 10 entrygroups requests a minute, so parallel months gain nothing
    // against the real API, and each month's answer (tens of MB for 1,000 users) is held whole:
    // one at a time keeps a backfill's memory to one month.
    maxConcurrentWindows: 1,
    fetch: (window: DateWindow) =>
      client.entrygroups({
        ...utcBoundsOfLocalDays(window, settings.timezone),
        grouping: settings.grouping,
        roundToMinutes: settings.roundToMinutes,
        // Always sent, so what lands does not hang on clockodo's defaults (see config.ts).
        prependCustomerToProjectName: settings.prependCustomerToProjectName,
        calcAlsoRevenuesForProjectsWithHardBudget: settings.calcAlsoRevenuesForProjectsWithHardBudget,
      }),
    transform: (answer, window) =>
      transformEntrygroups(answer, { account: settings.account, grouping: settings.grouping, roundToMinutes: settings.roundToMinutes, window }),
  };
}
