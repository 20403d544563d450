/**
 * The fleet-wide group caps (boss.ts groupTiers), made strict. pg-boss checks a group's cap inside
 * each fetch, on that fetch's own snapshot: two hands polling at the same instant both see the group
 * below its cap and both are admitted (seen at a backfill's start: two entrygroups months of one
 * account at once under a cap of one; the fleet test: 6 of 20 groups over their cap; pg-boss #845:
 * "overfetch is the same"). Ranking admitted jobs by their start does not close it: a fetch's start
 * time is its transaction's, and a fetch that started first may commit last, after the other job
 * looked and found nothing ahead of it (seen in CI).
 *
 * So a grouped job also holds one of its group's `cap` slots while it works: a session-level
 * advisory lock `(PUNCHCARD_LOCK_CLASS, hashtext('group:<id>:<slot>'))` on a connection of the
 * slot pool, taken before any request is sent and given back after the load. PostgreSQL grants each
 * slot to one session, so a group never has more than `cap` jobs past this point, whichever process
 * or host they run in; a process that dies frees its slots with its connections.
 */
import type { Pool, PoolClient } from 'pg';
import { PUNCHCARD_LOCK_CLASS } from '../ops/locks.ts';

export interface GroupSlot {
  /** Milliseconds spent waiting for it (0: free at once). */
  waitedMs: number;
  /** Unlocks it and returns its connection. Never throws. */
  release(): Promise<void>;
}

const slotName = (groupId: string, slot: number) => `group:${groupId}:${slot}`;

async function tryAnySlot(client: PoolClient, groupId: string, cap: number): Promise<number | undefined> {
  for (let slot = 0; slot < cap; slot++) {
    const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [PUNCHCARD_LOCK_CLASS, slotName(groupId, slot)]);
    if (rows[0]?.locked) return slot;
  }
  return undefined;
}

/**
 * Takes a free slot of the group: at once in the common case. Otherwise `onWait` is called once and
 * the slots are tried again every `pollMs`, until one is free or `giveUp` says the job is not needed
 * any more (undefined then).
 */
export async function takeGroupSlot(
  slots: Pool,
  group: { id: string; cap: number },
  onWait: () => void,
  giveUp: () => Promise<boolean>,
  pollMs = 250,
): Promise<GroupSlot | undefined> {
  const started = Date.now();
  const client = await slots.connect();
  try {
    let slot = await tryAnySlot(client, group.id, group.cap);
    if (slot === undefined) onWait();
    while (slot === undefined) {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
      if (await giveUp()) {
        client.release();
        return undefined;
      }
      slot = await tryAnySlot(client, group.id, group.cap);
    }
    const held = slot;
    let released: Promise<void> | undefined;
    return {
      waitedMs: Date.now() - started,
      release() {
        released ??= client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [PUNCHCARD_LOCK_CLASS, slotName(group.id, held)]).then(
          () => client.release(),
          // A connection whose unlock failed must not go back to the pool still holding the slot.
          (error: Error) => client.release(error),
        );
        return released;
      },
    };
  } catch (error) {
    client.release(error as Error);
    throw error;
  }
}
