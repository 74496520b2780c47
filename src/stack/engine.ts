/**
 * One narrow interface of our own in front of the Docker Engine API (STYLE.md: do not subclass
 * the SDK), so the stack logic reads as our verbs and tests can count engine writes.
 *
 * Plain JSON calls (inspect, list, create, start, stop, remove) go over node:http on the local
 * socket; streams (build, pull, exec, logs) and every other transport (tcp+TLS, ssh://) go
 * through dockerode. Loading dockerode, with the gRPC and SSH stacks it pulls in, costs more
 * than a whole no-op re-run may take, so a re-run, a status or a down never loads it.
 */
import type Dockerode from 'dockerode';
import { ExitCode, UserError } from '../errors.js';

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
}

export interface EngineTarget {
  /** What DOCKER_HOST says, or the default socket. */
  host: string;
  remote: boolean;
  /** Where published ports live: loopback for a local engine, the engine's host otherwise. */
  address: string;
}

/** What DOCKER_HOST says, else the engine's default socket (as the docker CLI and dockerode). */
function dockerHost(env: NodeJS.ProcessEnv): string {
  return env.DOCKER_HOST || 'unix:///var/run/docker.sock';
}

export function engineTarget(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const host = dockerHost(env);
  if (host.startsWith('unix://') || host.startsWith('npipe://')) return { host, remote: false, address: '127.0.0.1' };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  const local = ['localhost', '127.0.0.1', '::1', '[::1]'].includes(url.hostname);
  return { host, remote: !local, address: local ? '127.0.0.1' : url.hostname };
}

/** The local socket when DOCKER_HOST names one (or is unset); undefined for tcp, ssh and npipe. */
export function localSocket(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const host = dockerHost(env);
  return host.startsWith('unix://') ? host.slice('unix://'.length) : undefined;
}

/** An Engine API error as dockerode shapes them: statusCode plus the engine's message. */
class EngineApiError extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
  ) {
    super(message);
  }
}

export class Engine {
  /** Mutating calls made, for "a re-run does no engine writes". */
  writes = 0;
  readonly target: EngineTarget;
  private readonly socket: string | undefined;
  private sdk: Promise<Dockerode> | undefined;

  private constructor(private readonly env: NodeJS.ProcessEnv) {
    this.target = engineTarget(env);
    this.socket = localSocket(env);
  }

  /** dockerode, loaded on first use (see the top of this file). */
  private get docker(): Promise<Dockerode> {
    this.sdk ??= import('dockerode').then(({ default: Docker }) => {
      // dockerode reads its transport from process.env only: lend it this engine's variables.
      const keys = ['DOCKER_HOST', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'] as const;
      const saved = keys.map((key) => process.env[key]);
      const put = (key: string, value: string | undefined) => (value === undefined ? delete process.env[key] : (process.env[key] = value));
      keys.forEach((key) => put(key, this.env[key]));
      try {
        return new Docker();
      } finally {
        keys.forEach((key, i) => put(key, saved[i]));
      }
    });
    return this.sdk;
  }

  /**
   * One Engine API call with a JSON answer: plain node:http over the local socket (what the
   * docker CLI does too), dockerode's own transport for tcp, tcp+TLS and ssh://. A 404 is
   * undefined for the caller to judge; 304 (already started / stopped) is a success.
   */
  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, options: { query?: Record<string, unknown>; body?: object; raw?: boolean } = {}): Promise<T | undefined> {
    const search = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) search.set(key, typeof value === 'object' ? JSON.stringify(value) : String(value));
    }
    const qs = search.toString();
    if (!this.socket) {
      const docker = await this.docker;
      return new Promise((resolve, reject) =>
        docker.modem.dial(
          {
            path: qs ? `${path}?` : path,
            method,
            // dockerode's modem: _query goes to the URL, _body (for POST) to a JSON body.
            options: { _query: Object.fromEntries(search), _body: options.body ?? {} },
            statusCodes: { 200: true, 201: true, 204: true, 304: true, 404: 'not found', 409: 'conflict', 500: 'server error' },
          },
          (error: (Error & { statusCode?: number }) | null, data: unknown) => {
            if (error?.statusCode === 404) resolve(undefined);
            else if (error) reject(error);
            else resolve((data ?? '') as T); // 204 and 304 come with no body
          },
        ),
      );
    }
    const { request } = await import('node:http');
    const payload = options.body ? JSON.stringify(options.body) : undefined;
    return new Promise((resolve, reject) => {
      const headers: Record<string, string | number> = { Host: 'docker' };
      if (payload !== undefined) Object.assign(headers, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) });
      const req = request({ socketPath: this.socket, path: qs ? `${path}?${qs}` : path, method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          const text = body.toString();
          const status = res.statusCode ?? 0;
          if (status === 404) return resolve(undefined);
          if (options.raw && status < 300) return resolve(body as T);
          if (status >= 300 && status !== 304) {
            let message = text;
            try {
              message = (JSON.parse(text) as { message?: string }).message ?? text;
            } catch {
              // not JSON: the engine's text as it is
            }
            return reject(new EngineApiError(status, `(HTTP code ${status}) ${message.trim()}`));
          }
          try {
            resolve((res.headers['content-type']?.includes('json') && text ? JSON.parse(text) : text) as T);
          } catch (error) {
            reject(error);
          }
        });
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  private get<T>(path: string, query: Record<string, unknown> = {}): Promise<T | undefined> {
    return this.call<T>('GET', path, { query });
  }

  /** A write: counted, and a 404 is an error (the thing to change is gone). */
  private async write<T>(method: 'POST' | 'DELETE', path: string, options: { query?: Record<string, unknown>; body?: object } = {}): Promise<T> {
    this.writes++;
    const result = await this.call<T>(method, path, options);
    if (result === undefined) throw new EngineApiError(404, `(HTTP code 404) ${method} ${path}: not found`);
    return result;
  }

  /** Connect as dockerode does (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, ssh://). */
  static async connect(env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
    const engine = new Engine(env);
    try {
      await engine.get('/_ping');
    } catch (error) {
      const target = engine.target;
      throw new UserError(`The Docker engine at ${target.host} cannot be reached (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`, {
        exitCode: ExitCode.engineUnreachable,
        fix: target.remote
          ? `Check that the engine at ${target.host} runs and that DOCKER_HOST / DOCKER_CERT_PATH are right.`
          : 'Start it: "sudo systemctl start docker" (or "sudo dockerd &" where there is no systemd), or set DOCKER_HOST.',
      });
    }
    return engine;
  }

  /** Images inspected in this run: the image step and the plan both need them. */
  private readonly images = new Map<string, Promise<{ id: string; labels: Record<string, string> } | undefined>>();

  /** An image's id and labels, or undefined when the engine does not have it. */
  image(ref: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    let found = this.images.get(ref);
    if (!found) {
      found = this.get<Dockerode.ImageInspectInfo>(`/images/${encodeURIComponent(ref)}/json`).then((info) => (info ? { id: info.Id, labels: info.Config?.Labels ?? {} } : undefined));
      this.images.set(ref, found);
    }
    return found;
  }

  async build(contextDir: string, tag: string, labels: Record<string, string>): Promise<void> {
    this.writes++;
    this.images.delete(tag);
    const { readdir } = await import('node:fs/promises');
    const stream = await (await this.docker).buildImage({ context: contextDir, src: await readdir(contextDir) }, { t: tag, labels, rm: true, forcerm: true });
    await this.follow(stream, `building ${tag}`);
  }

  async pull(ref: string): Promise<void> {
    this.writes++;
    this.images.delete(ref);
    const stream = await (await this.docker).pull(ref);
    await this.follow(stream, `pulling ${ref}`);
  }

  private async follow(stream: NodeJS.ReadableStream, what: string): Promise<void> {
    const docker = await this.docker;
    return new Promise((resolve, reject) =>
      docker.modem.followProgress(stream, (error: Error | null, output: { error?: string; errorDetail?: { message: string } }[]) => {
        const failed = error?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new Error(`${what} failed: ${failed}`));
        else resolve();
      }),
    );
  }

  async containers(labels: Record<string, string>): Promise<ContainerState[]> {
    const list = (await this.get<Dockerode.ContainerInfo[]>('/containers/json', { all: true, filters: labelFilter(labels) })) ?? [];
    return (await Promise.all(list.map((c) => this.container(c.Id).catch(() => undefined)))).filter((c) => c !== undefined);
  }

  async container(id: string): Promise<ContainerState> {
    const info = await this.get<Dockerode.ContainerInspectInfo>(`/containers/${encodeURIComponent(id)}/json`);
    if (!info) throw new EngineApiError(404, `No such container: ${id}`);
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
   * the one given, else the one the container was created with. Already stopped is fine.
   */
  async stop(id: string, timeoutS?: number): Promise<void> {
    await this.write('POST', `/containers/${encodeURIComponent(id)}/stop`, { query: { t: timeoutS } });
  }

  async remove(id: string): Promise<void> {
    await this.write('DELETE', `/containers/${encodeURIComponent(id)}`, { query: { force: true, v: false } });
  }

  async networks(labels: Record<string, string>): Promise<{ id: string; name: string; labels: Record<string, string>; containers: number }[]> {
    const list = (await this.get<Dockerode.NetworkInspectInfo[]>('/networks', { filters: labelFilter(labels) })) ?? [];
    return Promise.all(
      list.map(async (n) => {
        // The list leaves Containers empty: only an inspect says whether a network is in use.
        const info = await this.get<Dockerode.NetworkInspectInfo>(`/networks/${n.Id}`);
        return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(info?.Containers ?? {}).length };
      }),
    );
  }

  async networkByName(name: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    const list = (await this.get<Dockerode.NetworkInspectInfo[]>('/networks', { filters: { name: [name] } })) ?? [];
    const found = list.find((n) => n.Name === name);
    return found ? { id: found.Id, labels: found.Labels ?? {} } : undefined;
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    return (await this.write<{ Id: string }>('POST', '/networks/create', { body: { Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true } })).Id;
  }

  async connect(networkId: string, containerId: string, aliases: string[]): Promise<void> {
    await this.write('POST', `/networks/${encodeURIComponent(networkId)}/connect`, { body: { Container: containerId, EndpointConfig: { Aliases: aliases } } });
  }

  async removeNetwork(id: string): Promise<void> {
    await this.write('DELETE', `/networks/${encodeURIComponent(id)}`);
  }

  async volumeExists(name: string): Promise<boolean> {
    return (await this.get(`/volumes/${encodeURIComponent(name)}`)) !== undefined;
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.write('POST', '/volumes/create', { body: { Name: name, Labels: labels } });
  }

  async volumes(labels: Record<string, string>): Promise<string[]> {
    const result = await this.get<{ Volumes: { Name: string }[] | null }>('/volumes', { filters: labelFilter(labels) });
    return (result?.Volumes ?? []).map((v) => v.Name);
  }

  async removeVolume(name: string): Promise<void> {
    await this.write('DELETE', `/volumes/${encodeURIComponent(name)}`);
  }

  /** Run a command in a running container; its exit code and output (doctor's `nginx -t`). */
  async exec(id: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
    if (this.socket) {
      // Without an Upgrade header the engine answers the start with the raw output stream and
      // closes it when the command ends: three plain calls, as up's health probes need.
      const created = await this.call<{ Id: string }>('POST', `/containers/${encodeURIComponent(id)}/exec`, { body: { Cmd: cmd, AttachStdout: true, AttachStderr: true } });
      if (!created) throw new EngineApiError(404, `No such container: ${id}`);
      const output = await this.call<Buffer>('POST', `/exec/${created.Id}/start`, { body: { Detach: false, Tty: false }, raw: true });
      const info = await this.get<{ ExitCode: number | null }>(`/exec/${created.Id}/json`);
      return { exitCode: info?.ExitCode ?? -1, output: demux(output ?? Buffer.alloc(0)) };
    }
    const exec = await (await this.docker).getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({ hijack: true, stdin: false });
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve, reject) => {
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', resolve);
      stream.on('error', reject);
    });
    const info = await exec.inspect();
    return { exitCode: info.ExitCode ?? -1, output: demux(Buffer.concat(chunks)) };
  }

  /**
   * Run a Compose healthcheck test (["CMD", ...] or ["CMD-SHELL", "..."]) in a container now:
   * Docker runs its first check only a whole interval after the start.
   */
  async passesHealthcheck(id: string, test: readonly string[]): Promise<boolean> {
    const [kind, ...rest] = test;
    const cmd = kind === 'CMD' ? rest : kind === 'CMD-SHELL' ? ['/bin/sh', '-c', rest.join(' ')] : undefined;
    if (!cmd?.length) return false;
    return (await this.exec(id, cmd).catch(() => ({ exitCode: -1 }))).exitCode === 0;
  }

  /** The last lines of a container's output, stdout and stderr interleaved. */
  async logs(id: string, tail: number): Promise<string> {
    const buffer = (await (await this.docker).getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demux(buffer);
  }

  /** Follow a container's output; returns a function that stops following. */
  async followLogs(id: string, tail: number, onLine: (line: string) => void): Promise<() => void> {
    const docker = await this.docker;
    const stream = (await docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    docker.modem.demuxStream(stream, out, out);
    let pending = '';
    out.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) onLine(line);
    });
    return () => stream.destroy();
  }
}

function labelFilter(labels: Record<string, string>): { label: string[] } {
  return { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) };
}

/** Docker's multiplexed log format: 8-byte headers (stream, 0, 0, 0, size32be) before each chunk. */
function demux(buffer: Buffer): string {
  let out = '';
  let at = 0;
  while (at + 8 <= buffer.length) {
    const size = buffer.readUInt32BE(at + 4);
    out += buffer.subarray(at + 8, at + 8 + size).toString();
    at += 8 + size;
  }
  return out;
}
