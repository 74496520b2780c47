/**
 * Hosts entries for the configured hosts: one managed block per project, written safely, and
 * the system resolver's view of each host. hostile reads and queries the file (the entries
 * for our hosts and their lines); the block itself is written here, byte-exact (DESIGN.md:
 * hostile's writer rewrites every line and has no temp file or lock).
 *
 * Every function returns data (changed, method, backup, conflicts, warnings) and throws
 * UserError; nothing here prints or exits, so run-ssl and doctor call the same functions.
 */
import { constants } from 'node:fs';
import { access, realpath, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isIP } from 'node:net';
import { assertHostName, assertNamesAccepted } from '../domains.js';
import { ExitCode, UserError } from '../errors.js';
import { applyEdit, blockLineRanges, blockLines, lineNumberAt, planAdd, planRemove, scanBlocks, type BlockSpec, type Edit } from './block.js';
import { readWhole, readWithStamp, removeStaleTemps, replaceFile, sameStamp, stampOf, type Stamp, type WriteOutcome } from './file.js';
import { LockBusyError, removeStaleLock, withLock } from '../lock.js';
import { findConflicts, isLoopback, mentionedOutside, readEntries, resolveHost, type Conflict } from './query.js';

export { isLoopback, resolveHost, type Conflict, type Resolution } from './query.js';
export { sudoCommandLine, printCommandLine } from './sudo.js';

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
  /** The command that prints the block for manual editing, for permission errors. */
  printCommand?: string;
  /** Domains outside local use the user accepts sending to these addresses (--allow-domain). */
  allowDomains?: readonly string[];
  /** The command to run again with --allow-domain, for the refusal: "richie-dev hosts add". */
  rerun?: string;
}

export interface HostsChange {
  /** The file as given (a symlink is followed; its target is what changes). */
  file: string;
  action: 'added' | 'updated' | 'removed' | 'none';
  changed: boolean;
  method?: WriteOutcome['method'];
  backup?: string;
  /** Entries for our hosts outside the block: reported, never touched. */
  conflicts: Conflict[];
  warnings: string[];
}

/** Validates names and addresses: invalid ones are refused before anything is read. */
function blockSpec(target: HostsTarget): BlockSpec {
  if (target.hosts.length === 0) throw new UserError('No hosts to map.', { fix: 'Set catalog.host and lms.host in richie-dev.config.json.' });
  for (const host of target.hosts) assertHostName(host, 'host');
  const addresses = target.addresses ?? LOOPBACK;
  for (const address of addresses) {
    if (isIP(address) === 0) throw new UserError(`"${address}" is not an IP address; hosts entries need one.`, { fix: 'Pass IPv4 or IPv6 addresses, like 127.0.0.1 or ::1.' });
  }
  return { projectDir: target.projectDir, hosts: target.hosts, addresses };
}

/** The block as text, for `--print` and manual editing. */
export function renderBlock(target: HostsTarget): string {
  return `${blockLines(blockSpec(target)).join('\n')}\n`;
}

/**
 * Refuse to send a name outside the domains reserved for local use (src/domains.ts) to this
 * machine (or the Docker engine's) unless the user named its domain with --allow-domain: the
 * hosts come from the project's config, and a cloned project must not redirect real sites.
 */
export function assertHostsAccepted(target: Pick<HostsTarget, 'hosts' | 'addresses' | 'allowDomains' | 'rerun'>): void {
  const addresses = target.addresses ?? LOOPBACK;
  assertNamesAccepted(target.hosts, target.allowDomains ?? [], `Not adding hosts entries that send to ${addresses.join(' and ')}`, `"${target.rerun ?? 'richie-dev hosts add'}" with`);
}

export async function addBlock(target: HostsTarget): Promise<HostsChange> {
  const spec = blockSpec(target);
  assertHostsAccepted(target);
  return change(target, 'add', (file) => planAdd(file, spec));
}

export async function removeBlock(target: HostsTarget): Promise<HostsChange> {
  blockSpec(target);
  return change(target, 'remove', (file) => planRemove(file, target.projectDir));
}

async function change(target: HostsTarget, verb: 'add' | 'remove', plan: (file: Buffer) => Edit | undefined): Promise<HostsChange> {
  const real = await resolveFile(target.file);
  const first = await readHostsFile(target.file, real);
  let content = first.content;
  let written: Edit | undefined;
  const result: HostsChange = { file: target.file, action: 'none', changed: false, conflicts: [], warnings: [] };
  // Decided without the lock or any rights: a second add with nothing to change writes
  // nothing (not even a lock file), so it also works for a user who cannot write the file.
  if (plan(content)) {
    await assertWritable(target, real, verb);
    try {
      await withLock(real, async () => {
        // Another run may have written since the first read: read again under the lock,
        // unless the file is provably the same version (its inode, size and times).
        const current = sameStamp(await stampOf(real), first.stamp) ? first.content : await readWhole(real);
        const edit = plan(current);
        content = current;
        if (!edit) return;
        const outcome = await replaceFile(real, edit.pieces, edit.length, edit.unchangedPrefix);
        result.changed = true;
        result.method = outcome.method;
        result.action = verb === 'remove' ? 'removed' : scanBlocks(current, target.projectDir).blocks.length ? 'updated' : 'added';
        if (verb === 'add' && edit.duplicatesRemoved) result.warnings.push(`Removed ${edit.duplicatesRemoved} extra copy of the richie-dev block for ${target.projectDir} (copied by hand?).`);
        if (outcome.backup) {
          result.backup = outcome.backup;
          result.warnings.push(`${target.file} could not be replaced atomically (${inPlaceReason(outcome.reason)}); it was rewritten in place after saving a copy to ${outcome.backup}.`);
        }
        // The bytes outside our block are the same before and after the edit, so the search
        // runs on the buffer in hand; only a hit needs the new file as one buffer (and hostile
        // reads it now, still under the lock, so it sees exactly what was written).
        written = edit;
        if (mentionedOutside(current, target.projectDir, target.hosts)) result.conflicts = await findConflicts(real, applyEdit(edit), target.projectDir, target.hosts);
      });
    } catch (error) {
      if (error instanceof LockBusyError) {
        throw new UserError(`Another richie-dev (pid ${error.pid}) is still changing ${target.file} after 15 seconds of waiting; nothing was changed.`, {
          fix: `Wait for it to finish, or remove ${error.lock} if that process is stuck.`,
        });
      }
      throw permissionError(error, target, verb) ?? error;
    }
  }
  if (!written) {
    result.conflicts = await findConflicts(real, content, target.projectDir, target.hosts);
    // Litter of a dead run (its lock, its temp file) goes now, where this user may remove it.
    await removeStaleLock(real);
    await removeStaleTemps(real).catch(() => undefined);
  }
  const edit = written;
  result.warnings.push(...fileWarnings(content, target, edit && (() => applyEdit(edit))));
  return result;
}

function inPlaceReason(reason: string | undefined): string {
  if (reason === 'EBUSY' || reason === 'EXDEV') return `${reason}: it is a mount point, as in a container or WSL`;
  if (reason === 'EPERM (chown)') return 'a new file could not be given its owner back';
  return `${reason}: Windows would not replace it while another program has it open`;
}

async function resolveFile(file: string): Promise<string> {
  try {
    // Renaming over a symlink would replace the link with a file: write where it points.
    return await realpath(file);
  } catch (error) {
    throw readError(error, file) ?? error;
  }
}

async function readHostsFile(file: string, real = file): Promise<{ content: Buffer; stamp: Stamp }> {
  let read: { content: Buffer; stamp: Stamp };
  try {
    read = await readWithStamp(real);
  } catch (error) {
    throw readError(error, file) ?? error;
  }
  const { content } = read;
  if ((content[0] === 0xff && content[1] === 0xfe) || (content[0] === 0xfe && content[1] === 0xff)) {
    throw new UserError(`${file} is UTF-16 text, which resolvers do not read; nothing was changed.`, {
      fix: `Save ${file} as ANSI or UTF-8 (in Notepad: Save As, Encoding), then run the command again.`,
    });
  }
  return read;
}

function readError(error: unknown, file: string): UserError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UserError(`The hosts file ${file} does not exist.`, { fix: 'Check --hosts-file or RICHIE_DEV_HOSTS_FILE.' });
  if (code === 'EISDIR') return new UserError(`The hosts file ${file} is a directory.`, { fix: 'Point --hosts-file or RICHIE_DEV_HOSTS_FILE at a file.' });
  if (code === 'EACCES' || code === 'EPERM') {
    return new UserError(`No permission to read ${file} (${code}).`, { exitCode: ExitCode.permission, fix: `Check the file's permissions: ls -l ${file}` });
  }
  return undefined;
}

async function assertWritable(target: HostsTarget, real: string, verb: 'add' | 'remove'): Promise<void> {
  const info = await stat(real);
  if ((info.mode & 0o222) === 0) {
    // No write bit for anyone: someone protected the file on purpose. Root could write it
    // anyway; a careful tool does not.
    throw new UserError(`${target.file} is read-only (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); nothing was changed.`, {
      exitCode: ExitCode.permission,
      fix: `Make it writable first (sudo chmod u+w ${real}) and run the command again, or ${manualFix(target, verb)}`,
    });
  }
  try {
    await access(real, constants.W_OK);
    await access(dirname(real), constants.W_OK);
  } catch (error) {
    throw permissionError(error, target, verb) ?? error;
  }
}

function manualFix(target: HostsTarget, verb: 'add' | 'remove'): string {
  return verb === 'add'
    ? `add the block yourself: ${target.printCommand ?? 'richie-dev hosts add --print'}`
    : `delete the lines from "# >>> richie-dev" to "# <<< richie-dev" (this project's dir) yourself.`;
}

function permissionError(error: unknown, target: HostsTarget, verb: 'add' | 'remove'): UserError | undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') return undefined;
  const root = process.getuid?.() === 0;
  if (code === 'EROFS' || root) {
    // sudo would not help: a read-only mount, or an immutable file (chattr +i).
    const why = code === 'EROFS' ? 'it is on a read-only file system' : `even root may not write it (${code}; immutable? see lsattr)`;
    return new UserError(`Cannot change ${target.file}: ${why}; nothing was changed.`, {
      exitCode: ExitCode.permission,
      fix: `Make it writable where it is mounted or created, or ${manualFix(target, verb)}`,
    });
  }
  return new UserError(`No permission to change ${target.file} (${code}); nothing was changed.`, {
    exitCode: ExitCode.permission,
    fix: `Run: ${target.sudoCommand ?? `sudo richie-dev hosts ${verb}`}\n  or ${manualFix(target, verb)}`,
  });
}

/**
 * Things worth knowing about the file that do not stop the change. `content` is the file as
 * read; `after` gives the file as written, needed only to number lines of stray markers.
 */
function fileWarnings(content: Buffer, target: HostsTarget, after?: () => Buffer): string[] {
  const warnings: string[] = [];
  if (scanBlocks(content, target.projectDir).strays.length) {
    const final = after ? after() : content;
    for (const stray of scanBlocks(final, target.projectDir).strays) {
      warnings.push(`${target.file} line ${lineNumberAt(final, stray)}: a richie-dev marker for ${target.projectDir} without its partner (edited by hand?); left as it is.`);
    }
  }
  // WSL rewrites /etc/hosts at every start unless told not to; it says so in its first lines.
  if (content.subarray(0, 1024).includes('automatically generated by WSL')) {
    warnings.push(
      `${target.file} is regenerated by WSL at every start, which drops these entries: add "[network]" and "generateHosts = false" to /etc/wsl.conf. Browsers on Windows read the Windows hosts file: run "richie-dev hosts add --hosts-file /mnt/c/Windows/System32/drivers/etc/hosts" from a shell with Administrator rights.`,
    );
  }
  return warnings;
}

export type BlockState = 'current' | 'outdated' | 'missing';

export interface HostCheck {
  host: string;
  /** What the file says: every entry for this host, ours and others. */
  entries: { line: number; address: string; inBlock: boolean }[];
  /** What the system resolver returns (getaddrinfo, like browsers and curl). */
  resolved: string[];
  error?: string;
  /** Resolves, and only to the expected addresses (loopback unless a remote engine). */
  ok: boolean;
}

export interface HostsReport {
  file: string;
  /** Whether this project's block is there and maps exactly the configured hosts. */
  block: BlockState;
  hosts: HostCheck[];
  conflicts: Conflict[];
  warnings: string[];
}

/**
 * Per host: the file's entries (through hostile) and what the system resolver returns. ok
 * means the resolver answers, and with expected addresses only: loopback, or `addresses`.
 */
export async function checkHosts(target: HostsTarget, options: { timeoutMs?: number } = {}): Promise<HostsReport> {
  const spec = blockSpec(target);
  const real = await resolveFile(target.file);
  const { content } = await readHostsFile(target.file, real);
  const ranges = blockLineRanges(content, target.projectDir);
  const inBlock = (line: number) => ranges.some(([first, last]) => line >= first && line <= last);
  const entries = await readEntries(real);
  const hosts = await Promise.all(
    target.hosts.map(async (host): Promise<HostCheck> => {
      const mine = entries
        .filter((e) => e.names.some((n) => n.toLowerCase() === host))
        .map((e) => ({ line: e.line, address: e.address, inBlock: inBlock(e.line) }));
      const { addresses, error } = await resolveHost(host, options);
      const expected = (a: string) => (target.addresses ? target.addresses.includes(a) : isLoopback(a));
      return { host, entries: mine, resolved: addresses, ...(error ? { error } : {}), ok: addresses.length > 0 && addresses.every(expected) };
    }),
  );
  const block: BlockState = ranges.length === 0 ? 'missing' : planAdd(content, spec) ? 'outdated' : 'current';
  const warnings = fileWarnings(content, target);
  const systemFile = await realpath('/etc/hosts').catch(() => '/etc/hosts');
  if (real !== systemFile && process.platform !== 'win32') {
    warnings.push(`The system resolver reads /etc/hosts, not ${target.file}: what it returns does not come from this file.`);
  }
  return { file: target.file, block, hosts, conflicts: await findConflicts(real, content, target.projectDir, target.hosts), warnings };
}
