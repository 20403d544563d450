/**
 * Values as a careless operator types them (issue 12, finding 15): booleans only in their
 * documented spellings, numbers only in decimal digits, the cron expression checked with the rest
 * of the configuration, and source names that happen to be Object.prototype keys.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError, UsageError } from '../../src/errors.ts';
import { parseSourceName } from '../../src/sources/registry.ts';
import { parseEditBody } from '../../src/simulators/clockodo/entrygroups.ts';

const failure = (env: Record<string, string>) => {
  try {
    loadConfig(env);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('configuration values', () => {
  it('security #15: a boolean setting accepts only its documented values ("maybe" is an error, not "off")', () => {
    for (const value of ['maybe', 'ture', '2', 'enabled', 'y']) {
      const error = failure({ PUNCHCARD_EXPOSE_PERSONAL_DATA: value });
      expect(error, value).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe('PUNCHCARD_EXPOSE_PERSONAL_DATA must be true or false');
    }
    for (const [value, expected] of [['1', true], ['TRUE', true], ['on', true], ['yes', true], ['0', false], ['off', false], ['No', false], ['', false]] as const) {
      expect(loadConfig({ PUNCHCARD_EXPOSE_PERSONAL_DATA: value }).exposePersonalData, value).toBe(expected);
    }
    expect(failure({ PUNCHCARD_ALLOW_INSECURE_HTTP: 'maybe' })).toBeInstanceOf(ConfigError);
  });

  it('security #15: numeric settings take decimal digits only (no 0x10, 1e3, " 5", 5.0, +5)', () => {
    for (const value of ['0x10', '1e3', ' 5', '5 ', '5.0', '+5', '0b1', '٥']) {
      const error = failure({ HTTP_RETRIES: value });
      expect(error, JSON.stringify(value)).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe('HTTP_RETRIES must be a whole number from 0 to 20, in decimal digits');
    }
    expect(failure({ PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS: '1e3' })).toBeInstanceOf(ConfigError);
    expect(failure({ PUNCHCARD_METRICS_PORT: '0x10' })).toBeInstanceOf(ConfigError);
    expect(loadConfig({ HTTP_RETRIES: '7', PUNCHCARD_RECONCILIATION_TOLERANCE_SECONDS: '0' })).toMatchObject({ http: { retries: 7 }, reconciliationToleranceSeconds: 0 });
    expect(loadConfig({ HTTP_RETRIES: '' }).http.retries).toBe(5);
  });

  it('security #15: the cron expression is checked with the configuration, before any command runs', () => {
    const error = failure({ PUNCHCARD_CRON: '61 25 * * *' });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/^PUNCHCARD_CRON is not a valid cron expression/);
    expect(loadConfig({ PUNCHCARD_CRON: '*/15 * * * *' }).schedule.cron).toBe('*/15 * * * *');
  });

  it('security #15: Object.prototype keys are unknown sources', () => {
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(() => parseSourceName(name), name).toThrow(UsageError);
      expect(() => parseSourceName(name)).toThrow(`unknown source "${name}" (known: timeclock, clockodo)`);
    }
    expect(parseSourceName('clockodo')).toBe('clockodo');
  });
});

describe('prototype keys in the clockodo simulator', () => {
  it('security #15: a form field named __proto__ is an unknown parameter, not silently dropped', () => {
    const form = 'time_since=2025-10-01T00:00:00Z&time_until=2025-10-02T00:00:00Z&text=x';
    expect(() => parseEditBody(form, 'application/x-www-form-urlencoded')).not.toThrow();
    expect(() => parseEditBody(`${form}&__proto__=1`, 'application/x-www-form-urlencoded')).toThrow('Unknown parameter: __proto__');
  });
});
