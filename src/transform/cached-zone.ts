/**
 * An IANA zone whose UTC offsets are memoised per hour of UTC time.
 *
 * luxon asks the zone for offsets four to six times per stamp it reads (once per guess, twice
 * more for getPossibleOffsets), and IANAZone answers each question with Intl formatToParts —
 * measured at 40 % of a TimeClock backfill's CPU time. An hour's answer is cached only when the
 * offset is the same at both ends of that hour; an hour holding a transition is always asked
 * exactly. (This relies on no zone changing its offset twice within one hour, which no tzdb
 * zone has ever done.)
 */
import { IANAZone, Zone } from 'luxon';

const HOUR_MS = 3_600_000;
/** Bounds memory for long ranges: an hour per entry, so about 2.3 years of hours per zone. */
const MAX_CACHED_HOURS = 20_000;

export class CachedZone extends Zone {
  readonly #zone: IANAZone;
  readonly #offsets = new Map<number, number>();

  constructor(name: string) {
    super();
    this.#zone = IANAZone.create(name);
  }

  override get type(): string {
    return this.#zone.type;
  }

  override get name(): string {
    return this.#zone.name;
  }

  override get isUniversal(): boolean {
    return false;
  }

  override get isValid(): boolean {
    return this.#zone.isValid;
  }

  override offsetName(ts: number, options: { format?: 'short' | 'long'; locale?: string }): string | null {
    return this.#zone.offsetName(ts, options as never);
  }

  override formatOffset(ts: number, format: 'narrow' | 'short' | 'techie'): string {
    return this.#zone.formatOffset(ts, format);
  }

  override equals(other: Zone): boolean {
    return other.type === 'iana' && other.name === this.name;
  }

  override offset(ts: number): number {
    const hour = Math.floor(ts / HOUR_MS);
    const cached = this.#offsets.get(hour);
    if (cached !== undefined) return cached;
    const atStart = this.#zone.offset(hour * HOUR_MS);
    const atEnd = this.#zone.offset((hour + 1) * HOUR_MS - 1);
    if (atStart !== atEnd) return this.#zone.offset(ts);
    if (this.#offsets.size >= MAX_CACHED_HOURS) this.#offsets.clear();
    this.#offsets.set(hour, atStart);
    return atStart;
  }
}

const zones = new Map<string, CachedZone>();

/** The shared cached zone for a name already checked to be a valid IANA zone. */
export function cachedZone(name: string): CachedZone {
  let zone = zones.get(name);
  if (!zone) {
    zone = new CachedZone(name);
    zones.set(name, zone);
  }
  return zone;
}
