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

/**
 * Domains reserved for local use, which no one on the Internet can own, so a CA or a hosts
 * entry limited to them cannot stand in for a real site: `localhost`, `.test`, `.example` and
 * `.invalid` (RFC 2606, RFC 6761 6.2-6.4), `.localhost` (RFC 6761 6.3), `.internal` (ICANN's
 * 2024 reservation for private use), plus `local.dev`, richie-dev's default parent domain.
 * Any other name a CA may sign for, or a hosts block sends to this machine, is accepted only
 * when the user names it: `--allow-domain <domain>`.
 */
export const LOCAL_DOMAINS = ['localhost', 'test', 'example', 'invalid', 'internal', 'local.dev'] as const;

/** "google.com" and ".google.com" are the same domain; lower case. */
function bare(domain: string): string {
  return domain.trim().toLowerCase().replace(/^\.+/, '').replace(/\.$/, '');
}

/** `name` is `domain` or one of its subdomains. */
export function isWithin(name: string, domain: string): boolean {
  const n = bare(name);
  const d = bare(domain);
  return d !== '' && (n === d || n.endsWith(`.${d}`));
}

export function isReservedForLocalUse(name: string): boolean {
  return LOCAL_DOMAINS.some((domain) => isWithin(name, domain));
}

/** The names (DNS names or permitted domains) neither reserved for local use nor within a domain the user allowed. */
export function unacceptedNames(names: readonly string[], allowed: readonly string[] = []): string[] {
  return [...new Set(names.map(bare))].filter((name) => !isReservedForLocalUse(name) && !allowed.some((domain) => isWithin(name, domain)));
}

/**
 * The domain `--allow-domain` should name for these names: their shared parent when they have
 * one below a top-level domain (what a CA for them is limited to), else each name.
 */
export function domainsToAllow(names: readonly string[]): string[] {
  const parent = names.length > 1 ? commonParent(names.map(bare)) : undefined;
  return parent?.includes('.') ? [parent] : [...new Set(names.map(bare))];
}

/** "--allow-domain google.com --allow-domain example.org". */
export function allowDomainFlags(domains: readonly string[]): string {
  return domains.map((d) => `--allow-domain ${d}`).join(' ');
}

/** Values of --allow-domain: host-name syntax (a leading dot is accepted and dropped). */
export function normalizeAllowedDomains(values: readonly string[] | undefined): string[] {
  const domains: string[] = [];
  for (const value of values ?? []) {
    const domain = bare(value);
    const labels = domain.split('.');
    if (domain === '' || isIP(domain) || labels.some((label) => !LABEL.test(label))) {
      throw new UserError(`--allow-domain "${value}" is not a domain name.`, { fix: 'Name a domain, like --allow-domain example.org.' });
    }
    if (!domains.includes(domain)) domains.push(domain);
  }
  return domains;
}

/**
 * Refuse names outside local use that the user has not allowed, naming the flag that allows
 * them (exit 3). `what` says what would happen to them: "the CA in /x may sign for".
 */
export function assertNamesAccepted(names: readonly string[], allowed: readonly string[], what: string, rerun: string): void {
  const outside = unacceptedNames(names, allowed);
  if (outside.length === 0) return;
  const flags = allowDomainFlags(domainsToAllow(outside));
  throw new UserError(
    `${what} ${outside.join(', ')}, outside the domains reserved for local use (${LOCAL_DOMAINS.map((d) => (d.includes('.') ? d : `.${d}`)).join(', ')}): a cloned project's config would decide which real sites this machine trusts or sends to itself.`,
    { fix: `If you mean it, run ${rerun} ${flags}; otherwise set catalog.host and lms.host to names under local.dev or .test.` },
  );
}
