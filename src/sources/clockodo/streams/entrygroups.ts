/**
 * clockodo `GET /v2/entrygroups` as a stream: windows are calendar months (whole local days of
 * CLOCKODO_TIMEZONE), one throttled request per window with the configured grouping.
 */
import type { ClockodoConfig } from '../../../config.ts';
import { ConfigError } from '../../../errors.ts';
import type { DateWindow, ReceivedAnswer, Stream } from '../../../pipeline/stream.ts';
import { splitByMonth } from '../../../pipeline/windows.ts';
import { oneTableTransformer, openSpool } from '../../../pipeline/spool.ts';
import { ckEntrygroups } from '../../../load/tables-clockodo.ts';
import { createEntrygroupsTransformer, groupingSignature, transformEntrygroups } from '../../../transform/clockodo/entrygroups.ts';
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

/**
 * Months of one account in flight at once, in the in-process runner and on the queue (boss.ts
 * groupTiers). clockodo answers about 10 entrygroups requests a minute, so more months at once gain
 * nothing against the real API. One: loads of a stream take turns anyway (lockStream), and with two
 * in flight a second hand spent most of a month waiting for that lock with its month spooled, while
 * the TimeClock windows it could have run waited (1,000 × 365 backfill: 12 months on both hands for
 * 207 s, then TimeClock alone). With one, the other hands take the shorter windows meanwhile.
 */
export const ENTRYGROUPS_MONTHS_IN_FLIGHT = 1;

export function entrygroupsStream(client: ClockodoClient, settings: EntrygroupsSettings): Stream {
  checkGrouping(settings.grouping);
  const query = (window: DateWindow) => ({
    ...utcBoundsOfLocalDays(window, settings.timezone),
    grouping: settings.grouping,
    roundToMinutes: settings.roundToMinutes,
    // Always sent, so what lands does not hang on clockodo's defaults (see config.ts).
    prependCustomerToProjectName: settings.prependCustomerToProjectName,
    calcAlsoRevenuesForProjectsWithHardBudget: settings.calcAlsoRevenuesForProjectsWithHardBudget,
  });
  const context = (window: DateWindow) => ({ account: settings.account, grouping: settings.grouping, roundToMinutes: settings.roundToMinutes, window });
  return {
    source: 'clockodo',
    name: 'entrygroups',
    account: settings.account,
    defaultWindowDays: 31,
    splitWindows: splitByMonth,
    maxConcurrentWindows: ENTRYGROUPS_MONTHS_IN_FLIGHT,
    settingsFingerprint: groupingSignature(settings.grouping, settings.roundToMinutes),
    fetch: (window: DateWindow) => client.entrygroups(query(window)),
    transform: (answer, window) => transformEntrygroups(answer, context(window)),
    // The fingerprint is the SHA-256 of the body's bytes, as it was before receive() existed.
    receive: async (window, known): Promise<ReceivedAnswer> => {
      const open = () => openSpool({ listKey: 'groups', keepRawAnswer: true }, oneTableTransformer(ckEntrygroups, createEntrygroupsTransformer(context(window))));
      const answer = await client.entrygroupsFingerprinted(query(window), known, open);
      const answerSha256 = answer.sha256;
      if (answer.value === undefined) {
        return { kind: 'known', answerSha256, read: async () => ({ kind: 'spooled', answerSha256, spooled: await answer.read() }), dispose: answer.dispose };
      }
      await answer.dispose();
      return { kind: 'spooled', answerSha256, spooled: answer.value };
    },
  };
}
