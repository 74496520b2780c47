/**
 * One narrow interface of our own in front of dockerode (STYLE.md: do not subclass the SDK),
 * so the stack logic reads as our verbs and tests can count engine writes.
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
  image: string;
  ports: { hostIp: string; hostPort: number; containerPort: number }[];
}

export interface EngineTarget {
  /** What DOCKER_HOST says, or the default socket. */
  host: string;
  remote: boolean;
  /** Where published ports live: loopback for a local engine, the engine's host otherwise. */
  address: string;
}

export function engineTarget(env: NodeJS.ProcessEnv = process.env): EngineTarget {
  const host = env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (host.startsWith('unix://') || host.startsWith('npipe://')) return { host, remote: false, address: '127.0.0.1' };
  const url = new URL(host.replace(/^tcp:/, 'http:'));
  const local = ['localhost', '127.0.0.1', '::1', '[::1]'].includes(url.hostname);
  return { host, remote: !local, address: local ? '127.0.0.1' : url.hostname };
}

export class Engine {
  /** Mutating calls made, for "a re-run does no engine writes". */
  writes = 0;
  readonly target: EngineTarget;

  private constructor(
    private readonly docker: Dockerode,
    env: NodeJS.ProcessEnv,
  ) {
    this.target = engineTarget(env);
  }

  /** Connect as dockerode does (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH, ssh://). */
  static async connect(env: NodeJS.ProcessEnv = process.env): Promise<Engine> {
    const { default: Docker } = await import('dockerode');
    const engine = new Engine(new Docker(), env);
    try {
      await engine.docker.ping();
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
      found = this.docker
        .getImage(ref)
        .inspect()
        .then(
          (info) => ({ id: info.Id, labels: info.Config?.Labels ?? {} }),
          (error: { statusCode?: number }) => {
            if (error.statusCode === 404) return undefined;
            throw error;
          },
        );
      this.images.set(ref, found);
    }
    return found;
  }

  async build(contextDir: string, tag: string, labels: Record<string, string>): Promise<void> {
    this.writes++;
    this.images.delete(tag);
    const { readdir } = await import('node:fs/promises');
    const stream = await this.docker.buildImage({ context: contextDir, src: await readdir(contextDir) }, { t: tag, labels, rm: true, forcerm: true });
    await this.follow(stream, `building ${tag}`);
  }

  async pull(ref: string): Promise<void> {
    this.writes++;
    this.images.delete(ref);
    const stream = await this.docker.pull(ref);
    await this.follow(stream, `pulling ${ref}`);
  }

  private follow(stream: NodeJS.ReadableStream, what: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.docker.modem.followProgress(stream, (error: Error | null, output: { error?: string; errorDetail?: { message: string } }[]) => {
        const failed = error?.message ?? output.find((o) => o.error)?.error;
        if (failed) reject(new Error(`${what} failed: ${failed}`));
        else resolve();
      }),
    );
  }

  async containers(labels: Record<string, string>): Promise<ContainerState[]> {
    const list = await this.docker.listContainers({ all: true, filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
    return Promise.all(list.map((c) => this.container(c.Id)));
  }

  async container(id: string): Promise<ContainerState> {
    const info = await this.docker.getContainer(id).inspect();
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
      image: info.Config.Image,
      ports,
    };
  }

  async create(options: Dockerode.ContainerCreateOptions): Promise<string> {
    this.writes++;
    return (await this.docker.createContainer(options)).id;
  }

  async start(id: string): Promise<void> {
    this.writes++;
    await this.docker.getContainer(id).start();
  }

  async stop(id: string, timeoutS: number): Promise<void> {
    this.writes++;
    await this.docker
      .getContainer(id)
      .stop({ t: timeoutS })
      .catch((error: { statusCode?: number }) => {
        if (error.statusCode !== 304) throw error; // 304: already stopped
      });
  }

  async remove(id: string): Promise<void> {
    this.writes++;
    await this.docker.getContainer(id).remove({ force: true, v: false });
  }

  async networks(labels: Record<string, string>): Promise<{ id: string; name: string; labels: Record<string, string>; containers: number }[]> {
    const list = await this.docker.listNetworks({ filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
    return Promise.all(
      list.map(async (n) => {
        const info = await this.docker.getNetwork(n.Id).inspect();
        return { id: n.Id, name: n.Name, labels: n.Labels ?? {}, containers: Object.keys(info.Containers ?? {}).length };
      }),
    );
  }

  async networkByName(name: string): Promise<{ id: string; labels: Record<string, string> } | undefined> {
    const list = await this.docker.listNetworks({ filters: { name: [name] } });
    const found = list.find((n) => n.Name === name);
    return found ? { id: found.Id, labels: found.Labels ?? {} } : undefined;
  }

  async createNetwork(name: string, labels: Record<string, string>): Promise<string> {
    this.writes++;
    return (await this.docker.createNetwork({ Name: name, Driver: 'bridge', Labels: labels, CheckDuplicate: true })).id;
  }

  async connect(networkId: string, containerId: string, aliases: string[]): Promise<void> {
    this.writes++;
    await this.docker.getNetwork(networkId).connect({ Container: containerId, EndpointConfig: { Aliases: aliases } });
  }

  async removeNetwork(id: string): Promise<void> {
    this.writes++;
    await this.docker.getNetwork(id).remove();
  }

  async volumeExists(name: string): Promise<boolean> {
    try {
      await this.docker.getVolume(name).inspect();
      return true;
    } catch {
      return false;
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    this.writes++;
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  async volumes(labels: Record<string, string>): Promise<string[]> {
    const result = await this.docker.listVolumes({ filters: { label: Object.entries(labels).map(([k, v]) => `${k}=${v}`) } });
    return (result.Volumes ?? []).map((v) => v.Name);
  }

  async removeVolume(name: string): Promise<void> {
    this.writes++;
    await this.docker.getVolume(name).remove();
  }

  /** Run a command in a running container; its exit code and output (doctor's `nginx -t`). */
  async exec(id: string, cmd: string[]): Promise<{ exitCode: number; output: string }> {
    const exec = await this.docker.getContainer(id).exec({ Cmd: cmd, AttachStdout: true, AttachStderr: true });
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

  /** The last lines of a container's output, stdout and stderr interleaved. */
  async logs(id: string, tail: number): Promise<string> {
    const buffer = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: false })) as unknown as Buffer;
    return demux(buffer);
  }

  /** Follow a container's output; returns a function that stops following. */
  async followLogs(id: string, tail: number, onLine: (line: string) => void): Promise<() => void> {
    const stream = (await this.docker.getContainer(id).logs({ stdout: true, stderr: true, tail, follow: true })) as NodeJS.ReadableStream & { destroy(): void };
    const { PassThrough } = await import('node:stream');
    const out = new PassThrough();
    this.docker.modem.demuxStream(stream, out, out);
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
