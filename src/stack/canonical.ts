/**
 * A StackSpec printed in Compose's canonical form: the shape `docker-compose config` (v1)
 * prints (compose/config/serialize.py): keys sorted, `environment`, `labels`, `depends_on`
 * and service `networks` as maps, env files merged into `environment`, durations in v1's
 * units, ports without an address as `{published, target}` and with one as
 * "ip:published:target/tcp", volumes as "source:target:mode". What it shows is what richie-dev
 * runs, so richie-dev's own defaults (`init: true`, `stop_grace_period: 1s`) and the split
 * `command` appear as such.
 */
import { stringify } from 'yaml';
import type { ServiceSpec, StackSpec } from './compose.js';

export interface ComposeConfig {
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown>>;
}

/**
 * `envFiles`: each env file's values, by path, for the ones that could be read; a file not in
 * it stays listed under `env_file`.
 */
export function composeConfig(stack: StackSpec, envFiles: ReadonlyMap<string, Record<string, string>> = new Map()): ComposeConfig {
  const services: ComposeConfig['services'] = {};
  for (const s of [...stack.services].sort((a, b) => (a.name < b.name ? -1 : 1))) services[s.name] = service(s, envFiles);
  const out: ComposeConfig = { services };
  const networks = stack.networks.filter((n) => n.key !== 'default' || n.name !== undefined || n.external);
  if (networks.length) {
    out.networks = Object.fromEntries(networks.map((n) => [n.key, n.external ? { external: true, name: n.name ?? n.key } : n.name !== undefined ? { name: n.name } : {}]));
  }
  if (stack.volumes.length) out.volumes = Object.fromEntries(stack.volumes.map((v) => [v.key, {}]));
  return out;
}

function service(s: ServiceSpec, envFiles: ReadonlyMap<string, Record<string, string>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s.build) {
    out.build = {
      context: s.build.context,
      ...(s.build.dockerfile !== undefined ? { dockerfile: s.build.dockerfile } : {}),
      ...(Object.keys(s.build.args).length ? { args: s.build.args } : {}),
    };
  }
  if (s.command) out.command = s.command;
  if (s.dependsOn.length) out.depends_on = Object.fromEntries(s.dependsOn.map((d) => [d.service, { condition: d.condition }]));
  // v1 config.py, resolve_environment: the env files in order, then `environment`.
  const environment: Record<string, string | null> = {};
  const unread = s.envFiles.filter((f) => !envFiles.has(f));
  for (const file of s.envFiles) Object.assign(environment, envFiles.get(file) ?? {});
  Object.assign(environment, s.environment);
  if (unread.length) out.env_file = unread;
  if (Object.keys(environment).length) out.environment = environment;
  if (s.healthcheck) {
    const h = s.healthcheck;
    out.healthcheck = {
      test: h.test,
      ...(h.intervalNs !== undefined ? { interval: nsText(h.intervalNs) } : {}),
      ...(h.timeoutNs !== undefined ? { timeout: nsText(h.timeoutNs) } : {}),
      ...(h.retries !== undefined ? { retries: h.retries } : {}),
      ...(h.startPeriodNs !== undefined ? { start_period: nsText(h.startPeriodNs) } : {}),
    };
  }
  if (s.extraHosts) {
    const { form, entries } = s.extraHosts;
    out.extra_hosts = form === 'list' ? entries.map((e) => `${e.host}:${e.address}`) : Object.fromEntries(entries.map((e) => [e.host, e.address]));
  }
  out.image = s.image;
  out.init = s.init;
  if (Object.keys(s.labels).length) out.labels = s.labels;
  out.networks = Object.fromEntries(s.networks.map((n) => [n.key, n.aliases.length ? { aliases: n.aliases } : null]));
  if (s.ports.length) out.ports = s.ports.map((p) => (p.hostIp ? `${p.hostIp}:${p.hostPort}:${p.containerPort}/tcp` : { published: p.hostPort, target: p.containerPort }));
  out.stop_grace_period = nsText(s.stopGracePeriodS * 1e9);
  if (s.volumes.length) out.volumes = s.volumes.map((v) => `${v.source}:${v.target}:${v.readOnly ? 'ro' : 'rw'}`);
  return out;
}

/** Nanoseconds in the largest unit that divides them, as v1's serialize_ns_time_value: 90 s is "90s", 2 min "2m". */
export function nsText(ns: number): string {
  let value = ns;
  let unit = 'ns';
  for (const [factor, next] of [
    [1000, 'us'],
    [1000, 'ms'],
    [1000, 's'],
    [60, 'm'],
    [60, 'h'],
  ] as const) {
    if (value % factor !== 0) break;
    value /= factor;
    unit = next;
  }
  return `${value}${unit}`;
}

/**
 * The YAML text, sorted like PyYAML's safe_dump; `$` written `$$` so that the output is itself
 * a Compose file that reads back to the same values (v1 serialize.py, serialize_string_escape_dollar).
 */
export function composeYaml(config: ComposeConfig): string {
  const escape = (value: unknown): unknown =>
    typeof value === 'string'
      ? value.replaceAll('$', '$$$$')
      : Array.isArray(value)
        ? value.map(escape)
        : value && typeof value === 'object'
          ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escape(v)]))
          : value;
  return stringify(escape(config), { sortMapEntries: true, indent: 2, lineWidth: 0, nullStr: 'null' });
}
