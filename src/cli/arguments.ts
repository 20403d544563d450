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

export function checkRange(from: string, to: string): void {
  if (from > to) throw new UsageError(`--from ${from} is after --to ${to}`);
}
