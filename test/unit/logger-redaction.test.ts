import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { SourceError } from '../../src/errors.ts';
import { loadConfig } from '../../src/config.ts';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  return { lines, destination };
}

describe('secrets never reach a log line', () => {
  const token = 'tc-secret-token-1a2b3c4d';
  const apiKey = 'ck-secret-key-9z8y7x';
  const dbPassword = 's3cret-db-pass';

  it('redacts tokens, keys and database passwords wherever they appear', () => {
    const config = loadConfig({
      TIMECLOCK_API_TOKEN: token,
      CLOCKODO_API_USER: 'ops@example.com',
      CLOCKODO_API_KEY: apiKey,
      DATABASE_URL: `postgres://punchcard:${dbPassword}@db.example.com:5432/punchcard`,
    });
    const { lines, destination } = capture();
    const logger = createLogger({ destination, secrets: [token, apiKey, dbPassword] });
    logger.info({ config }, 'configuration loaded');
    logger.info({ headers: { authorization: `Bearer ${token}`, 'x-clockodoapikey': apiKey } }, 'request');
    logger.warn(`retrying with token ${token} against postgres://punchcard:${dbPassword}@db.example.com/punchcard`);
    logger.error({ err: new SourceError(`timeclock sessions: echoed ${token}`, { source: 'timeclock', kind: 'client', retryable: false, excerpt: `key=${apiKey}` }) }, 'failed');
    logger.child({ token }).info({ nested: { deeper: { apiKey, note: `k=${apiKey}` } } }, 'child');

    const output = lines.join('');
    expect(lines).toHaveLength(5);
    for (const secret of [token, apiKey, dbPassword]) expect(output).not.toContain(secret);
    expect(output).toContain('[redacted]');
    expect(output).toContain('configuration loaded');
  });
});
