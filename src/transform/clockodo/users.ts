/**
 * GET /v3/users (every page) → punchcard.ck_users rows. Pure.
 *
 * The list is complete (all pages were read), so the loader treats it as a snapshot of the
 * account: users missing from it are marked deleted (see tables-clockodo.ts). A record without a
 * usable id is rejected with its reason; any other odd field is kept as NULL plus the raw record.
 */
import { ckUsers } from '../../load/tables-clockodo.ts';
import type { RejectRow, StreamBatch } from '../../pipeline/stream.ts';
import type { UsersListing } from '../../sources/clockodo/client.ts';
import { describeValue } from './entrygroups.ts';

function id(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  if (typeof value === 'string' && /^\d{1,15}$/.test(value.trim()) && Number(value) > 0) return Number(value);
  return undefined;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null);

function bool(value: unknown): boolean | null {
  if (typeof value === 'boolean') return value;
  if (value === 1 || value === '1') return true;
  if (value === 0 || value === '0') return false;
  return null;
}

export function transformUsers(listing: UsersListing, account: string): StreamBatch {
  const rows: Record<string, unknown>[] = [];
  const rejects: RejectRow[] = [];
  for (const record of listing.users) {
    if (!record || typeof record !== 'object' || Array.isArray(record)) {
      rejects.push({ reason: `user record ${describeValue(record)} is not an object`, raw: record ?? null });
      continue;
    }
    const user = record as Record<string, unknown>;
    const userId = id(user.id);
    if (userId === undefined) {
      rejects.push({ reason: `user id ${describeValue(user.id)} is not a positive whole number`, raw: user });
      continue;
    }
    const teams = user.teams_id === null || user.teams_id === undefined ? null : (id(user.teams_id) ?? null);
    rows.push({
      account,
      id: userId,
      name: text(user.name),
      number: text(user.number),
      email: text(user.email),
      active: bool(user.active),
      timezone: text(user.timezone),
      teams_id: teams,
      raw: user,
    });
  }
  return { received: listing.users.length, tables: [{ spec: ckUsers, rows }], rejects, rawAnswer: listing.users };
}
