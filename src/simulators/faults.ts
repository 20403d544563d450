/**
 * Switchable faults shared by both API simulators.
 *
 * A simulator owns one FaultInjector. Before answering a request it asks `pick()` whether a fault
 * rule matches; if so it calls `writeFault()` instead of answering normally. Rules are consumed
 * deterministically (a seeded PRNG for `rate`), so a test or benchmark run is repeatable.
 */
import type { ServerResponse } from 'node:http';

export const FAULT_KINDS = [
  'rate-limit', // 429 with Retry-After
  'rate-limit-no-retry-after', // 429 without Retry-After
  'http-404', // the endpoint does not exist (e.g. an API without /v3/users)
  'http-500',
  'http-502',
  'http-503',
  'timeout', // headers never come; the socket stays open until the client gives up
  'reset', // headers and part of the body, then the connection is destroyed
  'truncated', // 200, half of the real body, then a clean end (invalid JSON for the client)
  'invalid-json', // 200 with a body that is not JSON at all
  'unauthorized', // 401
  'api-error', // the API's own error shape (JSON-RPC error object / clockodo error body)
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultMatch {
  /** HTTP method, e.g. "GET". */
  httpMethod?: string;
  /** Request path without query, e.g. "/api/v2/entrygroups". */
  path?: string;
  /** JSON-RPC method, e.g. "sessions". */
  rpcMethod?: string;
}

export interface FaultRule {
  kind: FaultKind;
  match?: FaultMatch;
  /** Inject into the next `count` matching requests, then the rule is spent. */
  count?: number;
  /** Inject into this fraction (0..1) of matching requests, chosen by the seeded PRNG. */
  rate?: number;
  /** For rate-limit: the Retry-After value in seconds (default 1). */
  retryAfterSeconds?: number;
  /** For api-error: which variant the simulator should produce (simulator-specific). */
  variant?: string;
}

export interface RequestInfo {
  httpMethod: string;
  path: string;
  rpcMethod?: string;
}

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private rules: Array<FaultRule & { remaining: number }> = [];
  private random: () => number;
  /** How many faults were injected, by kind: lets tests assert that a fault really happened. */
  readonly injected = new Map<FaultKind, number>();

  constructor(seed = 1) {
    this.random = seededRandom(seed);
  }

  add(rule: FaultRule): void {
    if (!FAULT_KINDS.includes(rule.kind)) throw new Error(`unknown fault kind: ${String(rule.kind)}`);
    this.rules.push({ ...rule, remaining: rule.count ?? Number.POSITIVE_INFINITY });
  }

  clear(): void {
    this.rules = [];
  }

  list(): FaultRule[] {
    return this.rules.map(({ remaining, ...rule }) => ({ ...rule, count: Number.isFinite(remaining) ? remaining : undefined }));
  }

  pick(request: RequestInfo): FaultRule | undefined {
    for (const rule of this.rules) {
      if (rule.remaining <= 0 || !matches(rule.match, request)) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.remaining -= 1;
      this.injected.set(rule.kind, (this.injected.get(rule.kind) ?? 0) + 1);
      return rule;
    }
    return undefined;
  }
}

function matches(match: FaultMatch | undefined, request: RequestInfo): boolean {
  if (!match) return true;
  if (match.httpMethod && match.httpMethod.toUpperCase() !== request.httpMethod.toUpperCase()) return false;
  if (match.path && match.path !== request.path) return false;
  if (match.rpcMethod && match.rpcMethod !== request.rpcMethod) return false;
  return true;
}

export interface FaultContext {
  /** The body the simulator would have sent (used by `reset` and `truncated`). */
  realBody: () => string;
  /** The API's own error answer (used by `api-error` and `unauthorized`). */
  apiError: (rule: FaultRule) => { status: number; body: string };
  unauthorized: () => { status: number; body: string };
}

/** Writes the fault to the response. Every kind except `timeout` ends or destroys the response. */
export function writeFault(res: ServerResponse, rule: FaultRule, context: FaultContext): void {
  const json = { 'content-type': 'application/json' };
  switch (rule.kind) {
    case 'rate-limit':
      res.writeHead(429, { ...json, 'retry-after': String(rule.retryAfterSeconds ?? 1) });
      res.end(JSON.stringify({ error: { message: 'Too many requests' } }));
      return;
    case 'rate-limit-no-retry-after':
      res.writeHead(429, json);
      res.end(JSON.stringify({ error: { message: 'Too many requests' } }));
      return;
    case 'http-404':
    case 'http-500':
    case 'http-502':
    case 'http-503': {
      const status = Number(rule.kind.slice(5));
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end(`<html><body><h1>${status}</h1>upstream trouble</body></html>`);
      return;
    }
    case 'timeout':
      // Say nothing. The client's timeout fires; the server closes the socket on shutdown.
      return;
    case 'reset': {
      const body = context.realBody();
      res.writeHead(200, { ...json, 'content-length': String(Buffer.byteLength(body)) });
      res.write(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    case 'truncated': {
      const body = context.realBody();
      res.writeHead(200, json);
      res.end(body.slice(0, Math.max(1, Math.floor(body.length / 2))));
      return;
    }
    case 'invalid-json':
      res.writeHead(200, json);
      res.end('<html>this is not json</html>');
      return;
    case 'unauthorized': {
      const { status, body } = context.unauthorized();
      res.writeHead(status, json);
      res.end(body);
      return;
    }
    case 'api-error': {
      const { status, body } = context.apiError(rule);
      res.writeHead(status, json);
      res.end(body);
      return;
    }
  }
}
