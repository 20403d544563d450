/**
 * The fleet-wide group caps (boss.ts groupTiers), made strict. pg-boss checks a group's cap inside
 * each fetch, on that fetch's own snapshot: two hands polling at the same instant both see the group
 * below its cap and both are admitted (seen at a backfill's start: two entrygroups months of one
 * account at once under a cap of one; pg-boss #845: "overfetch is the same"). So an admitted job of a
 * group also takes its turn here, before any request is sent: it waits while `cap` or more jobs of
 * its group admitted before it (by start, then id) are still active. The earliest-admitted jobs never
 * wait, so no job waits on one that is itself waiting, and a group never has more than `cap` jobs past
 * this point. A job whose worker died stays active until its heartbeat lapses; pg-boss's own check
 * counts it the same way.
 */
import type { Pool } from 'pg';
import { QUEUE_SCHEMA } from './boss.ts';

export interface GroupMember {
  /** pg-boss's queue name and job id. */
  queue: string;
  id: string;
  groupId: string;
  cap: number;
}

const AHEAD = `
  SELECT count(*)::int AS ahead
  FROM ${QUEUE_SCHEMA}.job AS other, ${QUEUE_SCHEMA}.job AS me
  WHERE me.name = $1 AND me.id = $2
    AND other.name = $1 AND other.state = 'active' AND other.group_id = $3
    AND (other.started_on, other.id) < (me.started_on, me.id)`;

/** How many jobs of the member's group, admitted before it, are still active. */
export async function activeAhead(pool: Pool, member: GroupMember): Promise<number> {
  const { rows } = await pool.query<{ ahead: number }>(AHEAD, [member.queue, member.id, member.groupId]);
  return rows[0]?.ahead ?? 0;
}

/**
 * Resolves once fewer than `cap` jobs admitted before this one are active: at once in the common
 * case (one query). Otherwise `onWait` is told how many are ahead, and the group is looked at again
 * every `pollMs`, until its turn or until `giveUp` says the job is not needed any more. Returns the
 * milliseconds waited.
 */
export async function awaitGroupTurn(pool: Pool, member: GroupMember, onWait: (ahead: number) => void, giveUp: () => Promise<boolean>, pollMs = 250): Promise<number> {
  const started = Date.now();
  let ahead = await activeAhead(pool, member);
  if (ahead < member.cap) return 0;
  onWait(ahead);
  while (ahead >= member.cap) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    if (await giveUp()) break;
    ahead = await activeAhead(pool, member);
  }
  return Date.now() - started;
}
