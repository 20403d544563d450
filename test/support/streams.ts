/** Test doubles around a real stream. */
import type { Stream } from '../../src/pipeline/stream.ts';

/** The stream as it is, counting how often its transform runs (an unchanged answer must not be transformed). */
export function countingTransforms(real: Stream): { stream: Stream; transforms: () => number } {
  let transforms = 0;
  const stream: Stream = {
    ...real,
    transform: (answer, window) => {
      transforms += 1;
      return real.transform(answer, window);
    },
  };
  return { stream, transforms: () => transforms };
}
