/**
 * The shared transport against hostile servers on loopback: redirects are never followed (the
 * second server sees nothing), and answers are capped after decompression (a 150 MB answer and a
 * gzip bomb stop early, without retries).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceError } from '../../src/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { createClockodoClient } from '../../src/sources/clockodo/client.ts';
import { createTimeclockClient } from '../../src/sources/timeclock/client.ts';
import { DEFAULT_RETRY_POLICY } from '../../src/sources/http.ts';

const TOKEN = 'tc-token-5f8a2c91';
const KEY = 'clockodo-key-7b3e9d04';
const USER = 'ops@example.com';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Loopback {
  url: string;
  requests: Recorded[];
  bytesSent: number;
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.closeAllConnections() ?? server.close(resolve))));
});

async function loopback(handle: (req: IncomingMessage, res: ServerResponse, state: Loopback) => void): Promise<Loopback> {
  const state: Loopback = { url: '', requests: [], bytesSent: 0, close: async () => undefined };
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      state.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      handle(req, res, state);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

const transport = { timeoutMs: 10_000, retry: { ...DEFAULT_RETRY_POLICY, retries: 3, minTimeoutMs: 1, maxTimeoutMs: 5 }, logger: silentLogger() };

async function failure(promise: Promise<unknown>): Promise<SourceError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SourceError);
  return error as SourceError;
}

describe('security #1: credentials never follow a redirect', () => {
  for (const status of [301, 302, 303, 307, 308]) {
    it(`security #1: a clockodo GET, the confirming DELETE and PUT answered ${status} reach no second server`, async () => {
      const thief = await loopback((_req, res) => res.end('{"groups":[]}'));
      const origin = await loopback((req, res) => {
        res.writeHead(status, { location: `${thief.url}/steal?key=${KEY}` }).end();
      });
      const client = createClockodoClient({ ...transport, url: `${origin.url}/api`, user: USER, apiKey: KEY, externalApplication: 'punchcard;ops@example.com', entrygroupsPerMinute: 60_000 });
      const change = { timeSince: '2026-09-01T00:00:00Z', timeUntil: '2026-09-30T23:59:59Z', filter: { users_id: 7 }, values: { billable: 1 } };

      const read = await failure(client.entrygroups({ timeSince: change.timeSince, timeUntil: change.timeUntil, grouping: ['users_id', 'day'] }));
      const del = await failure(client.confirmChange('delete', change, 'confirm-123'));
      const put = await failure(client.confirmChange('edit', change, 'confirm-456'));

      expect(thief.requests).toEqual([]);
      expect(origin.requests.map((r) => r.method)).toEqual(['GET', 'DELETE', 'PUT']); // one each: not retried
      for (const error of [read, del, put]) {
        expect(error.kind).toBe('redirect');
        expect(error.retryable).toBe(false);
        expect(error.message).toContain(`HTTP ${status} redirecting to ${thief.url}/steal;`);
        expect(error.message).not.toContain(KEY);
      }
    });
  }

  it('security #1: a TimeClock POST answered 307 is not re-sent with its token and body', async () => {
    const thief = await loopback((_req, res) => res.end('{"jsonrpc":"2.0","id":1,"result":[]}'));
    const origin = await loopback((_req, res) => res.writeHead(307, { location: `${thief.url}/api/v1/json-rpc` }).end());
    const client = createTimeclockClient({ ...transport, url: `${origin.url}/api/v1/json-rpc`, token: TOKEN });
    const error = await failure(client.call('sessions', { startDate: '2025-06-02', endDate: '2025-06-08' }));
    expect(thief.requests).toEqual([]);
    expect(origin.requests).toHaveLength(1);
    expect(origin.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(error.message).toBe(`timeclock sessions 2025-06-02..2025-06-08: the server answered HTTP 307 redirecting to ${thief.url}/api/v1/json-rpc; redirects are not followed (the request carries credentials): point the API URL at the final address`);
  });

  it('security #1: a Location with user info and a query is named without them', async () => {
    const origin = await loopback((_req, res) => {
      res.setHeader('location', `https://me:${TOKEN}@evil.example/x?token=${TOKEN}#frag`);
      res.writeHead(302).end();
    });
    const client = createTimeclockClient({ ...transport, url: `${origin.url}/rpc`, token: TOKEN });
    const error = await failure(client.call('lunches', { startDate: '2025-06-02', endDate: '2025-06-08' }));
    expect(error.message).toContain('redirecting to https://evil.example/x;');
    expect(error.message).not.toContain(TOKEN);
  });
});

describe('security #6: answers are capped after decompression', () => {
  const MB = 1_000_000;

  it('security #6: a 150 MB answer over a 5 MB cap fails at once, not retried, having read little of it', async () => {
    const chunk = Buffer.alloc(MB, 0x20);
    const server = await loopback((_req, res, state) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      let left = 150;
      const pump = () => {
        while (left > 0) {
          left -= 1;
          state.bytesSent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (left = 0));
      pump();
    });
    const rssBefore = process.memoryUsage().rss;
    const client = createTimeclockClient({ ...transport, url: `${server.url}/rpc`, token: TOKEN, maxResponseBytes: 5 * MB });
    const error = await failure(client.call('sessions', { startDate: '2025-06-02', endDate: '2025-06-08' }));
    expect(error.kind).toBe('too-large');
    expect(error.message).toBe('timeclock sessions 2025-06-02..2025-06-08: answer larger than 5 MB after decompression (PUNCHCARD_MAX_RESPONSE_MB); stopped reading it');
    expect(server.requests).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(server.bytesSent).toBeLessThan(40 * MB);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * MB);
  });

  it('security #6: a gzip bomb (60 KB that inflates to 60 MB) is stopped at the cap', async () => {
    const bomb = gzipSync(Buffer.alloc(60 * MB, 0x20), { level: 9 });
    expect(bomb.length).toBeLessThan(100_000);
    const server = await loopback((_req, res) => res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' }).end(bomb));
    const client = createClockodoClient({ ...transport, url: `${server.url}/api`, user: USER, apiKey: KEY, externalApplication: 'x;y', entrygroupsPerMinute: 60_000, maxResponseBytes: 2 * MB });
    const error = await failure(client.entrygroups({ timeSince: '2026-09-01T00:00:00Z', timeUntil: '2026-09-30T23:59:59Z', grouping: ['users_id', 'day'] }));
    expect(error.kind).toBe('too-large');
    expect(error.message).toContain('answer larger than 2 MB after decompression');
    expect(server.requests).toHaveLength(1);
  });

  it('security #1 #6: a TimeClock answer fingerprinted as it arrives is refused a redirect and capped alike, its token scrubbed', async () => {
    const window = { startDate: '2025-06-02', endDate: '2025-06-08' };
    const thief = await loopback((_req, res) => res.end('{"jsonrpc":"2.0","id":1,"result":[]}'));
    const origin = await loopback((_req, res) => res.writeHead(307, { location: `${thief.url}/rpc?token=${TOKEN}` }).end());
    const redirected = createTimeclockClient({ ...transport, url: `${origin.url}/rpc`, token: TOKEN });
    const refused = await failure(redirected.callFingerprinted('sessions', window, () => false));
    expect([refused.kind, thief.requests.length, origin.requests.length]).toEqual(['redirect', 0, 1]);
    expect(refused.message).not.toContain(TOKEN);

    const big = await loopback((_req, res) => res.end(JSON.stringify({ jsonrpc: '2.0', id: 1, result: [{ note: 'x'.repeat(3 * MB) }] })));
    const capped = createTimeclockClient({ ...transport, url: `${big.url}/rpc`, token: TOKEN, maxResponseBytes: MB });
    const tooLarge = await failure(capped.callFingerprinted('sessions', window, () => true));
    expect([tooLarge.kind, big.requests.length]).toEqual(['too-large', 1]);

    const echo = await loopback((_req, res) => res.end(`{"jsonrpc":"2.0","id":0,"error":{"code":-32602,"message":"bad token ${TOKEN}"}}`));
    const refusedParams = await failure(createTimeclockClient({ ...transport, url: `${echo.url}/rpc`, token: TOKEN }).callFingerprinted('sessions', window, () => true));
    expect(refusedParams.kind).toBe('rpc');
    expect(`${refusedParams.message} ${refusedParams.excerpt}`).not.toContain(TOKEN);
  });

  it('an answer under the cap is read whole', async () => {
    const server = await loopback((req, res) => {
      const id = JSON.parse(state(req)).id;
      res.end(JSON.stringify({ jsonrpc: '2.0', id, result: [{ employeeNumber: 1, sessions: [] }] }));
    });
    const state = (req: IncomingMessage) => server.requests.find((r) => r.url === req.url)!.body;
    const client = createTimeclockClient({ ...transport, url: `${server.url}/rpc`, token: TOKEN, maxResponseBytes: 1000 });
    expect(await client.call('sessions', { startDate: '2025-06-02', endDate: '2025-06-08' })).toEqual([{ employeeNumber: 1, sessions: [] }]);
  });
});
