/**
 * Bounded concurrency with per-group caps: at most `concurrency` items run at once, and at most
 * `group.max` items of one group. Items start in order, except that an item whose group is full is
 * passed over for the next one, so a free slot never idles while other work is ready.
 * (p-limit bounds the total only; nesting a second limiter would hold a slot while it waits.)
 */
export interface Group {
  key: string;
  max: number;
}

export function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  groupOf: (item: T) => Group | undefined,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const wholeAtLeastOne = (n: number) => Number.isInteger(n) && n >= 1;
  if (!(wholeAtLeastOne(concurrency) || concurrency === Infinity)) {
    return Promise.reject(new RangeError(`concurrency must be a whole number ≥ 1, got ${concurrency}`));
  }
  const badCap = items.map(groupOf).find((group) => group !== undefined && !wholeAtLeastOne(group.max));
  if (badCap) return Promise.reject(new RangeError(`the cap of ${badCap.key} must be a whole number ≥ 1, got ${badCap.max}`));

  const waiting = [...items];
  const runningPerGroup = new Map<string, number>();
  let active = 0;
  const fits = (item: T) => {
    const group = groupOf(item);
    return group === undefined || (runningPerGroup.get(group.key) ?? 0) < group.max;
  };

  return new Promise<void>((resolve, reject) => {
    let failed = false;
    const startReady = () => {
      while (!failed && active < concurrency) {
        const index = waiting.findIndex(fits);
        if (index < 0) break;
        const [item] = waiting.splice(index, 1) as [T];
        const group = groupOf(item);
        if (group) runningPerGroup.set(group.key, (runningPerGroup.get(group.key) ?? 0) + 1);
        active += 1;
        // A work function that throws before returning its promise rejects like one that rejects.
        Promise.resolve()
          .then(() => work(item))
          .then(
            () => {
              active -= 1;
              if (group) runningPerGroup.set(group.key, runningPerGroup.get(group.key)! - 1);
              startReady();
            },
            (error: unknown) => {
              // Like Promise.all over p-limit: the first error rejects; nothing new is started.
              failed = true;
              reject(error);
            },
          );
      }
      if (!failed && active === 0 && waiting.length === 0) resolve();
    };
    startReady();
  });
}
