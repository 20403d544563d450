/**
 * The settings the reporting views read (punchcard.settings), written from the configuration.
 * Only `punchcard migrate`, the worker and `punchcard settings apply` call this: a read-only
 * command run with a different environment must not change what BI users see.
 */
import type { Pool } from 'pg';
import type { Config } from '../config.ts';

export interface SettingChange {
  key: string;
  value: string;
}

/** Writes every setting whose value differs from the configuration; returns those it changed. */
export async function applySettings(pool: Pool, config: Config): Promise<SettingChange[]> {
  const { rows } = await pool.query<SettingChange>(
    `INSERT INTO punchcard.settings (key, value)
     VALUES ('expose_personal_data', $1), ('reconciliation_tolerance_seconds', $2)
     ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value WHERE punchcard.settings.value IS DISTINCT FROM EXCLUDED.value
     RETURNING key, value`,
    [String(config.exposePersonalData), String(config.reconciliationToleranceSeconds)],
  );
  return rows;
}

export function describeSettingChanges(changes: SettingChange[]): string {
  return changes.length === 0 ? 'settings unchanged' : `settings changed: ${changes.map((c) => `${c.key}=${c.value}`).join(', ')}`;
}
