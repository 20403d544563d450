/**
 * Small node:http helpers shared by the simulators: body reading with a limit, JSON answers,
 * backpressure-aware streaming, and a server wrapper whose `close()` never hangs (it destroys
 * sockets that a `timeout` fault or a slow client keeps open).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class BodyTooLargeError extends Error {
  readonly limit: number;
  constructor(limit: number) {
    super(`request body larger than ${limit} bytes`);
    this.name = 'BodyTooLargeError';
    this.limit = limit;
  }
}

/** Reads the whole request body as UTF-8; rejects with BodyTooLargeError past `limit` bytes. */
export function readBody(req: IncomingMessage, limit = 1024 * 1024): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new BodyTooLargeError(limit));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks).toString('utf8'));
    });
    req.on('error', (err) => {
      if (!failed) {
        failed = true;
        reject(err);
      }
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Writes one chunk; resolves when the socket can take more (false when the client went away). */
export function writeChunk(res: ServerResponse, chunk: string): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (res.write(chunk)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean): void => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = (): void => done(true);
    const onClose = (): void => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * Streams pieces (e.g. one JSON text per employee) joined by `separator`, buffered to about
 * `bufferBytes` per write so that neither one giant string nor thousands of tiny writes are made.
 */
export async function streamPieces(
  res: ServerResponse,
  head: string,
  pieces: Iterable<string>,
  separator: string,
  tail: string,
  bufferBytes = 64 * 1024,
): Promise<boolean> {
  let buffer = head;
  let first = true;
  for (const piece of pieces) {
    buffer += first ? piece : separator + piece;
    first = false;
    if (buffer.length >= bufferBytes) {
      if (!(await writeChunk(res, buffer))) return false;
      buffer = '';
    }
  }
  buffer += tail;
  if (!(await writeChunk(res, buffer))) return false;
  res.end();
  return true;
}

export interface ManagedServer {
  server: Server;
  host: string;
  port: number;
  /** Runs `fn` after `ms` unless the server closes first. */
  delay(ms: number): Promise<void>;
  /** Stops listening, cancels pending delays and destroys every open socket. */
  close(): Promise<void>;
}

/** Starts a node:http server that tracks its sockets and timers, so `close()` always finishes. */
export async function startManagedServer(
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  host: string,
  port: number,
): Promise<ManagedServer> {
  const sockets = new Set<Socket>();
  const timers = new Map<NodeJS.Timeout, () => void>();
  const server = createServer(handler);
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    host,
    port: address.port,
    delay(ms: number): Promise<void> {
      if (closing) return new Promise(() => undefined);
      return new Promise((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, ms);
        // A closed server never resolves the pending delay: the socket is destroyed anyway.
        timers.set(timer, resolve);
      });
    },
    close(): Promise<void> {
      closing ??= new Promise<void>((resolve) => {
        for (const timer of timers.keys()) clearTimeout(timer);
        timers.clear();
        server.close(() => resolve());
        server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}

export function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
