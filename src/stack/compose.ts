/**
 * The stack definition: docker-compose.richie.yml read with the `yaml` library (keeping
 * positions), interpolated, and checked against the keys richie-dev supports. An unsupported
 * key is an error naming it and its line — never silently ignored.
 */
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import { UserError } from '../errors.js';

export interface PortSpec {
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface VolumeSpec {
  type: 'bind' | 'volume';
  /** Absolute host path (bind) or the volume's key in the file (volume). */
  source: string;
  target: string;
  readOnly: boolean;
}

export interface HealthcheckSpec {
  test: string[];
  intervalNs: number;
  timeoutNs: number;
  retries: number;
  startPeriodNs: number;
}

export interface ServiceSpec {
  name: string;
  image: string;
  build?: { context: string; dockerfile?: string };
  command?: string[];
  environment: Record<string, string>;
  envFiles: string[];
  ports: PortSpec[];
  volumes: VolumeSpec[];
  networks: { key: string; aliases: string[] }[];
  dependsOn: { service: string; condition: 'service_started' | 'service_healthy' }[];
  healthcheck?: HealthcheckSpec;
  labels: Record<string, string>;
  init: boolean;
  stopGracePeriodS: number;
}

export interface StackSpec {
  file: string;
  services: ServiceSpec[];
  networks: { key: string; name?: string; external: boolean }[];
  volumes: { key: string }[];
}

/** Seconds a container gets to stop after SIGTERM when the file does not say (Compose: 10). */
const DEFAULT_STOP_GRACE_S = 1;

const SUPPORTED: Record<string, readonly string[]> = {
  top: ['version', 'services', 'networks', 'volumes'],
  service: ['image', 'build', 'command', 'environment', 'env_file', 'ports', 'volumes', 'networks', 'depends_on', 'healthcheck', 'labels', 'init', 'stop_grace_period'],
  healthcheck: ['test', 'interval', 'timeout', 'retries', 'start_period'],
  build: ['context', 'dockerfile'],
  dependsOn: ['condition'],
  serviceNetwork: ['aliases'],
  network: ['name', 'external'],
  volume: [],
};

/** `${VAR}`, `${VAR:-default}` and `$$`, as Compose interpolates them. */
export function interpolate(text: string, vars: Record<string, string | undefined>): string {
  return text.replace(/\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}/g, (match, name: string | undefined, fallback: string | undefined) => {
    if (match === '$$') return '$';
    const value = vars[name!];
    return value === undefined || value === '' ? (fallback ?? '') : value;
  });
}

/** "1s", "500ms", "1m30s" to nanoseconds. */
export function durationNs(text: string | number, where: string): number {
  if (typeof text === 'number') return text * 1e9;
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  const rest = text.replace(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g, (_, n: string, unit: string) => {
    total += Number(n) * units[unit]!;
    return '';
  });
  if (rest !== '' || text === '') throw new UserError(`${where}: "${text}" is not a duration like "1s" or "500ms".`);
  return total;
}

export async function readStack(file: string, vars: Record<string, string | undefined>): Promise<StackSpec> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`The stack file ${file} cannot be read (${error.code ?? error.message}).`, {
      fix: 'Check "stackFile" in richie-dev.config.json (a path relative to the project dir), or remove it to use richie-dev\'s own.',
    });
  });
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length) {
    const error = doc.errors[0]!;
    throw new UserError(`${file}: ${error.message}`, { fix: `Fix the YAML in ${file}.` });
  }
  const line = (node: Node | null | undefined) => (node?.range ? lineCounter.linePos(node.range[0]).line : 0);
  const fail = (node: Node | null | undefined, message: string): never => {
    throw new UserError(`${file}:${line(node)}: ${message}`, { fix: `Edit ${file}; richie-dev supports the keys its README lists.` });
  };
  const checkKeys = (map: YAMLMap, allowed: readonly string[], where: string) => {
    for (const pair of map.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '?';
      if (!allowed.includes(key)) fail(pair.key as Node, `unsupported key "${key}" in ${where} (supported: ${allowed.join(', ') || 'none'})`);
    }
  };
  const root = doc.contents;
  if (!isMap(root)) return fail(root, 'the file must be a mapping with "services"');
  checkKeys(root, SUPPORTED.top!, 'the top level');
  const baseDir = dirname(file);
  const str = (value: unknown) => interpolate(String(value), vars);
  const path = (value: unknown) => {
    const p = str(value);
    return isAbsolute(p) ? p : resolve(baseDir, p);
  };

  const services: ServiceSpec[] = [];
  const servicesNode = root.get('services', true);
  if (!isMap(servicesNode)) return fail(root, '"services" must be a mapping');
  for (const pair of servicesNode.items) {
    const name = String((pair.key as { value: unknown }).value);
    const node = pair.value as Node;
    if (!isMap(node)) return fail(node, `service "${name}" must be a mapping`);
    checkKeys(node, SUPPORTED.service!, `service "${name}"`);
    const raw = node.toJSON() as Record<string, unknown>;
    const where = `services.${name}`;
    if (raw.image === undefined) fail(node, `${where} needs an "image"`);
    const healthNode = node.get('healthcheck', true);
    if (isMap(healthNode)) checkKeys(healthNode, SUPPORTED.healthcheck!, `${where}.healthcheck`);
    const buildNode = node.get('build', true);
    if (isMap(buildNode)) checkKeys(buildNode, SUPPORTED.build!, `${where}.build`);
    const dependsNode = node.get('depends_on', true);
    if (isMap(dependsNode)) for (const dep of dependsNode.items) if (isMap(dep.value)) checkKeys(dep.value, SUPPORTED.dependsOn!, `${where}.depends_on`);
    const networksNode = node.get('networks', true);
    if (isMap(networksNode)) for (const net of networksNode.items) if (isMap(net.value)) checkKeys(net.value, SUPPORTED.serviceNetwork!, `${where}.networks`);

    const environment: Record<string, string> = {};
    if (Array.isArray(raw.environment)) {
      for (const entry of raw.environment as string[]) {
        const [k, ...v] = str(entry).split('=');
        environment[k!] = v.join('=');
      }
    } else if (raw.environment) {
      for (const [k, v] of Object.entries(raw.environment as object)) environment[k] = str(v ?? '');
    }
    const health = raw.healthcheck as Record<string, unknown> | undefined;
    const build = raw.build === undefined ? undefined : typeof raw.build === 'string' ? { context: path(raw.build) } : { context: path((raw.build as { context: string }).context), ...((raw.build as { dockerfile?: string }).dockerfile ? { dockerfile: str((raw.build as { dockerfile: string }).dockerfile) } : {}) };
    const spec: ServiceSpec = {
      name,
      image: str(raw.image),
      ...(build ? { build } : {}),
      ...(raw.command === undefined ? {} : { command: Array.isArray(raw.command) ? (raw.command as unknown[]).map(str) : ['/bin/sh', '-c', str(raw.command)] }),
      environment,
      envFiles: (raw.env_file === undefined ? [] : Array.isArray(raw.env_file) ? (raw.env_file as unknown[]) : [raw.env_file]).map(path),
      ports: ((raw.ports as unknown[] | undefined) ?? []).map((p) => parsePort(str(p), `${where}.ports`)),
      volumes: ((raw.volumes as unknown[] | undefined) ?? []).map((v) => parseVolume(str(v), baseDir, `${where}.volumes`)),
      networks: Array.isArray(raw.networks)
        ? (raw.networks as string[]).map((key) => ({ key, aliases: [] }))
        : Object.entries((raw.networks as Record<string, { aliases?: string[] } | null> | undefined) ?? { default: null }).map(([key, value]) => ({
            key,
            aliases: (value?.aliases ?? []).map(str),
          })),
      dependsOn: Array.isArray(raw.depends_on)
        ? (raw.depends_on as string[]).map((service) => ({ service, condition: 'service_started' as const }))
        : Object.entries((raw.depends_on as Record<string, { condition?: string }> | undefined) ?? {}).map(([service, value]) => ({
            service,
            condition: value?.condition === 'service_healthy' ? ('service_healthy' as const) : ('service_started' as const),
          })),
      ...(health
        ? {
            healthcheck: {
              test: (health.test as unknown[]).map(str),
              intervalNs: durationNs((health.interval as string) ?? '30s', `${where}.healthcheck.interval`),
              timeoutNs: durationNs((health.timeout as string) ?? '30s', `${where}.healthcheck.timeout`),
              retries: Number(health.retries ?? 3),
              startPeriodNs: durationNs((health.start_period as string) ?? '0s', `${where}.healthcheck.start_period`),
            },
          }
        : {}),
      labels: Object.fromEntries(Object.entries((raw.labels as Record<string, unknown> | undefined) ?? {}).map(([k, v]) => [k, str(v)])),
      // richie-dev's defaults differ from Compose's on purpose: with an init process as PID 1 a
      // main process that never installed a SIGTERM handler still stops at once, and a short
      // grace period bounds one that ignores it. The file can say otherwise.
      init: raw.init !== false,
      stopGracePeriodS: raw.stop_grace_period === undefined ? DEFAULT_STOP_GRACE_S : durationNs(str(raw.stop_grace_period), `${where}.stop_grace_period`) / 1e9,
    };
    services.push(spec);
  }
  for (const service of services) {
    for (const dep of service.dependsOn) {
      if (!services.some((s) => s.name === dep.service)) fail(servicesNode, `service "${service.name}" depends on unknown service "${dep.service}"`);
    }
  }

  const networks: StackSpec['networks'] = [];
  const networksNode = root.get('networks', true);
  if (isMap(networksNode)) {
    for (const pair of networksNode.items) {
      const key = String((pair.key as { value: unknown }).value);
      if (isMap(pair.value)) checkKeys(pair.value, SUPPORTED.network!, `networks.${key}`);
      const value = (isMap(pair.value) ? pair.value.toJSON() : {}) as { name?: string; external?: boolean };
      networks.push({ key, ...(value.name ? { name: str(value.name) } : {}), external: value.external === true });
    }
  }
  if (!networks.some((n) => n.key === 'default')) networks.unshift({ key: 'default', external: false });
  const volumes: StackSpec['volumes'] = [];
  const volumesNode = root.get('volumes', true);
  if (isMap(volumesNode)) {
    for (const pair of volumesNode.items) {
      const key = String((pair.key as { value: unknown }).value);
      if (isMap(pair.value)) checkKeys(pair.value, SUPPORTED.volume!, `volumes.${key}`);
      volumes.push({ key });
    }
  }
  return { file, services, networks, volumes };
}

function parsePort(text: string, where: string): PortSpec {
  const parts = text.split(':');
  const [hostIp, hostPort, containerPort] = parts.length === 3 ? parts : parts.length === 2 ? ['0.0.0.0', ...parts] : ['0.0.0.0', parts[0], parts[0]];
  const ports = [Number(hostPort), Number(containerPort)];
  if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535)) throw new UserError(`${where}: "${text}" is not a port mapping like "127.0.0.1:8070:8070".`);
  return { hostIp: hostIp!, hostPort: ports[0]!, containerPort: ports[1]! };
}

function parseVolume(text: string, baseDir: string, where: string): VolumeSpec {
  const [source, target, mode] = text.split(':');
  if (!source || !target) throw new UserError(`${where}: "${text}" is not a volume like "./path:/target:ro".`);
  const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
  return { type: bind ? 'bind' : 'volume', source: bind ? resolve(baseDir, source) : source, target, readOnly: mode === 'ro' };
}
