/** Turning a date range and a set of streams into (stream, window) tasks. Pure. */
import type { WindowTask } from './run.ts';
import type { Stream } from './stream.ts';
import { splitRange } from './windows.ts';

/**
 * Windows per stream: `windowDays` when the user chose it, else the stream's own split
 * (calendar months for clockodo, one window for snapshots), else its default window length.
 */
export function planTasks(streams: Stream[], from: string, to: string, windowDays?: number): WindowTask[] {
  const tasks = streams.flatMap((stream) => {
    const windows =
      windowDays === undefined && stream.splitWindows ? stream.splitWindows(from, to) : splitRange(from, to, windowDays ?? stream.defaultWindowDays);
    return windows.map((window) => ({ stream, window }));
  });
  // Oldest days first across streams (stable: stream order within a day): a backfill fills the
  // warehouse in date order, and a stream that runs one window at a time (clockodo months) is
  // spread over the run instead of queuing up at its end.
  return tasks.sort((a, b) => (a.window.start < b.window.start ? -1 : a.window.start > b.window.start ? 1 : 0));
}
