/**
 * `catalog.upstream` / `lms.upstream` as the config accepts it: the URL of an app of your own
 * that richie-dev's nginx serves in place of the demo container (README "Your own Richie
 * checkout"). Checked here, at the config's level, so the schema needs nothing from render/;
 * render/upstream.ts turns an accepted URL into nginx's upstream.
 */
import { isIPv6 } from 'node:net';

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
