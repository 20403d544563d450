/** Turning a date range and a set of streams into (stream, window) tasks. Pure. */
import type { WindowTask } from './run.ts';
import type { Stream } from './stream.ts';
import { splitRange } from './windows.ts';

/**
 * Windows per stream: `windowDays` when the user chose it, else the stream's own split
 * (calendar months for clockodo, one window for snapshots), else its default window length.
 * Stream by stream, not oldest day first: interleaved, the small TimeClock windows run beside a
 * clockodo month and the heap grows with both (90-day backfill, peak RSS: 770-830 MB interleaved,
 * 462-480 MB in this order, 650-770 MB with two months at once).
 */
export function planTasks(streams: Stream[], from: string, to: string, windowDays?: number): WindowTask[] {
  return streams.flatMap((stream) => {
    const windows =
      windowDays === undefined && stream.splitWindows ? stream.splitWindows(from, to) : splitRange(from, to, windowDays ?? stream.defaultWindowDays);
    return windows.map((window) => ({ stream, window }));
  });
}
