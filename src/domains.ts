/**
 * Host-name rules shared by certificates, hosts entries and the LMS cookie settings.
 */
import { isIP } from 'node:net';
import { UserError } from './errors.js';

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** RFC 1123 host name, lower case, at least one dot (a bare name cannot carry a cookie domain). */
export function hostNameProblem(host: string): string | undefined {
  if (host.length === 0) return 'it is empty';
  if (host.length > 253) return 'it is longer than 253 characters';
  if (host !== host.toLowerCase()) return 'it has upper-case letters (use lower case)';
  if (isIP(host)) return 'it is an IP address, not a host name';
  if (host.endsWith('.')) return 'it ends with a dot';
  const labels = host.split('.');
  if (labels.length < 2) return 'it needs at least two labels, like richie.local.dev';
  const bad = labels.find((label) => !LABEL.test(label));
  if (bad !== undefined) return `label "${bad}" is not a valid DNS label (letters, digits and inner hyphens, 1-63 characters)`;
  return undefined;
}

export function assertHostName(host: string, where: string): void {
  const problem = hostNameProblem(host);
  if (problem) {
    throw new UserError(`${where}: "${host}" is not a valid host name: ${problem}.`, {
      fix: `Set ${where} to a name like "richie.local.dev".`,
    });
  }
}

/** The longest domain that every host is a strict subdomain of, or undefined. */
export function commonParent(hosts: readonly string[]): string | undefined {
  const split = hosts.map((h) => h.split('.').reverse());
  const shared: string[] = [];
  for (let i = 0; ; i++) {
    const label = split[0]?.[i];
    // Every host must keep at least one label of its own below the parent.
    if (label === undefined || split.some((parts) => parts[i] !== label || parts.length <= i + 1)) break;
    shared.push(label);
  }
  return shared.length === 0 ? undefined : shared.reverse().join('.');
}

/**
 * The parent domain the catalog and the LMS share, on which the LMS sets its cross-domain
 * CSRF cookie. Browsers refuse cookies on a public suffix (`.dev`, `github.io`), so the
 * parent must be a registrable domain or below one.
 */
export async function sharedParentDomain(hosts: readonly string[]): Promise<string> {
  const parent = commonParent(hosts);
  const list = hosts.join(' and ');
  const cookieRule =
    "The LMS's CSRF cookie is set on the parent domain the two hosts share, so they must be siblings, like richie.local.dev and edx.local.dev.";
  if (parent === undefined || !parent.includes('.')) {
    throw new UserError(`${list} share no parent domain${parent ? ` other than the top-level "${parent}"` : ''}. ${cookieRule}`, {
      fix: 'Set catalog.host and lms.host in richie-dev.config.json to two subdomains of one domain.',
    });
  }
  // tldts is loaded lazily: it carries the whole Public Suffix List. Through require: imported
  // as ESM, Node first scans its CommonJS build (the list included) for export names.
  const { createRequire } = await import('node:module');
  const { parse } = createRequire(import.meta.url)('tldts') as typeof import('tldts');
  const info = parse(parent, { allowPrivateDomains: true });
  if (info.publicSuffix === parent) {
    throw new UserError(
      `${list} only share "${parent}", which is a public suffix: browsers refuse cookies set on it. ${cookieRule}`,
      { fix: `Use hosts under a domain one level deeper, like richie.local.${parent} and edx.local.${parent}.` },
    );
  }
  return parent;
}
