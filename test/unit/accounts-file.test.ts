/** The accounts file (PUNCHCARD_ACCOUNTS): JSON or YAML, credentials by reference only, one clear line per mistake. */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.ts';
import { ConfigError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'punchcard-accounts-'));
let n = 0;
function file(content: unknown, name = `accounts-${++n}.json`, mode = 0o600): string {
  const path = join(dir, name);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(path, mode);
  return path;
}

const acmeTimeclock = { source: 'timeclock', account: 'acme', url: 'https://tc.example.com', token: { env: 'ACME_TIMECLOCK_TOKEN' }, timezone: 'Asia/Jerusalem' };
const acmeClockodo = { source: 'clockodo', account: 'acme', url: 'https://ck.example.com', user: 'ops@acme.example', key: { env: 'ACME_CLOCKODO_KEY' }, timezone: 'Europe/Berlin' };
const secrets = { ACME_TIMECLOCK_TOKEN: 'tc-secret-1', ACME_CLOCKODO_KEY: 'ck-secret-1' };

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('no ConfigError');
}

describe('PUNCHCARD_ACCOUNTS', () => {
  it('reads the shape of the issue, in JSON and in YAML, with every setting per account', () => {
    const json = file({ accounts: [acmeTimeclock, acmeClockodo, { ...acmeTimeclock, account: 'beta', token: { env: 'BETA_TOKEN' }, timezone: 'Europe/London', maxConcurrency: 3 }] });
    const config = loadConfig({ PUNCHCARD_ACCOUNTS: json, ...secrets, BETA_TOKEN: 'tc-secret-2' });
    expect(config.timeclockAccounts.map((a) => [a.account, a.url, a.token, a.timezone, a.maxConcurrency])).toEqual([
      ['acme', 'https://tc.example.com/api/v1/json-rpc', 'tc-secret-1', 'Asia/Jerusalem', 2],
      ['beta', 'https://tc.example.com/api/v1/json-rpc', 'tc-secret-2', 'Europe/London', 3],
    ]);
    expect(config.clockodoAccounts).toMatchObject([{ account: 'acme', url: 'https://ck.example.com/api', user: 'ops@acme.example', apiKey: 'ck-secret-1', entrygroupsPerMinute: 10 }]);

    const keyFile = file('ck-from-file\n', 'ck.key');
    const yaml = file(
      `accounts:\n  - source: clockodo\n    account: gamma\n    user: api@gamma.example\n    key: {file: ${keyFile}}\n    grouping: [users_id, day]\n    entrygroupsPerMinute: 5\n`,
      'accounts.yaml',
    );
    const fromYaml = loadConfig({ PUNCHCARD_ACCOUNTS: yaml });
    expect(fromYaml.clockodoAccounts).toMatchObject([{ account: 'gamma', apiKey: 'ck-from-file', grouping: ['users_id', 'day'], entrygroupsPerMinute: 5 }]);
    expect(fromYaml.timeclockAccounts).toEqual([]);
  });

  it('keeps the single-account variables working as a one-account configuration', () => {
    const config = loadConfig({ TIMECLOCK_API_TOKEN: 't', TIMECLOCK_ACCOUNT: 'solo', CLOCKODO_API_USER: 'a@b.c', CLOCKODO_API_KEY: 'k' });
    expect(config.timeclockAccounts.map((a) => a.account)).toEqual(['solo']);
    expect(config.clockodoAccounts.map((a) => a.account)).toEqual(['default']);
    expect(config.timeclock).toBe(config.timeclockAccounts[0]);
  });

  const cases: Array<[string, () => NodeJS.ProcessEnv, RegExp]> = [
    ['a missing credential', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [acmeTimeclock, acmeClockodo] }), ACME_TIMECLOCK_TOKEN: 'x' }), /accounts\[1\] \(clockodo "acme"\), field key: environment variable ACME_CLOCKODO_KEY is not set$/],
    ['a duplicate label', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [acmeClockodo, acmeTimeclock, { ...acmeClockodo, user: 'other@acme.example' }] }), ...secrets }), /accounts\[2\] \(clockodo "acme"\), field account: duplicate label/],
    ['an unknown source', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [acmeTimeclock, { ...acmeClockodo, source: 'harvest' }] }), ...secrets }), /accounts\[1\] \(harvest "acme"\), field source: unknown source "harvest"/],
    ['an inline secret', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeTimeclock, token: 'tc-inline-secret-42' }] }) }), /accounts\[0\] \(timeclock "acme"\), field token: an inline secret is not allowed/],
    ['a group-readable key file', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeClockodo, key: { file: file('k', 'open.key', 0o640) } }] }) }), /accounts\[0\] \(clockodo "acme"\), field key: file .*open\.key is readable by group or others \(mode 640\)/],
    ['an unknown field', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeTimeclock, tokn: 1 }] }), ...secrets }), /accounts\[0\] \(timeclock "acme"\), field tokn: unknown field/],
    ['the label reserved for demo rows', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeTimeclock, account: 'demo' }] }), ...secrets }), /accounts\[0\] \(timeclock "demo"\), field account: must not be "demo"/],
    ['a bad zone', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeTimeclock, timezone: 'Mars/Base' }] }), ...secrets }), /field timezone: must be an IANA time zone/],
    ['plain http to a remote host', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [{ ...acmeTimeclock, url: 'http://tc.example.com' }] }), ...secrets }), /field url: must use https/],
    ['both the file and the single-account variables', () => ({ PUNCHCARD_ACCOUNTS: file({ accounts: [acmeTimeclock] }), ...secrets, TIMECLOCK_API_TOKEN: 't' }), /PUNCHCARD_ACCOUNTS and TIMECLOCK_API_TOKEN are both set/],
  ];
  it.each(cases)('%s is one line naming the file, the entry and the field', (_, env, message) => {
    const environment = env();
    const error = errorOf(environment);
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('\n');
    if (!/both set/.test(error.message)) expect(error.message).toContain(`PUNCHCARD_ACCOUNTS ${environment.PUNCHCARD_ACCOUNTS}: `);
    expect(error.message).not.toMatch(/tc-inline-secret-42|tc-secret-1|ck-secret-1/);
  });
});
