/**
 * `catalog.upstream` / `lms.upstream`: an app of your own (a Richie checkout's runserver, a
 * real OpenEdX) served by richie-dev's nginx on the site's host, over TLS, in place of the
 * demo container. nginx runs in a container, so an upstream on this machine ("localhost") is
 * reached through Docker's address of the host, which the shipped stack file maps to
 * `host.docker.internal` (extra_hosts: host-gateway); Docker Desktop defines that name itself.
 */
import { isIPv6 } from 'node:net';

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

/** The one form an upstream takes, said in every refusal. */
export const UPSTREAM_FORM = 'http(s)://HOST[:PORT] with HOST a DNS name (letters, digits, inner hyphens, dots), an IPv4 address or a bracketed IPv6 address, PORT from 1 to 65535, and nothing after but an optional "/"';

// The raw text is checked, not what WHATWG's URL parser makes of it: that parser accepts
// hosts such as `a;b{c}"d$e` (only a few code points are forbidden in a host,
// https://url.spec.whatwg.org/#forbidden-host-code-point), and the host and port go into
// nginx's `server host:port;` and `proxy_ssl_name host;` (templates/nginx), where `;`, `{`,
// `}`, quotes, `$` and spaces are syntax. It also reads `010.1`, `0x7f.1` or `1.2.3` as IPv4
// addresses in other spellings, so a numeric last label must be a plain dotted quad.
const UPSTREAM = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/:[\]]*|\[[^\]]*\])(?::([^/]*))?(\/?)$/;
const DNS_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const DOTTED_QUAD = /^(?:(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/;

/** Why a config value is not an upstream URL, or undefined when it is one. */
export function upstreamProblem(value: string): string | undefined {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(value)?.[1];
  if (scheme === undefined) return 'not a URL: it has no scheme';
  if (scheme !== 'http' && scheme !== 'https') return `the scheme is ${scheme}; nginx proxies to http or https only`;
  if (!value.startsWith(`${scheme}://`)) return 'not a URL: "//" must follow the scheme';
  const rest = value.slice(scheme.length + 3);
  if (/[\s\0-\x1f\x7f]/.test(rest)) return 'it contains whitespace or a control character';
  const authority = rest.split(/[/?#]/, 1)[0]!;
  if (authority.includes('@')) return 'it carries credentials (user@)';
  const after = rest.slice(authority.length);
  if (after.includes('?') || after.includes('#')) return 'it has a query or fragment: the site is proxied whole, from /';
  if (after !== '' && after !== '/') return 'it has a path: the site is proxied whole, from /';
  const match = UPSTREAM.exec(value);
  if (!match) return `"${authority}" is not a host with an optional port`;
  const [, , host = '', port] = match;
  const hostProblem = upstreamHostProblem(host);
  if (hostProblem) return hostProblem;
  if (port !== undefined && !(/^[1-9][0-9]{0,4}$/.test(port) && Number(port) <= 65535)) return `the port "${port}" is not a number from 1 to 65535`;
  return undefined;
}

function upstreamHostProblem(host: string): string | undefined {
  if (host.startsWith('[')) {
    const literal = host.slice(1, -1);
    return /^[0-9A-Fa-f:.]+$/.test(literal) && isIPv6(literal) ? undefined : `"${host}" is not an IPv6 address`;
  }
  if (host.length === 0) return 'it has no host';
  if (host.length > 253) return 'the host is longer than 253 characters';
  const labels = host.split('.');
  const bad = labels.find((label) => !DNS_LABEL.test(label));
  if (bad !== undefined) return `the host "${host}" is not a DNS name: label "${bad}" is not letters, digits and inner hyphens (1-63 characters)`;
  if (/^(?:[0-9]+|0x[0-9a-f]*)$/i.test(labels.at(-1)!) && !DOTTED_QUAD.test(host)) return `the host "${host}" is neither a DNS name (its last label is a number) nor an IPv4 address written as four decimal numbers`;
  return undefined;
}

/** The nginx side of an upstream URL already validated by upstreamProblem. */
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
