/**
 * API URLs as users (and test harnesses) write them: a bare origin gets the documented path, and a
 * clockodo URL given with the endpoint itself is cut back to the base the client appends to.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';

const withUrls = (timeclock: string, clockodo: string) =>
  loadConfig({ TIMECLOCK_API_URL: timeclock, TIMECLOCK_API_TOKEN: 't', CLOCKODO_API_URL: clockodo, CLOCKODO_API_USER: 'u@example.com', CLOCKODO_API_KEY: 'k' });

describe('API URLs', () => {
  it.each([
    ['http://127.0.0.1:8365', 'http://127.0.0.1:8366', 'http://127.0.0.1:8365/api/v1/json-rpc', 'http://127.0.0.1:8366/api'],
    ['http://127.0.0.1:8365/', 'http://127.0.0.1:8366/api/', 'http://127.0.0.1:8365/api/v1/json-rpc', 'http://127.0.0.1:8366/api'],
    ['https://live.timeclock365.com/api/v1/json-rpc', 'https://my.clockodo.com/api/v2/entrygroups', 'https://live.timeclock365.com/api/v1/json-rpc', 'https://my.clockodo.com/api'],
    ['https://gateway.example/tc/rpc', 'https://gateway.example/clockodo/api', 'https://gateway.example/tc/rpc', 'https://gateway.example/clockodo/api'],
  ])('%s and %s', (timeclock, clockodo, expectedTimeclock, expectedClockodo) => {
    const config = withUrls(timeclock, clockodo);
    expect(config.timeclock?.url).toBe(expectedTimeclock);
    expect(config.clockodo?.url).toBe(expectedClockodo);
  });

  it('refuses a clockodo URL with a query or fragment (the client appends its own), naming the variable', () => {
    for (const url of ['https://my.clockodo.com/api?key=secret', 'https://my.clockodo.com/api#v2', 'https://my.clockodo.com/api?', 'https://my.clockodo.com#']) {
      expect(() => withUrls('https://live.timeclock365.com/api/v1/json-rpc', url)).toThrow(
        expect.objectContaining({ variable: 'CLOCKODO_API_URL', message: expect.not.stringContaining('secret') }),
      );
    }
  });

  it('defaults to the production URLs of the documents', () => {
    const config = loadConfig({ TIMECLOCK_API_TOKEN: 't', CLOCKODO_API_USER: 'u@example.com', CLOCKODO_API_KEY: 'k' });
    expect(config.timeclock?.url).toBe('https://live.timeclock365.com/api/v1/json-rpc');
    expect(config.clockodo?.url).toBe('https://my.clockodo.com/api');
  });
});

describe('PUNCHCARD_METRICS_HOST', () => {
  it('defaults to loopback, takes an IP address, and refuses anything else naming the variable', () => {
    expect(loadConfig({}).schedule.metricsHost).toBe('127.0.0.1');
    expect(loadConfig({ PUNCHCARD_METRICS_HOST: '::' }).schedule.metricsHost).toBe('::');
    for (const value of ['all', '0.0.0.0:9464', 'http://0.0.0.0']) {
      expect(() => loadConfig({ PUNCHCARD_METRICS_HOST: value })).toThrow(expect.objectContaining({ variable: 'PUNCHCARD_METRICS_HOST' }));
    }
  });
});
