/**
 * `punchcard grant-bi` under the security review (issue 12): later migrations stay readable,
 * privileged roles are refused, the password never travels in clear text, and the BI role gets
 * neither temporary objects nor CONNECT through PUBLIC on the warehouse.
 *
 * The warehouse here is owned by a non-superuser role that ran the migrations (as in
 * docker-compose.yml); grant-bi runs as the server's superuser, an administrator.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
// node-postgres' own SCRAM client: an implementation independent of the one under test.
import sasl from 'pg/lib/crypto/sasl.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MIGRATIONS_DIR, migrate } from '../../src/db/migrate.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startEmbeddedServer } from '../support/postgres-server.ts';
import { cliEnv, runCli } from '../support/cli.ts';

const suffix = randomBytes(4).toString('hex');
const owner = `pc_owner_${suffix}`;
const bi = `pc_bi_${suffix}`;
const password = `Pw-${randomBytes(12).toString('hex')}`;
const extraRoles: string[] = [];
let db: TestDatabase;
let ownerPool: pg.Pool;
let migrationsDir: string;

const urlAs = (user: string, url = db.url) => {
  const u = new URL(url);
  u.username = user;
  u.password = '';
  return u.href;
};
/** A pool whose sessions may be ended by DROP DATABASE ... WITH (FORCE) while it closes. */
const quietPool = (connectionString: string, max = 1) => {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  return pool;
};
const admin = (sql: string, values: unknown[] = []) => db.pool.query(sql, values);
const quote = (name: string) => `"${name.replace(/"/g, '""')}"`;

beforeAll(async () => {
  db = await createTestDatabase({ empty: true });
  await admin(`CREATE ROLE ${quote(owner)} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB`);
  await admin(`ALTER DATABASE ${quote(db.name)} OWNER TO ${quote(owner)}`);
  ownerPool = quietPool(urlAs(owner), 2);
  await migrate(ownerPool);
  migrationsDir = mkdtempSync(join(tmpdir(), 'pc-migrations-'));
  cpSync(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
});

afterAll(async () => {
  await ownerPool?.end();
  await db?.drop();
  if (migrationsDir) rmSync(migrationsDir, { recursive: true, force: true });
  const cleanup = new pg.Client({ connectionString: db.url.replace(/\/[^/?]+(\?|$)/, '/postgres$1') });
  await cleanup.connect();
  for (const role of [bi, ...extraRoles, owner]) await cleanup.query(`DROP ROLE IF EXISTS ${quote(role)}`).catch(() => undefined);
  await cleanup.end();
});

/** A TCP relay in front of PostgreSQL that keeps every byte the client sent. */
async function recordingProxy(target: URL): Promise<{ url: string; sent: () => Buffer; close: () => Promise<void> }> {
  const chunks: Buffer[] = [];
  const server: Server = createServer((socket) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.pipe(upstream).pipe(socket);
    socket.on('error', () => upstream.destroy());
    upstream.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(db.url);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);
  return { url: url.href, sent: () => Buffer.concat(chunks), close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The server's half of a SCRAM-SHA-256 login, run against the stored secret with pg's client half. */
async function scramLogin(secret: string, attempt: string): Promise<boolean> {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(secret);
  if (!m) throw new Error(`not a SCRAM secret: ${secret.slice(0, 14)}`);
  const [, iterations, salt, storedKey, serverKey] = m;
  const session = sasl.startSession(['SCRAM-SHA-256']);
  const serverFirst = `r=${session.clientNonce}${randomBytes(18).toString('base64')},s=${salt},i=${iterations}`;
  await sasl.continueSession(session, attempt, serverFirst);
  const [withoutProof, proof] = (session.response as string).split(',p=') as [string, string];
  const authMessage = `n=*,r=${session.clientNonce},${serverFirst},${withoutProof}`;
  const clientSignature = createHmac('sha256', Buffer.from(storedKey!, 'base64')).update(authMessage).digest();
  const clientKey = Buffer.from(proof, 'base64').map((byte, i) => byte ^ clientSignature[i]!);
  if (!createHash('sha256').update(clientKey).digest().equals(Buffer.from(storedKey!, 'base64'))) return false;
  sasl.finalizeSession(session, `v=${createHmac('sha256', Buffer.from(serverKey!, 'base64')).update(authMessage).digest('base64')}`);
  return true;
}

describe('grant-bi as an administrator on a warehouse owned by another role', () => {
  let proxySent: Buffer;

  beforeAll(async () => {
    const proxy = await recordingProxy(new URL(db.url));
    try {
      const result = await runCli(['grant-bi', '--role', bi, '--password-env', 'BI_PASSWORD'], cliEnv({ DATABASE_URL: proxy.url, BI_PASSWORD: password }));
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`created role ${bi}`);
    } finally {
      proxySent = proxy.sent();
      await proxy.close();
    }
  });

  it('security #4: a view added by a later migration (run by the owner) is readable by the BI role; grant-bi itself migrates nothing', async () => {
    mkdirSync(join(migrationsDir, '20991231000000_later_view'));
    writeFileSync(join(migrationsDir, '20991231000000_later_view', 'migration.sql'), `CREATE VIEW reporting.later_view AS SELECT 42 AS answer;\n`);
    const result = await migrate(ownerPool, { migrationsDir });
    expect(result.applied).toEqual(['20991231000000_later_view']);
    const biPool = quietPool(urlAs(bi));
    try {
      await expect(biPool.query('SELECT answer FROM reporting.later_view')).resolves.toMatchObject({ rows: [{ answer: 42 }] });
    } finally {
      await biPool.end();
    }
  });

  it('security #10: the clear-text password never leaves punchcard, and the stored SCRAM secret accepts exactly it', async () => {
    expect(proxySent.length).toBeGreaterThan(0);
    expect(proxySent.includes(Buffer.from(password))).toBe(false);
    expect(proxySent.includes(Buffer.from('SCRAM-SHA-256$'))).toBe(true);
    const { rows } = await admin(`SELECT rolpassword FROM pg_authid WHERE rolname = $1`, [bi]);
    expect(rows[0].rolpassword).toMatch(/^SCRAM-SHA-256\$4096:/);
    await expect(scramLogin(rows[0].rolpassword, password)).resolves.toBe(true);
    await expect(scramLogin(rows[0].rolpassword, `${password}x`)).resolves.toBe(false);
  });

  it('security #16: the BI role creates no temporary or public-schema objects, and CONNECT on the warehouse is explicit, not PUBLIC', async () => {
    const biPool = quietPool(urlAs(bi));
    try {
      await expect(biPool.query('CREATE TEMP TABLE scratch (x int)')).rejects.toThrow(/permission denied/);
      await expect(biPool.query('CREATE TABLE public.scratch (x int)')).rejects.toThrow(/permission denied/);
    } finally {
      await biPool.end();
    }
    const { rows } = await admin(
      `SELECT coalesce(a.grantee::regrole::text, 'PUBLIC') AS grantee, a.privilege_type AS privilege
       FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = current_database() AND a.privilege_type IN ('CONNECT', 'TEMPORARY')
       AND (a.grantee = 0 OR a.grantee::regrole::text IN ($1, $2)) ORDER BY 1, 2`,
      [bi, owner],
    );
    const grants = rows.map((r) => `${r.grantee === '-' ? 'PUBLIC' : r.grantee}:${r.privilege}`);
    expect(grants).not.toContain('PUBLIC:CONNECT');
    expect(grants).not.toContain('PUBLIC:TEMPORARY');
    expect(grants).toEqual(expect.arrayContaining([`${bi}:CONNECT`, `${owner}:CONNECT`, `${owner}:TEMPORARY`]));
    // The owner still stages its loads in temporary tables.
    await expect(ownerPool.query('CREATE TEMP TABLE staging_probe (x int)')).resolves.toBeDefined();
  });

  it('security #4: grant-bi on an unmigrated database says so in one line and migrates nothing', async () => {
    const empty = await createTestDatabase({ empty: true });
    try {
      const result = await runCli(['grant-bi', '--role', `pc_bi3_${suffix}`], cliEnv({ DATABASE_URL: empty.url }));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(/^punchcard: .*run `punchcard migrate` first\n$/);
      const { rows } = await empty.pool.query(`SELECT count(*)::int AS n FROM pg_namespace WHERE nspname IN ('punchcard', 'reporting')`);
      expect(rows[0].n).toBe(0);
    } finally {
      extraRoles.push(`pc_bi3_${suffix}`);
      await empty.drop();
    }
  });

  it('security #4: grant-bi run by the owner, which lacks CREATEROLE, ends in one clear line (exit 2) and creates nothing', async () => {
    const other = `pc_bi2_${suffix}`;
    extraRoles.push(other);
    const result = await runCli(['grant-bi', '--role', other], cliEnv({ DATABASE_URL: urlAs(owner) }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^punchcard: .*lacks CREATEROLE.*\n$/);
    expect(result.stderr.split('\n')).toHaveLength(2);
    const { rows } = await admin(`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = $1`, [other]);
    expect(rows[0].n).toBe(0);
  });

  it('security #9: the owner with CREATEROLE creates the BI role and may update it later (PostgreSQL 16+ makes it an ADMIN member of it)', async () => {
    const own = `pc_bi4_${suffix}`;
    extraRoles.push(own);
    await admin(`ALTER ROLE ${quote(owner)} CREATEROLE`);
    try {
      const env = cliEnv({ DATABASE_URL: urlAs(owner), BI_PASSWORD: password });
      const first = await runCli(['grant-bi', '--role', own, '--password-env', 'BI_PASSWORD'], env);
      expect([first.code, first.stderr]).toEqual([0, '']);
      const again = await runCli(['grant-bi', '--role', own, '--password-env', 'BI_PASSWORD'], env);
      expect([again.code, again.stderr]).toEqual([0, '']);
      expect(again.stdout).toContain(`updated role ${own}`);
    } finally {
      await admin(`ALTER ROLE ${quote(owner)} NOCREATEROLE`);
    }
  });
});

describe('grant-bi on a server that checks passwords', () => {
  it('security #10: the BI role logs in over scram-sha-256 with exactly the password given, a non-ASCII one too', { timeout: 120_000 }, async () => {
    // The shared test server trusts 127.0.0.1; the embedded one authenticates with scram-sha-256.
    const server = await startEmbeddedServer({ fsync: 'off' }, 'password check');
    const warehouse = quietPool(server.url, 2);
    try {
      await migrate(warehouse);
      const login = async (user: string, secret: string) => {
        const url = new URL(server.url);
        url.username = user;
        url.password = encodeURIComponent(secret);
        const client = new pg.Client({ connectionString: url.href });
        client.on('error', () => undefined);
        try {
          await client.connect();
          return (await client.query<{ who: string }>('SELECT current_user AS who')).rows[0]!.who;
        } catch (error) {
          return (error as { code?: string }).code;
        } finally {
          await client.end().catch(() => undefined);
        }
      };
      for (const [role, secret] of [['pc_bi_ascii', password], ['pc_bi_unicode', 'Pässwörd\u00a0ﬁ-' + suffix]] as const) {
        const result = await runCli(['grant-bi', '--role', role, '--password-env', 'BI_PASSWORD'], cliEnv({ DATABASE_URL: server.url, BI_PASSWORD: secret }));
        expect([result.code, result.stderr]).toEqual([0, '']);
        expect(await login(role, secret)).toBe(role);
        expect(await login(role, `${secret}x`)).toBe('28P01');
      }
    } finally {
      await warehouse.end();
      await server.stop();
    }
  });
});

describe('grant-bi refuses roles that are not read-only', () => {
  const cases: Array<[string, () => Promise<string>]> = [
    ['a superuser', async () => role(`pc_su_${suffix}`, 'SUPERUSER LOGIN')],
    ['a member of the owner', async () => role(`pc_member_${suffix}`, `LOGIN IN ROLE ${quote(owner)}`)],
    ['the owner itself', async () => owner],
    ['a role the owner is a member of', async () => {
      const group = await role(`pc_group_${suffix}`, 'NOLOGIN');
      await admin(`GRANT ${quote(group)} TO ${quote(owner)}`);
      return group;
    }],
    ['a predefined pg_* role', async () => 'pg_read_all_data'],
    ['a member of a predefined role', async () => role(`pc_reader_${suffix}`, 'LOGIN IN ROLE pg_read_all_data')],
  ];

  async function role(name: string, options: string): Promise<string> {
    extraRoles.push(name);
    await admin(`CREATE ROLE ${quote(name)} ${options} PASSWORD 'before'`);
    return name;
  }

  for (const [what, make] of cases) {
    it(`security #9: ${what} is refused with one line, exit 2, password and grants untouched`, async () => {
      const name = await make();
      const state = () =>
        admin(
          `SELECT (SELECT rolpassword FROM pg_authid WHERE rolname = $1) AS password,
                  (SELECT nspacl::text FROM pg_namespace WHERE nspname = 'reporting') AS reporting_acl,
                  (SELECT datacl::text FROM pg_database WHERE datname = current_database()) AS database_acl,
                  (SELECT count(*)::int FROM pg_default_acl) AS default_acls`,
          [name],
        ).then((r) => r.rows[0]);
      const before = await state();
      const result = await runCli(['grant-bi', '--role', name, '--password-env', 'BI_PASSWORD'], cliEnv({ DATABASE_URL: db.url, BI_PASSWORD: 'after-' + suffix }));
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(new RegExp(`^punchcard: refusing --role ${name}: .*\\n$`));
      expect(result.stdout).toBe('');
      expect(await state()).toEqual(before);
    });
  }
});
