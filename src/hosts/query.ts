/**
 * Reading the hosts file (through hostile) and asking the system resolver: which lines name
 * our hosts, which of them lie outside our block, and what getaddrinfo really returns.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { commonParent } from '../domains.js';
import { escapeRegExp } from '../regexp.js';
import { blockLineRanges, scanBlocks } from './block.js';

export interface HostsEntry {
  /** 1-based line number in the file. */
  line: number;
  address: string;
  /** Every name on the line, as written. */
  names: string[];
}

/**
 * hostile's reading of the file: one item per line (it splits on CR LF or LF, as we count
 * lines), an [address, names] pair for an entry and a string for anything else. Lines whose
 * first field is not an IP address are skipped, as the resolver skips them.
 */
export async function readEntries(file: string): Promise<HostsEntry[]> {
  const { default: hostile } = await import('hostile');
  const entries: HostsEntry[] = [];
  hostile.getFile(file, true).forEach((item, index) => {
    if (!Array.isArray(item)) return;
    const [address, names] = item;
    // A zone index (fe80::1%eth0) is valid in a hosts file; isIP wants the address alone.
    if (isIP(address.split('%')[0]!) === 0) return;
    entries.push({ line: index + 1, address, names: names.split(/\s+/).filter(Boolean) });
  });
  return entries;
}

export interface Conflict {
  host: string;
  /** 1-based line number in the hosts file. */
  line: number;
  address: string;
  /**
   * The line comes before our block, so a first-match lookup (gethostbyname, and glibc with
   * "multi off") finds it instead of ours. getaddrinfo returns every matching line's address,
   * so any conflict also adds its address to what a browser may try.
   */
  shadows: boolean;
}

// What separates names on a hosts line for glibc (isspace in the C locale), and a comment.
const SEPARATOR = /[ \t\n\v\f\r#]/;

/**
 * Whether any host name occurs, in any letter case (resolvers compare names case-blind),
 * outside this project's blocks. A plain search, so a 250,000-line blocklist that names none
 * of our hosts is never parsed. Our hosts are siblings (the LMS cookie needs a shared parent
 * domain), so one case-blind search for ".<parent>" finds every mention; each hit is then
 * checked as a whole name. Hosts without a shared parent are searched one by one.
 */
export function mentionedOutside(file: Buffer, projectDir: string, hosts: readonly string[]): boolean {
  if (hosts.length === 0) return false;
  const wanted = new Set(hosts.map((h) => h.toLowerCase()));
  const parent = commonParent([...wanted]);
  const needles = parent ? [`.${parent}`] : [...wanted];
  const pattern = new RegExp(needles.map(escapeRegExp).join('|'), 'gi');
  const search = (text: string): boolean => {
    pattern.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = pattern.exec(text))) {
      let start = match.index;
      while (start > 0 && !SEPARATOR.test(text[start - 1]!)) start--;
      const end = match.index + match[0].length;
      if ((end === text.length || SEPARATOR.test(text[end]!)) && wanted.has(text.slice(start, end).toLowerCase())) return true;
      pattern.lastIndex = match.index + 1;
    }
    return false;
  };
  let at = 0;
  for (const block of scanBlocks(file, projectDir).blocks) {
    if (search(file.toString('latin1', at, block.start))) return true;
    at = block.end;
  }
  return search(file.toString('latin1', at));
}

/**
 * Entries for our hosts outside our blocks, with their line numbers. `content` is the file's
 * current bytes (read under the lock after a write): hostile parses the file only when the
 * byte search finds one of our names outside the block.
 */
export async function findConflicts(file: string, content: Buffer, projectDir: string, hosts: readonly string[]): Promise<Conflict[]> {
  if (!mentionedOutside(content, projectDir, hosts)) return [];
  const ranges = blockLineRanges(content, projectDir);
  const firstBlockLine = ranges[0]?.[0] ?? Number.POSITIVE_INFINITY;
  const wanted = new Set(hosts.map((h) => h.toLowerCase()));
  const conflicts: Conflict[] = [];
  for (const entry of await readEntries(file)) {
    if (ranges.some(([first, last]) => entry.line >= first && entry.line <= last)) continue;
    for (const name of entry.names) {
      const host = name.toLowerCase();
      if (wanted.has(host)) conflicts.push({ host, line: entry.line, address: entry.address, shadows: entry.line < firstBlockLine });
    }
  }
  return conflicts;
}

export interface Resolution {
  /** What getaddrinfo returned, in its order (the order clients try). */
  addresses: string[];
  /** ENOTFOUND, EAI_AGAIN, TIMEOUT...: why nothing was returned. */
  error?: string;
}

/**
 * What the system resolver returns for `host`: getaddrinfo through dns.lookup, as browsers,
 * curl and Node clients see it (nsswitch order: files, then mDNS or DNS). A timeout keeps a
 * missing entry from hanging on an unreachable DNS server.
 */
export async function resolveHost(host: string, options: { timeoutMs?: number } = {}): Promise<Resolution> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })), options.timeoutMs ?? 5_000);
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, verbatim: true }), timeout]);
    return { addresses: found.map((a) => a.address) };
  } catch (error) {
    return { addresses: [], error: (error as NodeJS.ErrnoException).code ?? String(error) };
  } finally {
    clearTimeout(timer);
  }
}

export function isLoopback(address: string): boolean {
  return address === '::1' || /^127\.\d+\.\d+\.\d+$/.test(address) || /^::ffff:127\./i.test(address);
}
