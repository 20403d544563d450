/**
 * Secrets by value, in every encoding, at every sink: a hostile server echoes the token URL-encoded
 * and base64-encoded and the clockodo pair as its Basic-auth base64; none of it reaches stdout,
 * stderr, `check`, `status`, `status --json`, punchcard.sync_windows.error, punchcard.sync_runs.error
 * or reporting.sync_status.last_error. Secrets with control characters and API URLs with user info
 * are refused before anything runs. Server text reaches the terminal with control characters escaped.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { cliEnv, runCli } from '../support/cli.ts';

// '+', '/' and '=' make the URL-encoded form differ from the raw one.
const TOKEN = 'tc+Secret/Token=8f3e2a1b';
const KEY = 'ck+Secret/Key=77d1e0aa';
const USER = 'secrets@punchcard.test';
const variants = [
  TOKEN,
  encodeURIComponent(TOKEN),
  Buffer.from(TOKEN).toString('base64'),
  KEY,
  encodeURIComponent(KEY),
  Buffer.from(`${USER}:${KEY}`).toString('base64'),
];
// ESC [ 2 J clears the screen; ESC ] 0 ; sets the terminal title.
const ANSI = '\u001b[2J\u001b]0;owned\u0007';

let server: Server;
let url: string;
let db: TestDatabase;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (req.url!.startsWith('/rpc')) {
        const id = JSON.parse(body).id;
        const message = `invalid params for token ${encodeURIComponent(TOKEN)} (${Buffer.from(TOKEN).toString('base64')})${ANSI}`;
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32602, message } }));
      } else {
        const message = `key ${encodeURIComponent(KEY)} refused; Authorization: Basic ${Buffer.from(`${USER}:${KEY}`).toString('base64')}${ANSI}`;
        res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message } }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  db = await createTestDatabase();
});
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  await db?.drop();
});

const env = (overrides: Record<string, string> = {}) =>
  cliEnv({
    DATABASE_URL: db.url,
    TIMECLOCK_API_URL: `${url}/rpc`,
    TIMECLOCK_API_TOKEN: TOKEN,
    CLOCKODO_API_URL: `${url}/api`,
    CLOCKODO_API_USER: USER,
    CLOCKODO_API_KEY: KEY,
    CLOCKODO_ENTRYGROUPS_PER_MINUTE: '6000',
    LOG_LEVEL: 'debug',
    HTTP_RETRIES: '0',
    ...overrides,
  });

function expectClean(text: string): void {
  for (const variant of variants) expect(text).not.toContain(variant);
  expect(text).not.toContain('\u001b');
  expect(text).not.toContain('\u0007');
}

describe('security #8: secrets are scrubbed by value at every sink', () => {
  it('security #8: encoded echoes of the token and key never reach output, the ledger or reporting.sync_status', async () => {
    const backfill = await runCli(['backfill', '--from', '2026-09-01', '--to', '2026-09-07', '--concurrency', '1'], env());
    expect(backfill.code).toBe(1);
    expect(backfill.stdout).toMatch(/failed: sessions 2026-09-01\.\.2026-09-07: timeclock .*JSON-RPC error -32602: invalid params for token \[redacted\] \(\[redacted\]\)\\x1b\[2J/);
    expect(backfill.stdout).toMatch(/failed: entrygroups .*key \[redacted\] refused; Authorization: Basic \[redacted\]/);
    expectClean(backfill.stdout + backfill.stderr);

    const check = await runCli(['check'], env());
    expect(check.stdout).toMatch(/failed\s+timeclock: .*\[redacted\]/);
    expectClean(check.stdout + check.stderr);

    const status = await runCli(['status'], env());
    const json = await runCli(['status', '--json'], env());
    expect(status.stdout).toMatch(/\[redacted\]/);
    expect(JSON.parse(json.stdout).failedWindows.length).toBeGreaterThan(0);
    expectClean(status.stdout + status.stderr + json.stdout + json.stderr);

    const { rows } = await db.pool.query(
      `SELECT error FROM punchcard.sync_windows WHERE error IS NOT NULL
       UNION ALL SELECT error FROM punchcard.sync_runs WHERE error IS NOT NULL
       UNION ALL SELECT last_error FROM reporting.sync_status WHERE last_error IS NOT NULL`,
    );
    expect(rows.length).toBeGreaterThan(4);
    for (const variant of variants) expect(rows.map((r) => r.error).join('\n')).not.toContain(variant);
  });

  it('security #8: a secret holding a control character is refused with one line naming the variable, exit 2', async () => {
    for (const [variable, value] of [
      ['TIMECLOCK_API_TOKEN', 'tc-token\r-injected'],
      ['CLOCKODO_API_KEY', 'ck-key\u001b[31m-red'],
      ['CLOCKODO_API_USER', 'ops\n@example.com'],
      ['DATABASE_URL', `postgres://u:pa%0Dss@127.0.0.1:1/x`],
    ] as const) {
      const result = await runCli(['sync'], env({ [variable]: value }));
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`punchcard: ${variable} contains a control character (a line break, carriage return, tab or escape); set it without one\n`);
      expect(result.stdout).toBe('');
    }
  });

  it('security #8: a BI password (grant-bi --password-env) holding a control character is refused, exit 2', async () => {
    const result = await runCli(['grant-bi', '--role', 'pc_bi_never_created', '--password-env', 'BI_PASSWORD'], env({ BI_PASSWORD: 'bi-pass\r\nword' }));
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('punchcard: BI_PASSWORD contains a control character (a line break, carriage return, tab or escape); set it without one\n');
    const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'pc_bi_never_created'`);
    expect(rows[0].n).toBe(0);
  });

  it('security #8: an API URL with user info is refused without echoing it, exit 2', async () => {
    for (const variable of ['TIMECLOCK_API_URL', 'CLOCKODO_API_URL']) {
      const result = await runCli(['check'], env({ [variable]: 'https://user:Hunter2-Secret@api.example.com/api' }));
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`punchcard: ${variable} must not contain a user name or password (user:pass@); put credentials in their own variables\n`);
      expect(result.stdout + result.stderr).not.toContain('Hunter2-Secret');
    }
  });
});

describe('security #14: source text reaches the terminal escaped', () => {
  it('security #14: ANSI sequences in a server message are printed as visible escapes by the CLI and the pretty logger', async () => {
    const { escapeControls } = await import('../../src/errors.ts');
    expect(escapeControls(`a${ANSI}b\u009b\u202e\nc`)).toBe('a\\x1b[2J\\x1b]0;owned\\x07b\\x9b\\u202e\\x0ac');
    expect(escapeControls('line one\nline two\ttab', { keepNewlines: true })).toBe('line one\nline two\\x09tab');

    const { createLogger } = await import('../../src/logger.ts');
    const { Writable } = await import('node:stream');
    let written = '';
    // The pretty path scrubs and escapes in the log hooks, before pino-pretty sees the text.
    const logger = createLogger({ pretty: true, destination: new Writable({ write: (chunk, _enc, done) => ((written += chunk), done()) }) as never });
    logger.error({ err: new Error(`server said ${ANSI}`) }, `window failed: ${ANSI}`);
    expect(written).toContain('window failed: \\\\x1b[2J');
    expect(written).not.toContain('\\u001b');
  });
});
