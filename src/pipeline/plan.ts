/** Turning a date range and a set of streams into (stream, window) tasks. Pure. */
import type { WindowTask } from './run.ts';
import type { Stream } from './stream.ts';
import { splitRange } from './windows.ts';

/**
 * Windows per stream: `windowDays` when the user chose it, else the stream's own split
 * (calendar months for clockodo, one window for snapshots), else its default window length.
 */
export function planTasks(streams: Stream[], from: string, to: string, windowDays?: number): WindowTask[] {
  return streams.flatMap((stream) => {
    const windows =
      windowDays === undefined && stream.splitWindows ? stream.splitWindows(from, to) : splitRange(from, to, windowDays ?? stream.defaultWindowDays);
    return windows.map((window) => ({ stream, window }));
  });
}
