/** Test doubles around a real stream. */
import type { ReadAnswer, Stream } from '../../src/pipeline/stream.ts';

/** The stream as it is, counting how often its transform runs (an unchanged answer must not be transformed). */
export function countingTransforms(real: Stream): { stream: Stream; transforms: () => number } {
  let transforms = 0;
  // An answer spooled as it is read went through the transform record by record: one count.
  const counted = (read: ReadAnswer): ReadAnswer => {
    if (read.kind === 'spooled') transforms += 1;
    return read;
  };
  const stream: Stream = {
    ...real,
    transform: (answer, window) => {
      transforms += 1;
      return real.transform(answer, window);
    },
    receive: real.receive
      ? async (window, known) => {
          const received = await real.receive!(window, known);
          if (received.kind !== 'known') return counted(received);
          return { ...received, read: async () => counted(await received.read()) };
        }
      : undefined,
  };
  return { stream, transforms: () => transforms };
}
