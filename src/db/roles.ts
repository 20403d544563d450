/**
 * The read-only role for BI tools: USAGE on schema `reporting` and SELECT on its views (present
 * and future), nothing in the internal schema, no temporary objects, CONNECT to the warehouse
 * only where the caller may decide that. Views run with their owner's rights, so the role reads
 * reporting data without any grant on the tables behind it.
 *
 * Every statement is built by PostgreSQL's own format() (%I, %L) from bound parameters: DDL
 * cannot take bind parameters, and no value is spliced into SQL text here. The password never
 * reaches the server: it is sent as a SCRAM-SHA-256 secret computed here (as psql's \password
 * does), so a server logging every statement logs only the secret.
 */
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import saslprep from '@mongodb-js/saslprep';
import type { Pool, PoolClient } from 'pg';
import { UsageError } from '../errors.ts';
import { inTransaction } from './client.ts';

export interface BiRoleOptions {
  role: string;
  /** Sets (or changes) the login password; undefined keeps the current one. */
  password?: string;
}

export interface BiRoleResult {
  created: boolean;
  /** Roles whose future views in `reporting` the BI role may read (default privileges). */
  owners: string[];
  /** What the caller could not do itself and an administrator should (one line each). */
  notes: string[];
}

/** PostgreSQL's default iteration count for SCRAM-SHA-256 (scram_iterations, PG16+). */
const SCRAM_ITERATIONS = 4096;

/**
 * A SCRAM-SHA-256 secret as stored in pg_authid (RFC 5803 / RFC 7677), computed the way libpq's
 * PQencryptPasswordConn does: SASLprep the password, or use it as given when SASLprep refuses it.
 */
export function scramSecret(password: string, salt: Buffer = randomBytes(16), iterations = SCRAM_ITERATIONS): string {
  let prepared: string;
  try {
    prepared = saslprep(password, { allowUnassigned: true });
  } catch {
    prepared = password;
  }
  const salted = pbkdf2Sync(Buffer.from(prepared, 'utf8'), salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}

interface Facts {
  caller: string;
  callerSuper: boolean;
  callerCreateRole: boolean;
  callerOwnsDatabase: boolean;
  callerOwnsPublicSchema: boolean;
  database: string;
  owners: string[];
  publicMayCreateInPublicSchema: boolean;
}

interface Target {
  exists: boolean;
  superuser: boolean;
  privileged: string[];
  memberOfOwner: string | null;
  ownerMemberOf: string | null;
  predefinedMembership: string | null;
  ownsObjects: boolean;
}

async function readFacts(client: PoolClient): Promise<Facts> {
  const { rows } = await client.query<Facts>(
    `SELECT current_user::text AS caller,
            r.rolsuper AS "callerSuper", r.rolcreaterole AS "callerCreateRole",
            pg_has_role(current_user, d.datdba, 'MEMBER') AS "callerOwnsDatabase",
            coalesce((SELECT pg_has_role(current_user, nspowner, 'MEMBER') FROM pg_namespace WHERE nspname = 'public'), false) AS "callerOwnsPublicSchema",
            current_database()::text AS database,
            ARRAY(SELECT DISTINCT pg_get_userbyid(owner)::text FROM (
                    SELECT nspowner AS owner FROM pg_namespace WHERE nspname IN ('reporting', 'punchcard')
                    UNION SELECT c.relowner FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'reporting'
                  ) o ORDER BY 1) AS owners,
            EXISTS (SELECT 1 FROM pg_namespace n, aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
                    WHERE n.nspname = 'public' AND a.grantee = 0 AND a.privilege_type = 'CREATE') AS "publicMayCreateInPublicSchema"
     FROM pg_roles r, pg_database d
     WHERE r.rolname = current_user AND d.datname = current_database()`,
  );
  return rows[0]!;
}

async function readTarget(client: PoolClient, role: string, owners: string[]): Promise<Target> {
  const { rows } = await client.query<Target>(
    `SELECT true AS exists, r.rolsuper AS superuser,
            array_remove(ARRAY[CASE WHEN r.rolcreaterole THEN 'CREATEROLE' END, CASE WHEN r.rolcreatedb THEN 'CREATEDB' END,
                               CASE WHEN r.rolreplication THEN 'REPLICATION' END, CASE WHEN r.rolbypassrls THEN 'BYPASSRLS' END], NULL) AS privileged,
            (SELECT o FROM unnest($2::text[]) o WHERE pg_has_role(r.oid, o, 'MEMBER') LIMIT 1) AS "memberOfOwner",
            -- USAGE (inherits its privileges), not MEMBER: on PostgreSQL 16+ a CREATEROLE owner that
            -- created the BI role holds ADMIN on it without INHERIT or SET, and may re-run grant-bi.
            (SELECT o FROM unnest($2::text[]) o WHERE pg_has_role(o, r.oid, 'USAGE') LIMIT 1) AS "ownerMemberOf",
            (SELECT p.rolname::text FROM pg_roles p WHERE p.rolname LIKE 'pg\\_%' AND p.oid <> r.oid AND pg_has_role(r.oid, p.oid, 'MEMBER') ORDER BY 1 LIMIT 1) AS "predefinedMembership",
            EXISTS (SELECT 1 FROM pg_class WHERE relowner = r.oid) OR EXISTS (SELECT 1 FROM pg_namespace WHERE nspowner = r.oid)
              OR EXISTS (SELECT 1 FROM pg_proc WHERE proowner = r.oid) AS "ownsObjects"
     FROM pg_roles r WHERE r.rolname = $1`,
    [role, owners],
  );
  return rows[0] ?? { exists: false, superuser: false, privileged: [], memberOfOwner: null, ownerMemberOf: null, predefinedMembership: null, ownsObjects: false };
}

/** Why `role` must not become the read-only BI role, or undefined when it may. */
function refusal(role: string, facts: Facts, target: Target): string | undefined {
  const refuse = (why: string) => `refusing --role ${role}: ${why}; a BI role must be read-only (choose another name; nothing was changed)`;
  if (/^pg_/i.test(role)) return refuse('names starting with pg_ are PostgreSQL\'s predefined roles');
  if (!target.exists) return undefined;
  if (role === facts.caller) return refuse('it is the role running this command');
  if (target.superuser) return refuse('it is a superuser and reads everything');
  if (facts.owners.includes(role)) return refuse('it owns the warehouse schemas');
  if (target.memberOfOwner) return refuse(`it is a member of ${target.memberOfOwner}, the owner of the warehouse, and reads everything it owns`);
  if (target.ownerMemberOf) return refuse(`${target.ownerMemberOf}, the owner of the warehouse, is a member of it and inherits its rights`);
  if (target.predefinedMembership) return refuse(`it is a member of the predefined role ${target.predefinedMembership}`);
  if (target.privileged.length > 0) return refuse(`it has ${target.privileged.join(', ')}`);
  if (target.ownsObjects) return refuse('it owns objects in this database');
  return undefined;
}

export async function grantBiRole(pool: Pool, options: BiRoleOptions): Promise<BiRoleResult> {
  const { role } = options;
  return inTransaction(pool, async (client) => {
    const facts = await readFacts(client);
    const target = await readTarget(client, role, facts.owners);
    const refused = refusal(role, facts, target);
    if (refused) throw new UsageError(refused);
    const changesRole = !target.exists || options.password !== undefined;
    if (changesRole && !facts.callerSuper && !facts.callerCreateRole) {
      throw new UsageError(
        `${facts.caller} may not ${target.exists ? 'change the password of' : 'create'} role ${role} (it lacks CREATEROLE): ` +
          `run grant-bi as a role with CREATEROLE, or have an administrator run \`CREATE ROLE ${role} LOGIN\` first and omit --password-env; nothing was changed`,
      );
    }

    const notes: string[] = [];
    const statements: Array<[string, unknown[]]> = [];
    if (!target.exists) statements.push([`SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT', $1::text)`, [role]]);
    if (options.password !== undefined) statements.push([`SELECT format('ALTER ROLE %I PASSWORD %L', $1::text, $2::text)`, [role, scramSecret(options.password)]]);
    statements.push(
      [`SELECT format('REVOKE ALL ON SCHEMA punchcard FROM %I', $1::text)`, [role]],
      [`SELECT format('REVOKE ALL ON ALL TABLES IN SCHEMA punchcard FROM %I', $1::text)`, [role]],
      [`SELECT format('GRANT USAGE ON SCHEMA reporting TO %I', $1::text)`, [role]],
      [`SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO %I', $1::text)`, [role]],
    );
    // Default privileges apply to objects created by the role named in FOR ROLE: the owner that
    // later migrations create views as, not whoever runs grant-bi.
    for (const owner of facts.owners) {
      statements.push([`SELECT format('ALTER DEFAULT PRIVILEGES FOR ROLE %I IN SCHEMA reporting GRANT SELECT ON TABLES TO %I', $1::text, $2::text)`, [owner, role]]);
    }
    // PUBLIC holds CONNECT and TEMPORARY on every database by default; only the database's owner
    // (or a superuser) may take them back. The owners keep both explicitly: the loader stages in
    // temporary tables.
    if (facts.callerSuper || facts.callerOwnsDatabase) {
      statements.push([`SELECT format('REVOKE CONNECT, TEMPORARY ON DATABASE %I FROM PUBLIC', $1::text)`, [facts.database]]);
      statements.push([`SELECT format('GRANT CONNECT ON DATABASE %I TO %I', $1::text, $2::text)`, [facts.database, role]]);
      for (const owner of facts.owners) statements.push([`SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', $1::text, $2::text)`, [facts.database, owner]]);
    } else {
      notes.push(
        `${facts.caller} does not own database ${facts.database}: its owner should run REVOKE CONNECT, TEMPORARY ON DATABASE ${facts.database} FROM PUBLIC; ` +
          `GRANT CONNECT ON DATABASE ${facts.database} TO ${[role, ...facts.owners].join(', ')}; GRANT TEMPORARY ON DATABASE ${facts.database} TO ${facts.owners.join(', ')}`,
      );
      statements.push([`SELECT format('GRANT CONNECT ON DATABASE %I TO %I', $1::text, $2::text)`, [facts.database, role]]);
    }
    // PostgreSQL 14 and older let PUBLIC create in schema public; 15+ no longer do.
    if (facts.publicMayCreateInPublicSchema) {
      // The owners keep CREATE there: the migration ledger (public._prisma_migrations) lives in it.
      if (facts.callerSuper || facts.callerOwnsPublicSchema) {
        statements.push([`SELECT 'REVOKE CREATE ON SCHEMA public FROM PUBLIC'`, []]);
        for (const owner of facts.owners) statements.push([`SELECT format('GRANT CREATE ON SCHEMA public TO %I', $1::text)`, [owner]]);
      } else {
        notes.push(`PUBLIC may create objects in schema public (PostgreSQL 14 and older): its owner should run REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT CREATE ON SCHEMA public TO ${facts.owners.join(', ')}`);
      }
    }

    try {
      for (const [build, values] of statements) {
        const { rows } = await client.query<{ format?: string; '?column?'?: string }>(build, values);
        await client.query(Object.values(rows[0]!)[0] as string);
      }
    } catch (error) {
      // 42501 insufficient_privilege: the caller may not do one of these; the transaction rolls back.
      if ((error as { code?: string }).code === '42501') {
        throw new UsageError(`${facts.caller} may not set up role ${role}: ${(error as Error).message} (run grant-bi as the warehouse owner with CREATEROLE, or as an administrator); nothing was changed`);
      }
      throw error;
    }

    const { rows: others } = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database
       WHERE datallowconn AND NOT datistemplate AND datname <> current_database() AND has_database_privilege($1, oid, 'CONNECT')
       ORDER BY datname`,
      [role],
    );
    if (others.length > 0) {
      const names = others.slice(0, 5).map((r) => r.datname).join(', ');
      notes.push(
        `${role} can still connect to ${others.length} other database(s) through PUBLIC (${names}${others.length > 5 ? ', …' : ''}): ` +
          `an administrator should restrict it in pg_hba.conf to this database, or REVOKE CONNECT ON DATABASE <name> FROM PUBLIC on each (see docs/bi-guide.md)`,
      );
    }
    return { created: !target.exists, owners: facts.owners, notes };
  });
}
