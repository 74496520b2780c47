/**
 * `catalog.upstream` / `lms.upstream`: an app of your own (a Richie checkout's runserver, a
 * real OpenEdX) served by richie-dev's nginx on the site's host, over TLS, in place of the
 * demo container. nginx runs in a container, so an upstream on this machine ("localhost") is
 * reached through Docker's address of the host, which the shipped stack file maps to
 * `host.docker.internal` (extra_hosts: host-gateway); Docker Desktop defines that name itself.
 * The config's check of the URL (upstreamProblem) is the config's own: config-upstream.ts.
 */

/** Where nginx sends a site's requests: `server` for its upstream block, and the scheme. */
export interface NginxUpstream {
  server: string;
  scheme: 'http' | 'https';
  /** The name an https upstream is asked for (SNI) and the warning for a loopback one. */
  host: string;
  /** The upstream is this machine's loopback, reached as host.docker.internal. */
  onThisMachine: boolean;
}

export const HOST_GATEWAY_NAME = 'host.docker.internal';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** The nginx side of an upstream URL already validated by upstreamProblem (config-upstream.ts). */
export function nginxUpstream(value: string): NginxUpstream {
  const url = new URL(value);
  const scheme = url.protocol === 'https:' ? 'https' : 'http';
  const port = url.port || (scheme === 'https' ? '443' : '80');
  const onThisMachine = LOOPBACK.has(url.hostname) || /^127\./.test(url.hostname);
  const host = onThisMachine ? HOST_GATEWAY_NAME : url.hostname;
  return { server: `${host}:${port}`, scheme, host: url.hostname, onThisMachine };
}

/** What the user must know for an upstream on this machine to be reachable from a container. */
export function upstreamWarning(key: string, value: string, upstream: NginxUpstream): string | undefined {
  if (!upstream.onThisMachine) return undefined;
  return `${key} ${value} is on this machine: richie-dev's nginx reaches it as ${upstream.server} (Docker's address of the host), so the app must listen on every interface (0.0.0.0, e.g. "manage.py runserver 0.0.0.0:${upstream.server.split(':').pop()}"), not on 127.0.0.1 only, and accept the site's host name (Django ALLOWED_HOSTS).`;
}
