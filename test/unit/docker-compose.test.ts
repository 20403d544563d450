/**
 * docker-compose.yml cannot run here (no Docker engine), so it is parsed and checked: the services,
 * their ports and health checks, and that every variable it hands the worker is one the
 * configuration module reads (a typo there would silently fall back to a default).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = new URL('../../', import.meta.url);
const compose = parse(readFileSync(new URL('docker-compose.yml', root), 'utf8'));
const configSource = readFileSync(new URL('src/config.ts', root), 'utf8');

describe('docker-compose.yml', () => {
  it('runs PostgreSQL and the worker, with health checks and the BI port published', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['postgres', 'worker']);
    const { postgres, worker } = compose.services;
    expect(postgres.image).toMatch(/^postgres:15/);
    expect(postgres.ports).toContain('127.0.0.1:5432:5432');
    expect(postgres.healthcheck.test.join(' ')).toMatch(/pg_isready/);
    expect(worker.build).toBe('.');
    expect(worker.command).toEqual(['worker']);
    expect(worker.depends_on.postgres.condition).toBe('service_healthy');
    expect(worker.healthcheck.test.join(' ')).toMatch(/healthz/);
    // A loopback host port range: `docker compose up --scale worker=3` gives each worker its own.
    expect(worker.ports).toContain(`127.0.0.1:${worker.environment.PUNCHCARD_METRICS_PORT}-9473:9464`);
    expect(worker.container_name).toBeUndefined();
  });

  it('passes the worker only variables the configuration reads, and the ones it needs', () => {
    const known = new Set([...configSource.matchAll(/^\s{2}([A-Z][A-Z0-9_]+):/gm)].map((m) => m[1]));
    expect(known.size).toBeGreaterThan(20);
    const passed = Object.keys(compose.services.worker.environment);
    expect(passed.filter((name) => !known.has(name))).toEqual([]);
    for (const needed of ['DATABASE_URL', 'TIMECLOCK_API_TOKEN', 'CLOCKODO_API_USER', 'CLOCKODO_API_KEY', 'PUNCHCARD_CRON']) expect(passed).toContain(needed);
    expect(compose.services.worker.environment.DATABASE_URL).toMatch(/@postgres:5432\//);
    expect(passed).not.toContain('PUNCHCARD_DB_PASSWORD'); // the database password reaches the worker inside DATABASE_URL only
  });

  it('security #3: passwords must be chosen, ports are published on 127.0.0.1 only, the worker is not the superuser', () => {
    const { postgres, worker } = compose.services;
    const text = readFileSync(new URL('docker-compose.yml', root), 'utf8');
    // `${VAR:?message}`: compose refuses to start when the variable is unset or empty; no password has a default.
    expect(postgres.environment.POSTGRES_PASSWORD).toMatch(/^\$\{POSTGRES_PASSWORD:\?.+\}$/);
    expect(postgres.environment.PUNCHCARD_DB_PASSWORD).toMatch(/^\$\{PUNCHCARD_DB_PASSWORD:\?.+\}$/);
    expect(text).not.toMatch(/PASSWORD:-/);
    for (const service of Object.values(compose.services) as Array<{ ports?: string[] }>) {
      for (const port of service.ports ?? []) expect(port).toMatch(/^127\.0\.0\.1:\d+(-\d+)?:\d+$/);
    }
    // The superuser is postgres (the image's default POSTGRES_USER); the worker logs in as punchcard.
    expect(postgres.environment.POSTGRES_USER).toBeUndefined();
    const url = worker.environment.DATABASE_URL as string;
    expect(url).toMatch(/^postgres:\/\/punchcard:\$\{PUNCHCARD_DB_PASSWORD:\?[^}]+\}@postgres:5432\/punchcard$/);
    expect(postgres.volumes).toContain('./docker/postgres-init:/docker-entrypoint-initdb.d:ro');
  });

});

/** Dockerfile instructions, continuation lines joined and comments dropped. */
function instructions(text: string): Array<{ op: string; args: string }> {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: rest.join(' ') };
    });
}

describe('Dockerfile', () => {
  const dockerfile = instructions(readFileSync(new URL('Dockerfile', root), 'utf8'));
  const all = (op: string) => dockerfile.filter((i) => i.op === op).map((i) => i.args);

  it('builds on node:24 slim, installs production dependencies only, and runs the CLI without a loader', () => {
    expect(all('FROM')).toEqual(['node:24-bookworm-slim']);
    const installs = all('RUN').filter((args) => /\bnpm (ci|install|i)\b/.test(args));
    expect(installs).toHaveLength(1);
    expect(installs[0]).toMatch(/^npm ci --omit=dev\b/);
    // No V8 flag of its own: the launcher adds each command's (bin/node-flags.mjs), which one given here would override.
    expect(all('ENTRYPOINT').map((args) => JSON.parse(args))).toEqual([['node', 'bin/punchcard.mjs']]);
    // tsx is a dev dependency: nothing in the image may ask for it.
    expect(dockerfile.filter((i) => /tsx|--loader|--import/.test(i.args))).toEqual([]);
  });

  it('runs as an unprivileged user from the last USER on', () => {
    const users = dockerfile.map((i, index) => ({ ...i, index })).filter((i) => i.op === 'USER');
    expect(users.at(-1)?.args).toBe('node');
    // Nothing after it switches back or installs.
    expect(dockerfile.slice(users.at(-1)!.index + 1).filter((i) => i.op === 'RUN' || i.op === 'USER')).toEqual([]);
  });

  it('bakes no secret into a layer: no ENV or ARG holding one, no credentials file copied', () => {
    const secretName = /TOKEN|KEY|PASSWORD|SECRET|DATABASE_URL|CREDENTIAL|NPM_AUTH|_AUTH/i;
    const declared = [...all('ENV'), ...all('ARG')].flatMap((args) => [...args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)(?==|\s|$)/g)].map((m) => m[1]!));
    expect(declared.filter((name) => secretName.test(name))).toEqual([]);
    expect([...all('COPY'), ...all('ADD')].filter((args) => /\.env|\.npmrc|\.pem|\.key\b|credentials/.test(args))).toEqual([]);
    expect(all('COPY').filter((args) => /^\.\s/.test(args))).toEqual([]); // never the whole context
    const ignored = readFileSync(new URL('.dockerignore', root), 'utf8').split('\n');
    for (const entry of ['.env', '.punchcard', 'node_modules']) expect(ignored).toContain(entry);
  });
});
