/**
 * One narrow interface of our own in front of the Docker Engine API (STYLE.md: do not subclass
 * the SDK), so the stack logic reads as our verbs and tests can count engine writes.
 *
 * One client per command, made by `Engine.connect`:
 * - the API version is negotiated once: `GET /_ping` answers with the daemon's newest version
 *   in its `API-Version` header, and every later path is pinned to the lower of that and ours
 *   (as the docker CLI does: https://docs.docker.com/reference/api/engine/#api-version-matrix);
 * - every call has a deadline (the docker CLI and Compose pass a context with a timeout to
 *   each call), and the command's AbortSignal (Ctrl-C) cuts it short too;
 * - every failure is one error type, EngineError, naming the call ("POST /containers/create").
 *
 * Transports: every call, whatever the transport, is one node:http(s) request over the
 * connection's agent (`Connection`), and every failure goes through one mapping (`failure`).
 * The transports differ only in how the agent opens a socket: unix socket or named pipe, tcp,
 * tcp+TLS with this client's own options (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH
 * read from the command's env, never from or into process.env), and ssh:// through the
 * system `ssh` running `docker system dial-stdio`, as the docker CLI does (ssh-dial.ts).
 */
import type { Agent, IncomingMessage } from 'node:http';
// Types only: the client speaks the Engine API itself, with no SDK at run time.
import type Dockerode from 'dockerode';
import { ExitCode, UserError } from '../errors.js';

/** The API version this client was written against (Docker 24); the daemon may pin us lower. */
export const API_VERSION = '1.43';
/** The oldest we accept: healthcheck start_period needs 1.29 (Docker 17.05). */
export const MIN_API_VERSION = '1.29';

/** Deadlines, in ms. A read answers in milliseconds on a healthy engine; 30 s means it is stuck. */
export const DEADLINE = {
  ping: 5_000,
  read: 30_000,
  write: 60_000,
  /** A build or pull with no progress for this long is stuck (a whole build may take longer). */
  streamIdle: 120_000,
} as const;

export interface ContainerState {
  id: string;
  name: string;
  labels: Record<string, string>;
  status: string;
  running: boolean;
  exitCode: number;
  health: 'healthy' | 'unhealthy' | 'starting' | 'none';
  /** Docker's consecutive failed healthchecks; with 'starting' and 0, none has run yet. */
  failingStreak: number;
  /** When the container last started: a restart changes it. */
  startedAt: string;
  /** The image reference the container was created from, and the id it resolved to. */
  image: string;
  imageId: string;
  ports: { hostIp: string; hostPort: number; containerPort: number }[];
  /** The networks it is attached to. */
  networks: { id: string; name: string }[];
}

/** A container as the engine's list gives it, without an inspect each: enough for stop and down. */
export interface ContainerSummary {
  id: string;
  name: string;
  labels: Record<string, string>;
  running: boolean;
  /** The networks it is attached to. */
  networks: { id: string; name: string }[];
}

export interface EngineTarget {
  /** What DOCKER_HOST says, or the default socket. */
  host: string;
  /** The engine runs on another machine: its containers' interfaces are not this machine's. */
  remote: boolean;
  /**
   * Where the stack's ports are published and the hosts entries point: 127.0.0.1 for a local
   * engine, else the address DOCKER_HOST names (an IP address once `resolveTarget` has run).
   */
  address: string;
}

/** Where a local engine publishes: the address every browser here reaches as "localhost". */
export const LOOPBACK_ADDRESS = '127.0.0.1';
/** A healthcheck as the engine runs it: the test, and how long one run may take. */
export interface Probe {
  test: readonly string[];
  timeoutNs: number;
}

/** What DOCKER_HOST says, else the engine's default socket (as the docker CLI and dockerode). */
function dockerHost(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

/**
 * Which engine DOCKER_HOST names, and where its published ports answer. The rule:
 * - a socket (unix://, npipe://), or tcp:// / ssh:// naming 127.0.0.1, localhost or ::1: a
 *   local engine, publishing on 127.0.0.1 only (loopback publishing answers here, as before);
 * - tcp:// or ssh:// naming another loopback address (127.0.0.2 ...): still this machine (Linux
 *   routes all of 127.0.0.0/8 to lo), but the user reaches the engine there, so the ports are
 *   published there and the hosts entries point there; not remote (its networks are ours);
 * - any other address or name: a remote engine. Its own loopback is out of reach from here, so
 *   the ports are published on the address DOCKER_HOST names, where the hosts entries point.
 * An engine reached through a tunnel on 127.0.0.1 (ssh -L) looks local and cannot be told apart.
 */
export function engineTarget(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const host = dockerHost(env);
  if (host.startsWith('unix://') || host.startsWith('npipe://')) return { host, remote: false, address: LOOPBACK_ADDRESS };
  let hostname: string;
  try {
    hostname = new URL(host.includes('//') ? host.replace(/^tcp:/, 'http:') : `http://${host}`).hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  } catch {
    return { host, remote: false, address: LOOPBACK_ADDRESS }; // transportOf refuses it, naming the fix
  }
  return classify(host, hostname);
}

function classify(host: string, hostname: string): EngineTarget {
  if (['localhost', '127.0.0.1', '::1'].includes(hostname)) return { host, remote: false, address: LOOPBACK_ADDRESS };
  return { host, remote: !/^127\.\d+\.\d+\.\d+$/.test(hostname), address: hostname };
}

/**
 * The target with its address as an IP address: Docker publishes on an address (HostIp), and
 * a hosts entry maps a name to one. A name is resolved as this machine resolves it, where the
 * browser runs, then judged by the same rule; one that does not resolve is left as it is
 * (connecting fails, naming it).
 */
export async function resolveTarget(env: NodeJS.ProcessEnv = process.env): Promise<EngineTarget> {
  const target = engineTarget(env);
  const { isIP } = await import('node:net');
  if (isIP(target.address)) return target;
  const { lookup } = await import('node:dns/promises');
  const found = await lookup(target.address).catch(() => undefined);
  return found ? classify(target.host, found.address) : target;
}

/** The hosts entries' addresses for this target: undefined means the default, loopback (127.0.0.1 and ::1). */
export function hostsAddresses(target: EngineTarget): string[] | undefined {
  return target.address === LOOPBACK_ADDRESS ? undefined : [target.address];
}

/** The local socket when DOCKER_HOST names one (or is unset); undefined for tcp, ssh and npipe. */
export function localSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = dockerHost(env);
  return host.startsWith('unix://') ? host.slice('unix://'.length) || '/var/run/docker.sock' : undefined;
}

/**
 * How to reach the engine, from the command's environment alone. TLS follows the docker CLI
 * and docker-modem (lib/modem.js, defaultOpts): DOCKER_TLS_VERIFY=1 or port 2376 means https,
 * with ca.pem, cert.pem and key.pem from DOCKER_CERT_PATH (default ~/.docker); the server's
 * certificate is verified against ca.pem only when DOCKER_TLS_VERIFY is set.
 */
export type Transport =
  | { kind: 'unix'; socketPath: string }
  | { kind: 'npipe'; socketPath: string }
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'tls'; host: string; port: number; certPath: string; verify: boolean }
  | { kind: 'ssh'; host: string; port: number; username: string | undefined };

export function transportOf(env: NodeJS.ProcessEnv): Transport {
  const host = dockerHost(env);
  if (host.startsWith('unix://')) return { kind: 'unix', socketPath: localSocket(env)! };
  if (host.startsWith('npipe://')) return { kind: 'npipe', socketPath: host.slice('npipe://'.length) || '//./pipe/docker_engine' };
  let url: URL;
  try {
    url = new URL(host.includes('//') ? host : `tcp://${host}`);
  } catch {
    throw new UserError(`DOCKER_HOST="${host}" is not an engine address.`, { exitCode: ExitCode.engineUnreachable, fix: 'Use unix:///var/run/docker.sock, tcp://HOST:2376 or ssh://USER@HOST.' });
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (url.protocol === 'ssh:') return { kind: 'ssh', host: hostname, port: Number(url.port || 22), username: url.username || undefined };
  const port = Number(url.port || 2375);
  const verify = Boolean(env.DOCKER_TLS_VERIFY);
  if (verify || port === 2376 || env.DOCKER_TLS) {
    const certPath = env.DOCKER_CERT_PATH || `${env.HOME ?? ''}/.docker`;
    return { kind: 'tls', host: hostname, port, certPath, verify };
  }
  return { kind: 'tcp', host: hostname, port };
}

/**
 * Every engine failure: the call it was ("POST /containers/create"), the HTTP status when the
 * engine answered, and the engine's own message. Not answering (no engine, a deadline passed)
 * is exit 7; an answer refusing the call is exit 10, like a failed external command.
 */
export class EngineError extends UserError {
  constructor(
    readonly call: string,
    readonly statusCode: number | undefined,
    detail: string,
    options: { fix?: string; cause?: unknown } = {},
  ) {
    super(`Docker engine: ${call} ${detail}`, {
      exitCode: statusCode === undefined ? ExitCode.engineUnreachable : ExitCode.commandFailed,
      ...(options.fix === undefined ? {} : { fix: options.fix }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'EngineError';
  }
}

/** The command was interrupted (Ctrl-C): what callers see instead of an aborted call. */
export function interrupted(): UserError {
  return new UserError('Interrupted.', { exitCode: ExitCode.interrupted });
}

type Query = Record<string, unknown>;
interface CallOptions {
  query?: Query;
  body?: object;
  /** ms; the kind of call picks the default. */
  deadline?: number;
}
interface SendOptions {
  query?: Query;
  /** A JSON body, or a stream sent as it is (a tar archive). */
  body?: object | NodeJS.ReadableStream;
  contentType?: string;
}

/**
 * The one interface every call goes through: node:http's or node:https's `request`, an agent
 * that opens (and keeps alive) the transport's connections, and where each request goes.
 */
interface Connection {
  request: typeof import('node:http').request;
  agent: Agent;
  target: { socketPath: string; host: string } | { host: string; port: number };
}

/** A call's signal and what its running out means: the deadline's own words for the error. */
interface Under {
  signal: AbortSignal;
  timedOut: () => boolean;
  /** What running out of time means, and the fix for it. */
  late: string;
  fix: string;
}

async function connectionFor(t: Transport, env: NodeJS.ProcessEnv): Promise<Connection> {
  if (t.kind === 'tls') {
    const [https, { readFile }, { join }] = await Promise.all([import('node:https'), import('node:fs/promises'), import('node:path')]);
    const read = (name: string) =>
      readFile(join(t.certPath, name)).catch((error: NodeJS.ErrnoException) => {
        throw new UserError(`${join(t.certPath, name)} cannot be read (${error.code ?? error.message}): TLS to the engine at ${t.host}:${t.port} needs it.`, {
          exitCode: ExitCode.engineUnreachable,
          fix: 'Set DOCKER_CERT_PATH to the folder holding ca.pem, cert.pem and key.pem.',
        });
      });
    const [ca, cert, key] = await Promise.all([read('ca.pem'), read('cert.pem'), read('key.pem')]);
    return { request: https.request, agent: new https.Agent({ keepAlive: true, ca, cert, key, rejectUnauthorized: t.verify }), target: { host: t.host, port: t.port } };
  }
  const http = await import('node:http');
  const agent = new http.Agent({ keepAlive: true });
  if (t.kind === 'unix' || t.kind === 'npipe') return { request: http.request, agent, target: { socketPath: t.socketPath, host: 'docker' } };
  if (t.kind === 'tcp') return { request: http.request, agent, target: { host: t.host, port: t.port } };
  const { sshConnection } = await import('./ssh-dial.js');
  // Each connection the agent opens is one ssh process; kept alive like a socket, for the next call.
  agent.createConnection = (() => sshConnection(t, env)) as unknown as Agent['createConnection'];
  return { request: http.request, agent, target: { host: 'docker', port: 80 } };
}

/** dockerode's util.parseRepositoryTag, as its pull used it: "nginx:1.25" is repository and tag; no tag is latest. */
export function repositoryTag(ref: string): { fromImage: string; tag: string } {
  const at = ref.indexOf('@') >= 0 ? ref.indexOf('@') : ref.lastIndexOf(':');
  const tag = at >= 0 ? ref.slice(at + 1) : '';
  return at >= 0 && !tag.includes('/') ? { fromImage: ref.slice(0, at), tag } : { fromImage: ref, tag: 'latest' };
}

/** "1.41" < "1.43" as versions, not strings. */
export function olderVersion(a: string, b: string): string {
  const [am = 0, an = 0] = a.split('.').map(Number);
  const [bm = 0, bn = 0] = b.split('.').map(Number);
  return am < bm || (am === bm && an < bn) ? a : b;
}

function encodeQuery(query: Query = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined) search.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
  }
  const qs = search.toString();
  return qs ? `?${qs}` : '';
}

/** What one connection carries, shared by an engine and its detached twin. */
class Link {
  writes = 0;
  deadline: { -readonly [K in keyof typeof DEADLINE]: number } = { ...DEADLINE };
  version = API_VERSION;
  connection: Promise<Connection> | undefined;
  /** Images inspected in this run: the image step and the plan both need them. */
  readonly images = new Map<string, Promise<{ id: string; labels: Record<string, string> } | undefined>>();
  constructor(
    readonly transport: Transport,
    readonly env: NodeJS.ProcessEnv,
  ) {}
}

export class Engine {
  readonly target: EngineTarget;

  private constructor(
    private readonly link: Link,
    /** The command's signal: Ctrl-C aborts every call in flight. */
    private readonly signal: AbortSignal | undefined,
    target: EngineTarget,
  ) {
    this.target = target;
  }

  /** Mutating calls made, for "a re-run does no engine writes". */
  get writes(): number {
    return this.link.writes;
  }

  /** The API version every call is pinned to. */
  get apiVersion(): string {
    return this.link.version;
  }

  /** The same engine, deaf to the command's signal: for cleaning up after an interruption. */
  detached(): Engine {
    return new Engine(this.link, undefined, this.target);
  }

  /** Connect (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, ssh://) and negotiate the API version. */
  static async connect(env: NodeJS.ProcessEnv = process.env, options: { signal?: AbortSignal; deadlines?: Partial<Record<keyof typeof DEADLINE, number>> } = {}): Promise<Engine> {
    const link = new Link(transportOf(env), env);
    Object.assign(link.deadline, options.deadlines);
    const engine = new Engine(link, options.signal, await resolveTarget(env));
    let daemon: string | undefined;
    try {
      daemon = await engine.ping();
    } catch (error) {
      if (error instanceof UserError && error.exitCode === ExitCode.interrupted) throw error;
      const target = engine.target;
      const why = error instanceof EngineError ? error.message.replace(/^Docker engine: GET \/_ping /, '') : ((error as NodeJS.ErrnoException).code ?? (error as Error).message);
      throw new UserError(`The Docker engine at ${target.host} cannot be reached (${why}).`, {
        exitCode: ExitCode.engineUnreachable,
        fix: target.remote
          ? `Check that the engine at ${target.host} runs and that DOCKER_HOST / DOCKER_CERT_PATH are right.`
          : 'Start it: "sudo systemctl start docker" (or "sudo dockerd &" where there is no systemd), or set DOCKER_HOST.',
        cause: error,
      });
    }
    if (daemon) {
      if (olderVersion(daemon, MIN_API_VERSION) === daemon && daemon !== MIN_API_VERSION) {
        throw new UserError(`The Docker engine at ${engine.target.host} speaks API ${daemon}; richie-dev needs ${MIN_API_VERSION} or newer (Docker 17.05).`, {
          exitCode: ExitCode.engineUnreachable,
          fix: 'Upgrade Docker.',
        });
      }
      link.version = olderVersion(daemon, API_VERSION);
    }
    return engine;
  }

  /** GET /_ping, unversioned: the daemon's newest API version, from its API-Version header. */
  private async ping(): Promise<string | undefined> {
    const under = this.callSignal(this.link.deadline.ping);
    let res: IncomingMessage;
    let body: Buffer;
    try {
      res = await this.send('GET', '/_ping', {}, under, false);
      body = await this.collect(res, 'GET /_ping');
    } catch (error) {
      throw this.failure('GET /_ping', under, error);
    }
    if ((res.statusCode ?? 0) >= 300) throw new EngineError('GET /_ping', res.statusCode, `failed (HTTP ${res.statusCode}): ${body.toString().trim()}`);
    const header = res.headers['api-version'];
    return typeof header === 'string' ? header : undefined;
  }

  // ---- the transport --------------------------------------------------------------------

  /** The signal one call runs under: the command's, and its own deadline. */
  private callSignal(deadline: number): Under {
    const timeout = AbortSignal.timeout(deadline);
    return { signal: this.signal ? AbortSignal.any([this.signal, timeout]) : timeout, timedOut: () => timeout.aborted, late: `did not answer within ${deadline / 1000} s`, fix: 'Check the engine ("docker info"); restart it if it hangs.' };
  }

  /** Why a call did not complete, as the one error type (or "Interrupted." for Ctrl-C): every call, every transport. */
  private failure(call: string, under: Under, error: unknown): UserError {
    if (error instanceof UserError) return error;
    if (under.timedOut()) return new EngineError(call, undefined, under.late, { fix: under.fix });
    if (this.signal?.aborted) return interrupted();
    const code = (error as NodeJS.ErrnoException).code;
    return new EngineError(call, undefined, `failed: ${code ?? (error as Error).message}`, { cause: error });
  }

  private connection(): Promise<Connection> {
    if (!this.link.connection) {
      this.link.connection = connectionFor(this.link.transport, this.link.env);
      // A connection that could not be made (unreadable certificates) is tried again next time.
      this.link.connection.catch(() => (this.link.connection = undefined));
    }
    return this.link.connection;
  }

  /** Send one request; resolves with the response head, body unread. The one way every call reaches the engine. */
  private async send(method: string, path: string, options: SendOptions, under: Under, versioned = true): Promise<IncomingMessage> {
    const { signal } = under;
    if (signal.aborted) throw signal.reason;
    const { request, agent, target } = await this.connection();
    const body = options.body;
    const stream = body !== undefined && typeof (body as NodeJS.ReadableStream).pipe === 'function' ? (body as NodeJS.ReadableStream) : undefined;
    const payload = body !== undefined && !stream ? JSON.stringify(body) : undefined;
    const headers: Record<string, string | number> = {};
    if (payload !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
    if (stream) headers['Content-Type'] = options.contentType ?? 'application/x-tar';
    const fullPath = `${versioned ? `/v${this.link.version}` : ''}${path}${encodeQuery(options.query)}`;
    return new Promise((resolve, reject) => {
      const req = request({ ...target, agent, path: fullPath, method, headers, signal }, (res) => {
        // The deadline covers the body too: an aborted signal destroys the response stream.
        res.on('error', () => undefined);
        resolve(res);
      });
      req.on('error', reject);
      if (stream) {
        stream.on('error', (error: Error) => req.destroy(error));
        stream.pipe(req);
      } else req.end(payload);
    });
  }

  private collect(res: IncomingMessage, call: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks)));
      res.on('error', (error) => reject(error));
      res.on('aborted', () => reject(new EngineError(call, undefined, 'was cut off')));
    });
  }

  /**
   * One call with a JSON (or raw) answer. A 404 is undefined for the caller to judge; 304
   * (already started / stopped) is a success.
   */
  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: CallOptions & { raw?: boolean } = {}): Promise<T | undefined> {
    const deadline = options.deadline ?? (method === 'GET' ? this.link.deadline.read : this.link.deadline.write);
    const call = `${method} ${path}`;
    const under = this.callSignal(deadline);
    let res: IncomingMessage;
    let body: Buffer;
    try {
      res = await this.send(method, path, options, under);
      body = await this.collect(res, call);
    } catch (error) {
      throw this.failure(call, under, error);
    }
    const status = res.statusCode ?? 0;
    if (status === 404) return undefined;
    if (options.raw && status < 300) return body as T;
    const text = body.toString();
    if (status >= 300 && status !== 304) throw new EngineError(call, status, `failed (HTTP ${status}): ${engineMessage(text)}`);
    if (!text) return '' as T; // 204 and 304 come with no body
    if (!res.headers['content-type']?.includes('json')) return text as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EngineError(call, status, `answered with malformed JSON: ${text.slice(0, 200)}`);
    }
  }

  /**
   * A call answered with a JSON-lines stream (build, pull, load): each line is progress, and
   * a failure after the headers is a line with "error" (moby pkg/streamformatter). Its
   * deadline is on silence, not length (a cold build may take minutes while reporting
   * progress); Ctrl-C aborts it.
   */
  private async progress(call: string, path: string, options: SendOptions): Promise<void> {
    const idleMs = this.link.deadline.streamIdle;
    const silence = new AbortController();
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      clearTimeout(idle);
      idle = setTimeout(() => silence.abort(), idleMs);
    };
    const signal = this.signal ? AbortSignal.any([this.signal, silence.signal]) : silence.signal;
    const under: Under = { signal, timedOut: () => silence.signal.aborted, late: `made no progress for ${idleMs / 1000} s`, fix: 'Check the engine ("docker info") and its network.' };
    let failed: string | undefined;
    let status: number;
    let text = '';
    try {
      arm();
      const res = await this.send('POST', path, options, under);
      status = res.statusCode ?? 0;
      const lines = lineSplitter((line) => {
        if (status >= 300) return void (text += `${line}\n`);
        let message: { error?: string; errorDetail?: { message?: string } } = {};
        try {
          message = JSON.parse(line) as typeof message;
        } catch {
          return;
        }
        if (message.error || message.errorDetail) failed ??= message.error ?? message.errorDetail?.message;
      });
      await new Promise<void>((resolve, reject) => {
        res.on('data', (chunk: Buffer) => (arm(), lines(chunk)));
        res.on('end', () => (lines('\n'), resolve()));
        res.on('error', reject);
        res.on('aborted', () => reject(new EngineError(call, undefined, 'was cut off')));
        signal.addEventListener('abort', () => reject(signal.reason), { once: true });
      });
    } catch (error) {
      throw this.failure(call, under, error);
    } finally {
      clearTimeout(idle);
    }
    if (status >= 300) throw new EngineError(call, status, `failed (HTTP ${status}): ${engineMessage(text)}`);
    if (failed !== undefined) throw new EngineError(call, 200, `failed: ${failed}`);
  }

  private get<T>(path: string, query: Query = {}): Promise<T | undefined> {
    return this.call<T>('GET', path, { query });
  }

  /** A write: counted, and a 404 is an error (the thing to change is gone). */
  private async write<T>(method: 'POST' | 'DELETE', path: string, options: CallOptions = {}): Promise<T> {
    this.link.writes++;
    const result = await this.call<T>(method, path, options);
    if (result === undefined) throw new EngineError(`${method} ${path}`, 404, 'failed (HTTP 404): not found');
    return result;
  }

  // ---- images ---------------------------------------------------------------------------

  /** An image's id and labels, or undefined when the engine does not have it. */
  image(ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    let found = this.link.images.get(ref);
    if (!found) {
      found = this.get<Dockerode.ImageInspectInfo>(`/images/${encodeURIComponent(ref)}/json`).then((info) => (info ? { id: info.Id, labels: info.Config?.Labels ?? {} } : undefined));
      found.catch(() => this.link.images.delete(ref));
      this.link.images.set(ref, found);
    }
    return found;
  }

  /** The same, asked of the engine now (no cached answer): what a removal checks first. */
  imageNow(ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    this.link.images.delete(ref);
    return this.image(ref);
  }

  /**
   * POST /build of a folder, sent as a tar of its files less those its .dockerignore names (as
   * dockerode's buildImage made it: tar-fs, @balena/dockerignore; patterns match paths
   * relative to the folder, as Docker reads them).
   */
  async build(contextDir: string, tag: string, labels: Record<string, string>, options: { dockerfile?: string; buildargs?: Record<string, string> } = {}): Promise<void> {
    const [{ readFile, readdir }, { relative }, tar, { createRequire }] = await Promise.all([import('node:fs/promises'), import('node:path'), import('tar-fs'), import('node:module')]);
    // CommonJS whose types declare an ES default export: required, it is the function itself.
    const dockerignore = createRequire(import.meta.url)('@balena/dockerignore') as typeof import('@balena/dockerignore').default;
    const rules = await readFile(`${contextDir}/.dockerignore`, 'utf8').catch(() => undefined);
    const keep = rules === undefined ? undefined : dockerignore({ ignorecase: false }).add(rules).createFilter();
    const entries = (await readdir(contextDir)).filter((name) => keep?.(name) ?? true);
    const archive = tar.pack(contextDir, { entries, ...(keep ? { ignore: (path: string) => !keep(relative(contextDir, path)) } : {}) });
    await this.buildArchive(archive, tag, labels, options);
  }

  /** POST /build of a tar stream holding the Dockerfile and its context. */
  async buildArchive(archive: NodeJS.ReadableStream, tag: string, labels: Record<string, string>, options: { dockerfile?: string; buildargs?: Record<string, string> } = {}): Promise<void> {
    this.link.writes++;
    this.link.images.delete(tag);
    await this.progress(`POST /build (${tag})`, '/build', { query: { t: tag, labels, rm: true, forcerm: true, ...options }, body: archive });
  }

  async pull(ref: string): Promise<void> {
    this.link.writes++;
    this.link.images.delete(ref);
    await this.progress(`POST /images/create (${ref})`, '/images/create', { query: repositoryTag(ref) });
  }

  /** Remove an image (a built-in one a rebuild replaced). Gone already is fine. */
  async removeImage(ref: string): Promise<void> {
    this.link.writes++;
    this.link.images.delete(ref);
    await this.call('DELETE', `/images/${encodeURIComponent(ref)}`, { query: { noprune: false } });
  }

  // ---- containers -----------------------------------------------------------------------

  async containers(labels: Record<string, string>): Promise<ContainerState[]> {
    const list = (await this.get<Dockerode.ContainerInfo[]>('/containers/json', { all: true, filters: labelFilter(labels) })) ?? [];
    // A container removed between the list and its inspect is simply gone.
    return (await Promise.all(list.map((c) => this.container(c.Id).catch((error) => (error instanceof EngineError && error.statusCode === 404 ? undefined : Promise.reject(error)))))).filter((c) => c !== undefined);
  }

  async container(id: string): Promise<ContainerState> {
    const info = await this.get<Dockerode.ContainerInspectInfo>(`/containers/${encodeURIComponent(id)}/json`);
    if (!info) throw new EngineError(`GET /containers/${id}/json`, 404, `failed (HTTP 404): No such container: ${id}`);
    const ports: ContainerState['ports'] = [];
    for (const [key, bindings] of Object.entries(info.HostConfig.PortBindings ?? {})) {
      for (const binding of (bindings as { HostIp: string; HostPort: string }[] | null) ?? []) {
        ports.push({ hostIp: binding.HostIp || '0.0.0.0', hostPort: Number(binding.HostPort), containerPort: Number(key.split('/')[0]) });
      }
    }
    return {
      id: info.Id,
      name: info.Name.replace(/^\//, ''),
      labels: info.Config.Labels ?? {},
      status: info.State.Status,
      running: info.State.Running,
      exitCode: info.State.ExitCode,
      health: (info.State.Health?.Status as ContainerState['health'] | undefined) ?? 'none',
      failingStreak: info.State.Health?.FailingStreak ?? 0,
      startedAt: info.State.StartedAt,
      image: info.Config.Image,
      imageId: info.Image,
      ports,
      networks: attachedNetworks(info.NetworkSettings?.Networks),
    };
  }

  async create(options: Dockerode.ContainerCreateOptions): Promise<string> {
    const { name, ...body } = options;
    return (await this.write<{ Id: string }>('POST', '/containers/create', { query: { name }, body })).Id;
  }

  async start(id: string): Promise<void> {
    await this.write('POST', `/containers/${encodeURIComponent(id)}/start`);
  }

  /**
   * The stop signal (SIGTERM unless the image says otherwise), SIGKILL after the grace period:
   * the one given, else the one the container was created with. Already stopped is fine. The
   * engine answers only once the container has stopped: the deadline allows for the grace.
   */
  async stop(id: string, timeoutS?: number): Promise<void> {
    await this.write('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t: timeoutS }, deadline: this.link.deadline.write + (timeoutS ?? 30) * 1000 });
  }

  async remove(id: string): Promise<void> {
    await this.write('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: false } });
  }

  // ---- networks and volumes -------------------------------------------------------------

  async networks(labels: Record<string, string>): Promise<{ id: string; name: string; labels: Record<string, string> }[]> {
    const list = (await this.get<Dockerode.NetworkInspectInfo[]>('/networks', { filters: labelFilter(labels) })) ?? [];
    return list.map((n) => ({ id: n.Id, name: n.Name, labels: n.Labels ?? {} }));
  }

  async networkByName(name: string): Promise<{ id: string; labels: Record<string, string>; driver: string; options: Record<string, string> } | undefined> {
    const list = (await this.get<Dockerode.NetworkInspectInfo[]>('/networks', { filters: { name: [name] } })) ?? [];
    const found = list.find((n) => n.Name === name);
    return found ? { id: found.Id, labels: found.Labels ?? {}, driver: found.Driver, options: found.Options ?? {} } : undefined;
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    return (await this.write<{ Id: string }>('POST', '/networks/create', { body: { Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true } })).Id;
  }

  async connect(networkId: string, containerId: string, aliases: string[]): Promise<void> {
    await this.write('POST', `/networks/${encodeURIComponent(networkId)}/connect`, { body: { Container: containerId, EndpointConfig: { Aliases: aliases } } });
  }

  /** Take a container off a network; `force` also for a container that is stopping or stopped. */
  async disconnect(networkId: string, containerId: string): Promise<void> {
    await this.write('POST', `/networks/${encodeURIComponent(networkId)}/disconnect`, { body: { Container: containerId, Force: true } });
  }

  async removeNetwork(id: string): Promise<void> {
    await this.write('DELETE', `/networks/${encodeURIComponent(id)}`);
  }

  /**
   * Remove a network unless a container is still on it (the engine answers 403, "has active
   * endpoints": another project's, on a shared network) or it is already gone (404).
   * Whether it was removed.
   */
  async removeNetworkIfUnused(id: string): Promise<boolean> {
    try {
      await this.removeNetwork(id);
      return true;
    } catch (error) {
      if (error instanceof EngineError && (error.statusCode === 403 || error.statusCode === 404)) return false;
      throw error;
    }
  }

  async volumeExists(name: string): Promise<boolean> {
    return (await this.get(`/volumes/${encodeURIComponent(name)}`)) !== undefined;
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.write('POST', '/volumes/create', { body: { Name: name, Labels: labels } });
  }

  async volumeList(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    const result = await this.get<{ Volumes: { Name: string; Labels: Record<string, string> | null }[] | null }>('/volumes', { filters: labelFilter(labels) });
    return (result?.Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }

  /** Containers from the list alone (no inspect each): whose they are, whether they run, their networks. */
  async containerList(labels: Record<string, string>): Promise<ContainerSummary[]> {
    const list = (await this.get<Dockerode.ContainerInfo[]>('/containers/json', { all: true, filters: labelFilter(labels) })) ?? [];
    return list.map((c) => ({
      id: c.Id,
      name: (c.Names?.[0] ?? c.Id).replace(/^\//, ''),
      labels: c.Labels ?? {},
      running: c.State === 'running',
      networks: attachedNetworks(c.NetworkSettings?.Networks),
    }));
  }

  async removeVolume(name: string): Promise<void> {
    await this.write('DELETE', `/volumes/${encodeURIComponent(name)}`);
  }

  // ---- exec and logs --------------------------------------------------------------------

  /**
   * Run a command in a running container; its exit code and output (doctor's `nginx -t`, the
   * health probes). The deadline covers the whole run: a command that hangs past it fails.
   */
  async exec(id: string, cmd: readonly string[], deadline: number = this.link.deadline.write): Promise<{ exitCode: number; output: string }> {
    const created = await this.call<{ Id: string }>('POST', `/containers/${encodeURIComponent(id)}/exec`, { body: { Cmd: cmd, AttachStdout: true, AttachStderr: true } });
    if (!created) throw new EngineError(`POST /containers/${id}/exec`, 404, `failed (HTTP 404): No such container: ${id}`);
    // Without an Upgrade header the engine answers the start with the raw output stream and
    // closes it when the command ends (Engine API, "Start an exec instance").
    const output = await this.call<Buffer>('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false }, raw: true, deadline });
    const info = await this.get<{ ExitCode: number | null }>(`/exec/${created.Id}/json`);
    return { exitCode: info?.ExitCode ?? -1, output: demux(Buffer.isBuffer(output) ? output : Buffer.from(String(output ?? ''))) };
  }

  /**
   * Run a healthcheck test now, as the engine would (Docker runs its first check only a whole
   * interval after the start): ["CMD", ...] directly, ["CMD-SHELL", "..."] through /bin/sh -c.
   * A run longer than the healthcheck's timeout fails, as the engine counts it
   * (moby daemon/health.go: "Health check exceeded timeout"). ["NONE"] never passes: callers
   * do not probe a disabled healthcheck.
   */
  async passesHealthcheck(id: string, probe: Probe): Promise<boolean> {
    const [kind, ...rest] = probe.test;
    const cmd = kind === 'CMD' ? rest : kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : undefined;
    if (!cmd?.length) return false;
    const timeoutMs = Math.max(1, Math.round(probe.timeoutNs / 1e6)) || 30_000;
    try {
      return (await this.exec(id, cmd, timeoutMs)).exitCode === 0;
    } catch (error) {
      if (error instanceof UserError && error.exitCode === ExitCode.interrupted) throw error;
      return false;
    }
  }

  /** The last lines of a container's output, stdout and stderr interleaved. */
  async logs(id: string, tail: number): Promise<string> {
    const raw = await this.call<Buffer>('GET', `/containers/${encodeURIComponent(id)}/logs`, { query: { stdout: true, stderr: true, tail, follow: false }, raw: true });
    return demux(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw ?? '')));
  }

  /** Follow a container's output until `signal` aborts; each complete line to onLine. */
  async followLogs(id: string, tail: number, onLine: (line: string) => void, signal: AbortSignal): Promise<void> {
    const lines = lineSplitter(onLine);
    // Following has no deadline of its own: it lasts until Ctrl-C (the signal) or the container ends.
    const call = `GET /containers/${id}/logs`;
    const engine = this.detached();
    const under = engine.callSignal(2 ** 31 - 1);
    const res = await engine.send('GET', `/containers/${encodeURIComponent(id)}/logs`, { query: { stdout: true, stderr: true, tail, follow: true } }, under).catch((error: unknown) => {
      throw engine.failure(call, under, error);
    });
    const demuxer = frameDemuxer(lines);
    return new Promise((resolve) => {
      res.on('data', demuxer);
      res.on('end', resolve);
      res.on('error', () => resolve());
      signal.addEventListener('abort', () => (res.destroy(), resolve()));
    });
  }

  // ---- images, for src/stack/images.ts (built-in images loaded as archives) -------------

  /** The engine's OS and CPU as /info reports them (Architecture is uname -m style: x86_64, aarch64). */
  async info(): Promise<{ osType: string; architecture: string }> {
    const info = await this.get<{ OSType?: string; Architecture?: string }>('/info');
    return { osType: info?.OSType ?? '', architecture: info?.Architecture ?? '' };
  }

  /**
   * POST /images/load of a `docker save` archive (a stream: nothing is written on our side).
   * The answer is JSON lines, with the stream deadline (the ~110 MB runtime loads in about a second).
   */
  async load(archive: NodeJS.ReadableStream, tags: readonly string[]): Promise<void> {
    this.link.writes++;
    for (const tag of tags) this.link.images.delete(tag);
    await this.progress(`POST /images/load (${tags.join(', ')})`, '/images/load', { query: { quiet: 1 }, body: archive });
  }

  /** Images carrying a label (any value), with their tags; an untagged one has none. */
  async imagesLabelled(label: string): Promise<{ id: string; tags: string[]; labels: Record<string, string> }[]> {
    const list = (await this.get<Dockerode.ImageInfo[]>('/images/json', { filters: { label: [label] } })) ?? [];
    return list.map((i) => ({ id: i.Id, tags: (i.RepoTags ?? []).filter((t) => t !== '<none>:<none>'), labels: i.Labels ?? {} }));
  }
}

function engineMessage(text: string): string {
  try {
    return ((JSON.parse(text) as { message?: string }).message ?? text).trim();
  } catch {
    return text.trim(); // not JSON: the engine's text as it is
  }
}

/** The networks a container is on, from its inspect or its list entry (both key them by name). */
function attachedNetworks(networks: Record<string, { NetworkID: string }> | undefined): { id: string; name: string }[] {
  return Object.entries(networks ?? {}).map(([name, net]) => ({ id: net.NetworkID, name }));
}

function labelFilter(labels: Record<string, string>): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
}

/** Docker's multiplexed stream format: 8-byte headers (stream, 0, 0, 0, size32be) before each chunk. */
export function demux(buffer: Buffer): string {
  let out = '';
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    out += buffer.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return out;
}

/** The same format, arriving in chunks that may split headers and frames anywhere. */
function frameDemuxer(onText: (text: string) => void): (chunk: Buffer) => void {
  let pending = Buffer.alloc(0);
  return (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 8) {
      const size = pending.readUInt32BE(4);
      if (pending.length < 8 + size) break;
      onText(pending.subarray(8, 8 + size).toString());
      pending = pending.subarray(8 + size);
    }
  };
}

function lineSplitter(onLine: (line: string) => void): (chunk: Buffer | string) => void {
  let pending = '';
  return (chunk) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) onLine(line);
  };
}
