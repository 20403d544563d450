/**
 * An answer's body as it arrived, not parsed: hashed chunk by chunk while it is received, and kept
 * in memory while small, else in a temp file, so that an answer the warehouse already holds can be
 * recognised by its fingerprint and dropped without ever being parsed. Parsing, when needed, reads
 * it back (whole as text, or chunk by chunk for a streaming parser).
 *
 * One run of bytes may be left out of the hash (`exclude`): a JSON-RPC answer echoes the request's
 * id, which differs per request, so the fingerprint of an unchanged answer must not include it.
 * The bytes are left out only where they occur exactly once in the body (`excluded` says how often
 * they occurred); the caller treats any other count as "no usable fingerprint".
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Bodies up to this size stay in memory; a bigger one goes to a temp file as it arrives. */
export const IN_MEMORY_BODY_BYTES = 1 << 20;

export interface AnswerBody {
  bytes: number;
  /** SHA-256 (hex) of the body without the one occurrence of `exclude`, or of the whole body. */
  sha256: string;
  /** How often `exclude` occurred (0 without one). */
  excluded: number;
  /** The temp file holding the body, when it was too big to keep in memory. */
  file?: string;
  /** The body as text, decoded as fetch's Response.text() would (UTF-8, BOM dropped). */
  text(): Promise<string>;
  /** The body again, chunk by chunk. */
  chunks(): AsyncIterable<Uint8Array>;
  /** Removes the temp file, if any. Idempotent. */
  dispose(): Promise<void>;
}

/**
 * Receives `chunks` into an AnswerBody. A failure while receiving (the network, the byte cap, the
 * disk) removes what was written and passes through.
 */
export async function receiveBody(chunks: AsyncIterable<Uint8Array>, options: { exclude?: Uint8Array; inMemoryBytes?: number } = {}): Promise<AnswerBody> {
  const limit = options.inMemoryBytes ?? IN_MEMORY_BODY_BYTES;
  const hasher = excludingHasher(options.exclude);
  const held: Uint8Array[] = [];
  let bytes = 0;
  let file: { dir: string; path: string; out: WriteStream } | undefined;
  let failure: Error | undefined;
  const dispose = async () => {
    if (file) await rm(file.dir, { recursive: true, force: true });
  };
  try {
    for await (const chunk of chunks) {
      bytes += chunk.byteLength;
      hasher.update(chunk);
      if (!file && bytes <= limit) {
        held.push(chunk);
        continue;
      }
      if (!file) {
        const dir = await mkdtemp(path.join(tmpdir(), 'punchcard-answer-'));
        file = { dir, path: path.join(dir, 'body'), out: createWriteStream(path.join(dir, 'body')) };
        // A failed write (a full disk) fails this receive below, not the process.
        file.out.on('error', (error) => (failure ??= error));
        for (const earlier of held.splice(0)) file.out.write(earlier);
      }
      if (failure) throw failure;
      if (!file.out.write(chunk)) await once(file.out, 'drain');
    }
    if (file) {
      file.out.end();
      await finished(file.out);
    }
  } catch (error) {
    file?.out.destroy();
    await dispose();
    throw error;
  }
  const { sha256, excluded } = hasher.digest();
  const path_ = file?.path;
  const chunksAgain = async function* (): AsyncGenerator<Uint8Array> {
    if (path_ === undefined) {
      yield* held;
      return;
    }
    for await (const chunk of createReadStream(path_, { highWaterMark: 1 << 16 })) yield chunk as Buffer;
  };
  return {
    bytes,
    sha256,
    excluded,
    file: path_,
    async text() {
      const decoder = new TextDecoder();
      const parts: string[] = [];
      for await (const chunk of chunksAgain()) parts.push(decoder.decode(chunk, { stream: true }));
      parts.push(decoder.decode());
      return parts.join('');
    },
    chunks: chunksAgain,
    dispose,
  };
}

/**
 * SHA-256 of a byte stream with every occurrence of `exclude` left out, counting them. Bytes that
 * could be the start of an occurrence straddling two chunks are held back until the next chunk.
 */
export function excludingHasher(exclude: Uint8Array | undefined): { update(chunk: Uint8Array): void; digest(): { sha256: string; excluded: number } } {
  const hash: Hash = createHash('sha256');
  if (exclude === undefined || exclude.length === 0) {
    return { update: (chunk) => void hash.update(chunk), digest: () => ({ sha256: hash.digest('hex'), excluded: 0 }) };
  }
  const pattern = Buffer.from(exclude);
  let carry: Buffer = Buffer.alloc(0);
  let excluded = 0;
  return {
    update(chunk) {
      const buffer = carry.length === 0 ? Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength) : Buffer.concat([carry, chunk]);
      let from = 0;
      for (let at = buffer.indexOf(pattern, from); at !== -1; at = buffer.indexOf(pattern, from)) {
        hash.update(buffer.subarray(from, at));
        excluded += 1;
        from = at + pattern.length;
      }
      // The last pattern.length - 1 bytes may begin an occurrence the next chunk completes.
      const keep = Math.max(from, buffer.length - (pattern.length - 1));
      hash.update(buffer.subarray(from, keep));
      carry = Buffer.from(buffer.subarray(keep));
    },
    digest() {
      hash.update(carry);
      return { sha256: hash.digest('hex'), excluded };
    },
  };
}
