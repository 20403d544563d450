import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import { resolveInterval, resolveLocalStamp } from '../../src/transform/local-time.ts';

function utcOf(stamp: string, zone: string, notBefore?: number) {
  const result = resolveLocalStamp(stamp, zone, notBefore);
  if (!result.ok) throw new Error(result.reason);
  return [result.value.utc, result.value.resolution];
}

describe('local stamp → UTC', () => {
  it.each([
    // zone, stamp, expected UTC, resolution
    ['Asia/Jerusalem', '2024-10-09 08:12:34', '2024-10-09T05:12:34Z', 'exact'],
    ['Asia/Jerusalem', '2024-03-29 02:30:00', '2024-03-29T00:30:00Z', 'gap'], // IL spring forward 2024-03-29 02:00
    ['Asia/Jerusalem', '2024-10-27 01:30:00', '2024-10-26T22:30:00Z', 'overlap'], // IL fall back 2024-10-27 02:00 → 01:00
    ['Asia/Jerusalem', '2025-03-28 02:15:00', '2025-03-28T00:15:00Z', 'gap'],
    ['Asia/Jerusalem', '2025-10-26 01:15:00', '2025-10-25T22:15:00Z', 'overlap'],
    ['Europe/Berlin', '2024-03-31 02:30:00', '2024-03-31T01:30:00Z', 'gap'],
    ['Europe/Berlin', '2024-10-27 02:30:00', '2024-10-27T00:30:00Z', 'overlap'],
    ['Europe/Berlin', '2025-03-30 02:30:00', '2025-03-30T01:30:00Z', 'gap'],
    ['Europe/Berlin', '2025-10-26 02:30:00', '2025-10-26T00:30:00Z', 'overlap'],
    ['Europe/Berlin', '2025-10-26 03:00:00', '2025-10-26T02:00:00Z', 'exact'],
    ['America/New_York', '2024-03-10 02:30:00', '2024-03-10T07:30:00Z', 'gap'],
    ['America/New_York', '2024-11-03 01:30:00', '2024-11-03T05:30:00Z', 'overlap'],
    ['America/New_York', '2025-03-09 02:30:00', '2025-03-09T07:30:00Z', 'gap'],
    ['America/New_York', '2025-11-02 01:30:00', '2025-11-02T05:30:00Z', 'overlap'],
    ['America/New_York', '2025-11-02 02:00:00', '2025-11-02T07:00:00Z', 'exact'],
    // A gap of 52 seconds (UTC-3:30:52 → UTC-3:30): only the seconds move, still a gap.
    ['America/St_Johns', '1935-03-30 00:00:05', '1935-03-30T03:30:57Z', 'gap'],
  ])('%s %s → %s (%s)', (zone, stamp, expected, resolution) => {
    expect(utcOf(stamp, zone)).toEqual([expected, resolution]);
  });

  it('takes the later reading of an ambiguous end stamp when the earlier one precedes the start', () => {
    // Started 01:45 in the first (EDT) hour, left at 01:15 in the repeated (EST) hour: 30 min of work.
    const result = resolveInterval('2025-11-02 01:45:00', '2025-11-02 01:15:00', 'America/New_York');
    expect(result.ok && result.value.durationSeconds).toBe(30 * 60);
    expect(result.ok && result.value.flags).toEqual(['start_in_dst_overlap', 'end_in_dst_overlap']);
  });

  it('counts real elapsed seconds across a transition night', () => {
    // Night shift over the Berlin spring-forward: 22:00 → 06:00 local is only 7 hours.
    const spring = resolveInterval('2025-03-29 22:00:00', '2025-03-30 06:00:00', 'Europe/Berlin');
    expect(spring.ok && spring.value.durationSeconds).toBe(7 * 3600);
    // And over the New York fall-back it is 9 hours.
    const fall = resolveInterval('2025-11-01 22:00:00', '2025-11-02 06:00:00', 'America/New_York');
    expect(fall.ok && fall.value.durationSeconds).toBe(9 * 3600);
    expect(fall.ok && fall.value.flags).toEqual([]);
  });

  it('crosses midnight and keeps an open end open', () => {
    const night = resolveInterval('2024-10-09 22:00:00', '2024-10-10 06:30:00', 'Asia/Jerusalem');
    expect(night.ok && [night.value.start.localDate, night.value.end?.utc, night.value.durationSeconds]).toEqual([
      '2024-10-09',
      '2024-10-10T03:30:00Z',
      8.5 * 3600,
    ]);
    // IANA names with digits in their first part (the tz database's US rule zones) are zones too.
    const eastern = resolveLocalStamp('2025-07-01 08:00:00', 'EST5EDT');
    expect(eastern.ok && eastern.value.utc).toBe('2025-07-01T12:00:00Z');
    const open = resolveInterval('2025-01-24 12:35:50', null, 'Asia/Jerusalem');
    expect(open.ok && [open.value.end, open.value.durationSeconds]).toEqual([null, null]);
    for (const sentinel of ['', '0000-00-00 00:00:00', '0000-00-00']) {
      const zero = resolveInterval('2025-01-24 12:35:50', sentinel, 'Asia/Jerusalem');
      expect(zero.ok && [zero.value.end, zero.value.durationSeconds, zero.value.flags], sentinel).toEqual([null, null, ['end_open_sentinel']]);
    }
  });

  it.each([
    ['0000-00-00 00:00:00', 'Europe/Berlin', /not a real calendar date/],
    ['2025-02-30 08:00:00', 'Europe/Berlin', /not a real calendar date/],
    ['2025-01-01 24:00:00', 'Europe/Berlin', /impossible time of day/],
    ['2025-01-01T08:00:00+02:00', 'Europe/Berlin', /not "YYYY-MM-DD HH:mm:ss"/],
    ['2025-01-01 08:00:00.123', 'Europe/Berlin', /not "YYYY-MM-DD HH:mm:ss"/],
    ['', 'Europe/Berlin', /not "YYYY-MM-DD HH:mm:ss"/],
    [null, 'Europe/Berlin', /must be a string, got null/],
    ['2025-01-01 08:00:00', 'Mars/Olympus_Mons', /not an IANA time zone/],
    ['2025-01-01 08:00:00', '+02:00', /not an IANA time zone/],
    ['2025-01-01 08:00:00', 'UTC+2', /not an IANA time zone/],
    ['2025-01-01 08:00:00', null, /timezone is missing/],
  ])('rejects %j in %j with a reason', (stamp, zone, reason) => {
    const result = resolveLocalStamp(stamp, zone);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('rejects a year-9999 stamp whose instant falls in year 10000 (its COPY would fail the whole window), and keeps one that does not', () => {
    const west = resolveInterval('2025-01-02 08:00:00', '9999-12-31 23:00:00', 'America/New_York');
    expect(!west.ok && west.reason).toMatch(/^endDate: .*year 10000/);
    const east = resolveLocalStamp('9999-12-31 23:00:00', 'Europe/Berlin');
    expect(east.ok && east.value.utc).toBe('9999-12-31T22:00:00Z');
    const utcReading = resolveLocalStamp('9999-12-31 23:00:00', 'Asia/Tokyo', undefined, 'utc');
    expect(!utcReading.ok && utcReading.reason).toMatch(/year 10000/);
  });

  it('rejects an end before the start, flags zero-length and over-48-hour sessions', () => {
    const backwards = resolveInterval('2025-01-02 08:00:00', '2025-01-02 07:59:59', 'Europe/Berlin');
    expect(!backwards.ok && backwards.reason).toMatch(/before startDate/);
    const zero = resolveInterval('2025-01-02 08:00:00', '2025-01-02 08:00:00', 'Europe/Berlin');
    expect(zero.ok && zero.value.flags).toEqual(['zero_length']);
    const long = resolveInterval('2025-01-02 08:00:00', '2025-01-04 08:00:01', 'Europe/Berlin');
    expect(long.ok && long.value.flags).toEqual(['over_48h']);
  });
});

describe('local stamp → UTC, the fast reading away from offset changes', () => {
  // The reference: luxon alone, on its own (uncached) zone, as every stamp was read before.
  function byLuxon(stamp: string, zone: string) {
    const [date, time] = stamp.split(' ') as [string, string];
    const [year, month, day] = date.split('-').map(Number) as [number, number, number];
    const [hour, minute, second] = time.split(':').map(Number) as [number, number, number];
    const parsed = DateTime.fromObject({ year, month, day, hour, minute, second }, { zone });
    if (parsed.hour !== hour || parsed.minute !== minute || parsed.second !== second || parsed.day !== day) return { utc: parsed.toUTC().toISO({ suppressMilliseconds: true }), resolution: 'gap' };
    const candidates = parsed.getPossibleOffsets();
    const earliest = candidates.sort((a, b) => a.toMillis() - b.toMillis())[0]!;
    return { utc: earliest.toUTC().toISO({ suppressMilliseconds: true }), resolution: candidates.length > 1 ? 'overlap' : 'exact' };
  }
  const zones = ['Europe/Berlin', 'America/New_York', 'Asia/Jerusalem', 'Australia/Lord_Howe', 'Pacific/Apia', 'Pacific/Chatham', 'Africa/Casablanca', 'America/Sao_Paulo', 'Asia/Kolkata', 'Europe/Amsterdam', 'Pacific/Kiritimati', 'Pacific/Pago_Pago', 'UTC'];

  it('gives what luxon gives for any stamp in any zone, at and around every kind of offset change', () => {
    const stamp = fc
      .record({ ms: fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2060, 0, 1) }), nearChange: fc.boolean(), shift: fc.integer({ min: -3 * 3600, max: 3 * 3600 }) })
      .map(({ ms, nearChange, shift }) => new Date(nearChange ? nearestOffsetChange(ms) + shift * 1000 : ms).toISOString().slice(0, 19).replace('T', ' '));
    fc.assert(
      fc.property(stamp, fc.constantFrom(...zones), (text, zone) => {
        const result = resolveLocalStamp(text, zone);
        expect(result.ok).toBe(true);
        if (!result.ok) return;
        expect({ utc: result.value.utc, resolution: result.value.resolution }).toEqual(byLuxon(text, zone));
      }),
      { numRuns: 3000 },
    );
    // A spring-forward night (2025-03-30 in Berlin, 02:00 → 03:00) sampled minute by minute across
    // the three days the fast reading must stay away from.
    for (let minute = -36 * 60; minute <= 36 * 60; minute += 7) {
      const text = new Date(Date.UTC(2025, 2, 30, 2, 30) + minute * 60_000).toISOString().slice(0, 19).replace('T', ' ');
      const result = resolveLocalStamp(text, 'Europe/Berlin');
      expect(result.ok && { utc: result.value.utc, resolution: result.value.resolution }).toEqual(byLuxon(text, 'Europe/Berlin'));
    }
  });
});

/** Rough local wall time of an offset change near `ms` in Europe/Berlin or New York (DST rules since 1970): the last Sunday of March at 02:00, or the first of November. */
function nearestOffsetChange(ms: number): number {
  const year = new Date(ms).getUTCFullYear();
  const lastSundayOfMarch = (y: number) => {
    const end = new Date(Date.UTC(y, 2, 31, 2));
    return end.getTime() - end.getUTCDay() * 86_400_000;
  };
  const choices = [lastSundayOfMarch(year), Date.UTC(year, 9, 27, 2), Date.UTC(year, 2, 9, 2), Date.UTC(year, 10, 2, 1, 30), Date.UTC(2011, 11, 29, 23, 30)];
  return choices[Math.abs(ms) % choices.length]!;
}
