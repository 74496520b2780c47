/**
 * Hosts entries for the configured hosts: one managed block per project, written safely, and
 * the system resolver's view of each host. hostile reads and queries the file (conflicting
 * entries and their lines); the block itself is written here, byte-exact (DESIGN.md: hostile's
 * writer rewrites every line and has no temp file or lock).
 */
import { lookup } from 'node:dns/promises';
import { access, constants, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { assertHostName } from '../domains.js';
import { ExitCode, UserError } from '../errors.js';
import { blockLineRange, blockLines, findBlock, withBlock, withoutBlock, type BlockSpec } from './block.js';
import { LockBusyError, withLock, writeSystemFile, type WriteOutcome } from './file.js';

export const LOOPBACK = ['127.0.0.1', '::1'] as const;

export interface HostsTarget {
  /** The hosts file to change. */
  file: string;
  projectDir: string;
  hosts: readonly string[];
  /** Defaults to loopback; a remote Docker engine's address otherwise. */
  addresses?: readonly string[];
  /** The command line that would work with root rights, for permission errors. */
  sudoCommand?: string;
}

export interface Conflict {
  host: string;
  /** 1-based line number in the hosts file. */
  line: number;
  address: string;
  /** True when the line comes before the block, so the resolver finds it first. */
  shadows: boolean;
}

export interface HostsChange {
  file: string;
  action: 'added' | 'updated' | 'removed' | 'none';
  changed: boolean;
  method?: WriteOutcome['method'];
  backup?: string;
  conflicts: Conflict[];
  warnings: string[];
}

function spec(target: HostsTarget): BlockSpec {
  for (const host of target.hosts) assertHostName(host, 'host');
  return { projectDir: target.projectDir, hosts: target.hosts, addresses: target.addresses ?? LOOPBACK };
}

/** The block as text, for `--print` and manual editing. */
export function renderBlock(target: HostsTarget): string {
  return `${blockLines(spec(target)).join('\n')}\n`;
}

export async function addBlock(target: HostsTarget): Promise<HostsChange> {
  const block = spec(target); // invalid names are refused before anything is read
  return change(target, (file) => withBlock(file, block), (before) => (before.includes(Buffer.from(blockLines(block)[0]!)) ? 'updated' : 'added'));
}

export async function removeBlock(target: HostsTarget): Promise<HostsChange> {
  spec(target);
  return change(target, (file) => withoutBlock(file, target.projectDir), () => 'removed');
}

async function change(
  target: HostsTarget,
  edit: (file: Buffer) => Buffer | undefined,
  verb: (before: Buffer) => 'added' | 'updated' | 'removed',
): Promise<HostsChange> {
  const first = await readHostsFile(target.file);
  const result: HostsChange = { file: target.file, action: 'none', changed: false, conflicts: [], warnings: [] };
  let final = first;
  if (edit(first) !== undefined) {
    await assertWritable(target);
    try {
      await withLock(target.file, async () => {
        // Read again under the lock: another run may have written meanwhile.
        const current = await readHostsFile(target.file);
        const next = edit(current);
        if (next === undefined) return;
        const outcome = await writeSystemFile(target.file, next);
        final = next;
        result.action = verb(current);
        result.changed = true;
        result.method = outcome.method;
        if (outcome.backup) {
          result.backup = outcome.backup;
          result.warnings.push(
            `${target.file} could not be replaced atomically (it is a mount point, as in a container or WSL); it was rewritten in place after saving a copy to ${outcome.backup}.`,
          );
        }
      });
    } catch (error) {
      if (error instanceof LockBusyError) {
        throw new UserError(`Another richie-dev (pid ${error.pid}) is changing ${target.file}.`, {
          fix: `Wait for it to finish, or remove ${error.lock} if that process is stuck.`,
        });
      }
      throw permissionError(error, target) ?? error;
    }
  }
  result.conflicts = await findConflicts(target, final);
  return result;
}

async function readHostsFile(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(`The hosts file ${file} does not exist.`, { fix: 'Check --hosts-file or RICHIE_DEV_HOSTS_FILE.' });
    }
    throw error;
  }
}

async function assertWritable(target: HostsTarget): Promise<void> {
  try {
    await access(target.file, constants.W_OK);
    await access(dirname(target.file), constants.W_OK);
  } catch (error) {
    throw permissionError(error, target) ?? error;
  }
}

function permissionError(error: unknown, target: HostsTarget): UserError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return undefined;
  return new UserError(`No permission to change ${target.file} (${code}); nothing was changed.`, {
    exitCode: ExitCode.permission,
    fix: `Run: ${target.sudoCommand ?? 'sudo richie-dev hosts add'}\n  or add the block yourself: richie-dev hosts add --print`,
  });
}

/**
 * Entries for our hosts outside our block. A fast byte search first: only when a host name
 * occurs outside the block does hostile parse the file (a 250,000-line blocklist then costs
 * nothing). Lines come from hostile's own reading, numbered as it splits them.
 */
export async function findConflicts(target: HostsTarget, content?: Buffer): Promise<Conflict[]> {
  const file = content ?? (await readHostsFile(target.file));
  const block = findBlock(file, target.projectDir);
  const outside = block ? [file.subarray(0, block.start), file.subarray(block.end)] : [file];
  if (!target.hosts.some((host) => outside.some((part) => part.includes(host)))) return [];
  const range = blockLineRange(file, target.projectDir);
  const { default: hostile } = await import('hostile');
  const lines = hostile.getFile(target.file, true);
  const conflicts: Conflict[] = [];
  lines.forEach((entry, index) => {
    const line = index + 1;
    if (!Array.isArray(entry) || (range && line >= range[0] && line <= range[1])) return;
    const [address, names] = entry;
    for (const host of target.hosts) {
      if (names.split(/\s+/).includes(host)) conflicts.push({ host, line, address, shadows: !range || line < range[0] });
    }
  });
  return conflicts;
}

export interface HostCheck {
  host: string;
  /** What the file says: the entries for this host, ours and others. */
  entries: { line: number; address: string; inBlock: boolean }[];
  /** What the system resolver returns (getaddrinfo, like browsers and curl). */
  resolved: string[];
  error?: string;
  /** Resolves, and only to the expected addresses (loopback unless a remote engine). */
  ok: boolean;
}

export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}

export async function checkHosts(target: HostsTarget): Promise<HostCheck[]> {
  spec(target);
  const file = await readHostsFile(target.file);
  const range = blockLineRange(file, target.projectDir);
  const { default: hostile } = await import('hostile');
  const lines = hostile.getFile(target.file, true);
  return Promise.all(
    target.hosts.map(async (host) => {
      const entries: HostCheck['entries'] = [];
      lines.forEach((entry, index) => {
        if (Array.isArray(entry) && entry[1].split(/\s+/).includes(host)) {
          const line = index + 1;
          entries.push({ line, address: entry[0], inBlock: Boolean(range && line >= range[0] && line <= range[1]) });
        }
      });
      const expected = target.addresses ?? LOOPBACK;
      try {
        const resolved = (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
        const ok = resolved.length > 0 && resolved.every((a) => (target.addresses ? expected.includes(a) : isLoopback(a)));
        return { host, entries, resolved, ok };
      } catch (error) {
        return { host, entries, resolved: [], error: (error as NodeJS.ErrnoException).code ?? String(error), ok: false };
      }
    }),
  );
}
