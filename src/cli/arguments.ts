/** Parsers for command-line values: each throws a UsageError naming the option. */
import { UsageError } from '../errors.ts';
import { isCalendarDate } from '../pipeline/windows.ts';

export function parseDateOption(name: string, value: string | undefined): string {
  if (value === undefined) throw new UsageError(`${name} is required (YYYY-MM-DD)`);
  if (!isCalendarDate(value)) throw new UsageError(`${name} must be a calendar date YYYY-MM-DD, got "${value}"`);
  return value;
}

export function parseIntOption(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new UsageError(`${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return number;
}

export function parseListOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new UsageError('the list is empty');
  return items;
}

/**
 * The range must be in order and at most `maxDays` long (PUNCHCARD_MAX_BACKFILL_YEARS): checked
 * before any planning, because planning 0001-01-01..9999-12-31 took minutes and gigabytes.
 */
export function checkRange(from: string, to: string, maxDays = Number.POSITIVE_INFINITY): void {
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
  const days = Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000) + 1;
  if (days > maxDays) {
    throw new UsageError(
      `--from ${from} --to ${to} covers ${days} days; a backfill covers at most ${maxDays} days (PUNCHCARD_MAX_BACKFILL_YEARS=${Math.round(maxDays / 366)}): split the range or raise the setting`,
    );
  }
}
