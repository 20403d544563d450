/**
 * A JSON-RPC server on loopback that answers with the TimeClock document's own example answers
 * (test/fixtures/timeclock-seed, byte for byte), for requests whose day range covers the example's
 * stamps; any other range gets an empty result. Only the envelope's `"id"` is rewritten to the
 * request's id, as a JSON-RPC server must.
 *
 * `answers` replaces an example's text (a test that needs another shape of the same answer);
 * `everyRange` answers with the example whatever range is asked (`punchcard check` asks for the
 * last days, not for 2024).
 */
import { readFileSync } from 'node:fs';
import { readBody, sendJson, startManagedServer, type ManagedServer } from '../../src/simulators/http-util.ts';

export const SEED_METHODS = ['sessions', 'lunches', 'timesheet', 'extended-sessions'] as const;
type SeedMethod = (typeof SEED_METHODS)[number];

export function seedAnswer(method: SeedMethod): string {
  return readFileSync(new URL(`../fixtures/timeclock-seed/${method}.json`, import.meta.url), 'utf8');
}

/** The document's request ids are 121–124; the employee id 21814 must stay as it is. */
const ENVELOPE_ID = /"id": 12[1-4](?=\s*[,}\n])/;

/** The local days the example's stamps fall on. */
function daysOf(text: string): string[] {
  return [...new Set([...text.matchAll(/"startDate": "(\d{4}-\d{2}-\d{2})/g)].map((m) => m[1]!))];
}

export interface SeedServer {
  url: string;
  requests: Array<{ method: string; startDate: string; endDate: string }>;
  close(): Promise<void>;
}

export interface SeedServerOptions {
  answers?: Partial<Record<SeedMethod, string>>;
  everyRange?: boolean;
}

export async function startSeedServer(token: string, { answers = {}, everyRange = false }: SeedServerOptions = {}): Promise<SeedServer> {
  const requests: SeedServer['requests'] = [];
  let server: ManagedServer | undefined;
  server = await startManagedServer(
    (req, res) => {
      void (async () => {
        if (req.headers.authorization !== `Bearer ${token}`) return sendJson(res, 401, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Unauthorized' } });
        const call = JSON.parse(await readBody(req)) as { id: number; method: SeedMethod; params: { startDate: string; endDate: string } };
        requests.push({ method: call.method, ...call.params });
        const text = answers[call.method] ?? seedAnswer(call.method);
        const covered = everyRange || daysOf(text).some((day) => day >= call.params.startDate && day <= call.params.endDate);
        const body = covered ? text.replace(ENVELOPE_ID, `"id": ${call.id}`) : JSON.stringify({ jsonrpc: '2.0', id: call.id, result: [] });
        res.writeHead(200, { 'content-type': 'application/json' }).end(body);
      })();
    },
    '127.0.0.1',
    0,
  );
  return { url: `http://127.0.0.1:${server.port}`, requests, close: () => server!.close() };
}
