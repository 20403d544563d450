/**
 * A streamed answer's timeout (HTTP_TIMEOUT_MS) counts the waits on the server, not the work done
 * on what arrived: a big answer read record by record while the process also works on other
 * windows must not be cut off, and a server that stops sending mid-body still is.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { sendStreaming, type HttpTransportOptions } from '../../src/sources/http.ts';
import { startAnswerServer, type AnswerServer } from '../support/answer-server.ts';

const TIMEOUT_MS = 300;
const transport: HttpTransportOptions = {
  source: 'timeclock',
  secrets: [],
  timeoutMs: TIMEOUT_MS,
  retry: { retries: 0, minTimeoutMs: 1, maxTimeoutMs: 1, maxRetryAfterMs: 1 },
  logger: silentLogger(),
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: AnswerServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A body of `pieces` pieces, `gapMs` apart on the server's side. */
async function serve(pieces: number, gapMs: number): Promise<string> {
  server = await startAnswerServer(async (_body, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < pieces; i++) {
      res.write(`${'x'.repeat(70_000)}\n`);
      await sleep(gapMs);
    }
    res.end();
  });
  return server.url;
}

const consumeSlowly = (msPerChunk: number) => async (chunks: AsyncIterable<Uint8Array>) => {
  let bytes = 0;
  for await (const chunk of chunks) {
    bytes += chunk.byteLength;
    await sleep(msPerChunk); // parsing, transforming, spooling
  }
  return bytes;
};

describe('a streamed answer', () => {
  it('is not cut off for the time spent on its pieces, far beyond the timeout in all', async () => {
    const url = await serve(6, 10);
    const started = Date.now();
    const outcome = await sendStreaming(transport, 'timesheet test', url, { method: 'POST', body: '{}' }, consumeSlowly(150));
    expect(Date.now() - started).toBeGreaterThan(TIMEOUT_MS * 2);
    expect(outcome).toEqual({ value: 6 * 70_001 });
  });

  it('times out when the server stops sending mid-body', async () => {
    const url = await serve(3, TIMEOUT_MS * 3);
    await expect(sendStreaming(transport, 'timesheet test', url, { method: 'POST', body: '{}' }, consumeSlowly(0))).rejects.toMatchObject({
      kind: 'timeout',
      retryable: true,
      message: expect.stringContaining(`no answer within ${TIMEOUT_MS} ms`),
    });
  });
});
