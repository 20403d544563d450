/**
 * Last checks on a transformed batch before it is loaded. Pure.
 * - Two rows of one scoped table with the same key: identical copies collapse into one row flagged
 *   `duplicate_in_answer`; differing copies are all rejected (the source contradicts itself and
 *   nothing is guessed).
 * - Dimension rows with the same key (an employee listed twice) merge, later values winning.
 * - A row holding U+0000 or an unpaired surrogate (which PostgreSQL cannot store), or a part nested
 *   deeper than MAX_JSON_DEPTH (cut by json-depth.ts), is rejected, never altered.
 */
import { findUnstorableText } from '../load/copy-format.ts';
import type { RejectRow, StreamBatch, TableBatch } from './stream.ts';

export function finalizeBatch(batch: StreamBatch): StreamBatch {
  const rejects: RejectRow[] = [...batch.rejects];
  const tables: TableBatch[] = batch.tables.map(({ spec, rows }) => {
    const byKey = new Map<string, Record<string, unknown>[]>();
    for (const row of rows) {
      const unstorable = findUnstorableText(row);
      if (unstorable) {
        rejects.push(rejectOf(row, unstorable));
        continue;
      }
      const key = JSON.stringify(spec.key.map((k) => row[k]));
      const group = byKey.get(key);
      if (group) group.push(row);
      else byKey.set(key, [row]);
    }
    const kept: Record<string, unknown>[] = [];
    for (const group of byKey.values()) {
      if (group.length === 1) {
        kept.push(group[0]!);
      } else if (spec.scope === undefined) {
        // A loop, not Object.assign(...spread): the group's size is the answer's to choose.
        const merged: Record<string, unknown> = {};
        for (const row of group) Object.assign(merged, withoutNulls(row));
        kept.push(merged);
      } else if (group.every((row) => sameContent(row, group[0]!))) {
        const first = group[0]!;
        kept.push({ ...first, flags: [...((first.flags as string[] | undefined) ?? []), 'duplicate_in_answer'] });
      } else {
        for (const row of group) {
          rejects.push(rejectOf(row, `${group.length} records in one answer share the key (${spec.key.slice(1).map((k) => `${k}=${String(row[k])}`).join(', ')}) with different values`));
        }
      }
    }
    return { spec, rows: kept };
  });
  return { ...batch, tables, rejects };
}

function sameContent(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function withoutNulls(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null && v !== undefined));
}

function rejectOf(row: Record<string, unknown>, reason: string): RejectRow {
  return {
    reason,
    raw: row.raw ?? row,
    employee_number: typeof row.employee_number === 'string' ? row.employee_number : null,
    work_date: typeof row.work_date === 'string' ? row.work_date : null,
  };
}
