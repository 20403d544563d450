/**
 * An answer's body received aside (answer-body.ts): its fingerprint is the SHA-256 of its bytes,
 * with the request id's bytes left out, wherever the network happens to split them; a big body
 * goes to a temp file that dispose() removes, and reads back byte for byte.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { receiveBody } from '../../src/sources/answer-body.ts';

const sha = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');

async function* pieces(bytes: Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    yield new Uint8Array(bytes.subarray(from, cut));
    from = cut;
  }
}

describe('receiveBody', () => {
  const id = '240123456789017';
  const body = Buffer.from(`{"jsonrpc":"2.0","id":${id},"result":[{"employeeNumber":"7","note":"é ✓"}]}`);
  const withoutId = sha(Buffer.from(body.toString().replace(id, '')));

  it('hashes the body without the id, however the chunks split it', async () => {
    const start = body.indexOf(id);
    for (let cut = 1; cut < body.length; cut++) {
      const received = await receiveBody(pieces(body, [cut]), { exclude: Buffer.from(id) });
      expect([cut, received.sha256, received.excluded]).toEqual([cut, withoutId, 1]);
    }
    // Every byte its own chunk, the id among them.
    const single = await receiveBody(pieces(body, [...body.keys()].slice(1)), { exclude: Buffer.from(id) });
    expect([single.sha256, single.excluded, single.bytes]).toEqual([withoutId, 1, body.length]);
    expect(start).toBeGreaterThan(0);
  });

  it('counts every occurrence, and without an exclusion hashes every byte', async () => {
    const twice = Buffer.from(`${body.toString().slice(0, -2)},{"note":"${id}"}]}`);
    expect((await receiveBody(pieces(twice, [30, 31, 70]), { exclude: Buffer.from(id) })).excluded).toBe(2);
    const other = await receiveBody(pieces(body, [5]), { exclude: Buffer.from('999999999999999') });
    expect([other.sha256, other.excluded]).toEqual([sha(body), 0]);
    expect((await receiveBody(pieces(body, [17]))).sha256).toBe(sha(body));
  });

  it('keeps a small body in memory and a big one in a temp file that dispose removes; both read back as sent', async () => {
    const small = await receiveBody(pieces(body, [10]));
    expect(small.file).toBeUndefined();
    expect(await small.text()).toBe(body.toString());

    const big = Buffer.from(`\uFEFF{"groups":[${'"ä",'.repeat(200_000)}"end"]}`);
    const received = await receiveBody(pieces(big, [1000, 1001, 700_000]), { inMemoryBytes: 64 * 1024 });
    expect(received.file).toBeDefined();
    expect(existsSync(received.file!)).toBe(true);
    expect(received.sha256).toBe(sha(big));
    // As Response.text() decodes: UTF-8, the byte order mark dropped.
    expect(await received.text()).toBe(big.toString().slice(1));
    const again: Buffer[] = [];
    for await (const chunk of received.chunks()) again.push(Buffer.from(chunk));
    expect(Buffer.concat(again).equals(big)).toBe(true);
    await received.dispose();
    expect(existsSync(received.file!)).toBe(false);
  });

  it('removes what it wrote when the body breaks off', async () => {
    const failing = async function* (): AsyncGenerator<Uint8Array> {
      yield new Uint8Array(200_000);
      yield new Uint8Array(200_000);
      throw new Error('connection reset');
    };
    // A temp folder of the test's own (os.tmpdir() reads TMPDIR on every call).
    const own = mkdtempSync(path.join(tmpdir(), 'answer-body-test-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = own;
    try {
      await expect(receiveBody(failing(), { inMemoryBytes: 1000 })).rejects.toThrow('connection reset');
      expect(readdirSync(own)).toEqual([]);
      // The same body without the break does leave a file there, until disposed.
      const whole = await receiveBody(pieces(Buffer.alloc(400_000), [200_000]), { inMemoryBytes: 1000 });
      expect(readdirSync(own)).toHaveLength(1);
      await whole.dispose();
      expect(readdirSync(own)).toEqual([]);
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
      rmSync(own, { recursive: true, force: true });
    }
  });
});
