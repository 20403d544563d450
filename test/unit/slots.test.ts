/** The window scheduler: a total bound, per-stream caps, and no slot left idle behind a capped item. */
import { describe, expect, it } from 'vitest';
import { forEachBounded } from '../../src/pipeline/slots.ts';

const tick = () => new Promise((resolve) => setTimeout(resolve, 2));

describe('forEachBounded', () => {
  it('keeps both bounds, passes over a capped item to a ready one, and runs every item once', async () => {
    // Two "month" items first (cap 1), then six "week" items (no cap), concurrency 2.
    const items = ['m1', 'm2', 'w1', 'w2', 'w3', 'w4', 'w5', 'w6'];
    const started: string[] = [];
    let running = 0;
    let months = 0;
    let peak = 0;
    let peakMonths = 0;
    await forEachBounded(items, 2, (item) => (item.startsWith('m') ? { key: 'month', max: 1 } : undefined), async (item) => {
      started.push(item);
      running += 1;
      if (item.startsWith('m')) months += 1;
      peak = Math.max(peak, running);
      peakMonths = Math.max(peakMonths, months);
      // A month takes as long as three weeks.
      for (let i = 0; i < (item.startsWith('m') ? 6 : 2); i += 1) await tick();
      running -= 1;
      if (item.startsWith('m')) months -= 1;
    });
    expect([peak, peakMonths]).toEqual([2, 1]);
    expect([...started].sort()).toEqual([...items].sort());
    // m2 waits for m1; the second slot meanwhile takes the weeks instead of idling.
    expect(started.slice(0, 2)).toEqual(['m1', 'w1']);
    expect(started.indexOf('m2')).toBeGreaterThan(2);
  });

  it('rejects with the first error and starts nothing after it', async () => {
    const started: number[] = [];
    const run = forEachBounded([1, 2, 3, 4], 1, () => undefined, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('boom');
    });
    await expect(run).rejects.toThrow('boom');
    await tick();
    expect(started).toEqual([1, 2]);
  });

  it('refuses bounds that could never start anything, and rejects on a work function that throws before its promise', async () => {
    await expect(forEachBounded([1], Number.NaN, () => undefined, async () => {})).rejects.toThrow(RangeError);
    await expect(forEachBounded([1], 1.5, () => undefined, async () => {})).rejects.toThrow(RangeError);
    await expect(forEachBounded([1], 2, () => ({ key: 'months', max: 0 }), async () => {})).rejects.toThrow(/cap of months/);
    const work = (n: number): Promise<void> => {
      if (n === 2) throw new Error('thrown, not rejected');
      return Promise.resolve();
    };
    await expect(forEachBounded([1, 2, 3], 1, () => undefined, work)).rejects.toThrow('thrown, not rejected');
  });
});
