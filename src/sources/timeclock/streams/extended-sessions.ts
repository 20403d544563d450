/**
 * The TimeClock `extended-sessions` method as a stream. It asks one day per request, because the
 * totals it returns (worked, leave, expected seconds) are per requested range: per-day requests
 * give expected time per day.
 *
 * Its answer's fingerprint combines the days' (each hashed as it arrives, without the request id),
 * so it is known only once the last day is in: every day is received before any is parsed. Then
 * the days' records go one by one through the transform into a spool (spoolDays). A day whose body
 * fails to parse in a way a new attempt may cure (truncated, not JSON, a server-side JSON-RPC
 * error) is asked again under the whole retry policy, as call() would have: such a day may see one
 * attempt more than its retries allow.
 */
import { createHash } from 'node:crypto';
import { SourceError } from '../../../errors.ts';
import { eachDay } from '../../../pipeline/windows.ts';
import type { DateWindow, ReadAnswer, ReceivedAnswer, Stream } from '../../../pipeline/stream.ts';
import { openSpool, type ListSink, type SpooledBatch } from '../../../pipeline/spool.ts';
import { createExtendedSessionsTransformer, transformExtendedSessions, type ExtendedDayAnswer } from '../../../transform/timeclock/extended-sessions.ts';
import type { FingerprintedCall, TimeclockClient } from '../client.ts';
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
    receive: async (window: DateWindow, known): Promise<ReceivedAnswer> => {
      const days: ReceivedDay[] = [];
      const dispose = async () => void (await Promise.all(days.map(({ call }) => call.dispose())));
      try {
        // Received, not parsed (`known` says yes to each day: the window decides once all are in).
        for (const date of eachDay(window)) days.push({ date, call: await client.callFingerprinted('extended-sessions', { startDate: date, endDate: date }, () => true) });
        const answerSha256 = windowSha256(days.map(({ date, call }) => ({ date, sha256: call.sha256 })));
        const read = () => spoolDays(client, days, () => openSpool({ listKey: 'result', keepRawAnswer: false }, createExtendedSessionsTransformer(account, window, reading)));
        if (known?.(answerSha256)) return { kind: 'known', answerSha256, read, dispose };
        const answer = await read();
        await dispose();
        return answer;
      } catch (error) {
        await dispose();
        throw error;
      }
    },
    transform: (answer, window) => transformExtendedSessions(answer as ExtendedDayAnswer[], account, window, reading),
  };
}

function windowSha256(days: Array<{ date: string; sha256: string }>): string {
  const hash = createHash('sha256');
  for (const { date, sha256 } of days) hash.update(`${date} ${sha256}\n`);
  return `days:${hash.digest('hex')}`;
}

type ReceivedDay = { date: string; call: FingerprintedCall };

/**
 * Reads the received days, in order, into one spool (see pipeline/spool.ts): one day's records at
 * a time. A day whose body a new attempt may cure (truncated, not JSON, a server-side JSON-RPC
 * error) is asked again, once, and the window is spooled again from its first day, since the failed
 * day may have written some of its records already. The window's fingerprint is that of the days read.
 */
async function spoolDays(client: TimeclockClient, days: ReceivedDay[], open: () => Promise<ListSink<SpooledBatch>>): Promise<ReadAnswer> {
  const askedAgain = new Set<string>();
  for (;;) {
    const pass = await spoolInOrder(days, open, (day, error) => error instanceof SourceError && error.retryable && !askedAgain.has(day.date));
    if ('spooled' in pass) return { kind: 'spooled', answerSha256: pass.answerSha256, spooled: pass.spooled };
    const { failedDay } = pass;
    askedAgain.add(failedDay.date);
    // Parsed within its attempts (`known` says no), so a body that fails again is retried under the policy.
    const again = await client.callFingerprinted('extended-sessions', { startDate: failedDay.date, endDate: failedDay.date }, () => false);
    await failedDay.call.dispose();
    failedDay.call = again;
  }
}

/** One pass over the days into a new spool; a day `askAgain` accepts ends the pass (spool dropped) instead of failing the window. */
async function spoolInOrder(
  days: ReceivedDay[],
  open: () => Promise<ListSink<SpooledBatch>>,
  askAgain: (day: ReceivedDay, error: unknown) => boolean,
): Promise<{ answerSha256: string; spooled: SpooledBatch } | { failedDay: ReceivedDay }> {
  const spool = await open();
  try {
    for (const day of days) {
      // Each record goes on with its day; the day's own end is not the window's.
      const daySink: ListSink<void> = {
        group: (record, key, root) => spool.group({ date: day.date, record }, key, root),
        drained: () => spool.drained(),
        finish: async () => {},
        discard: async () => {},
      };
      try {
        await day.call.readInto(daySink);
      } catch (error) {
        if (!askAgain(day, error)) throw error;
        await spool.discard();
        return { failedDay: day };
      }
    }
    const answerSha256 = windowSha256(days.map(({ date, call }) => ({ date, sha256: call.sha256 })));
    return { answerSha256, spooled: await spool.finish({}, answerSha256) };
  } catch (error) {
    await spool.discard();
    throw error;
  }
}
