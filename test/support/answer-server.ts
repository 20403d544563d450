/** A stand-in API on loopback: each request's body is read whole, then `respond` answers it. */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AnswerServer {
  /** Where to send requests (path `/rpc`). */
  url: string;
  close(): Promise<void>;
}

export async function startAnswerServer(respond: (body: string, res: ServerResponse) => void): Promise<AnswerServer> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => respond(body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/rpc`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
