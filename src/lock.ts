/**
 * One richie-dev at a time per file it writes: an exclusive lock file beside it. The hosts
 * file (src/hosts/) and a project's .richie-dev/ (src/stack/project.ts) are guarded by it.
 *
 * Why not proper-lockfile: it judges a lock stale by its mtime, so a run killed with SIGKILL
 * blocks every other run for the whole stale period, and a slow but live run can be judged
 * stale and overrun. The lock here records its owner (pid, and on Linux the process start
 * time, so a recycled pid is not mistaken for the owner); it is stale exactly when that
 * process is gone, which `kill(pid, 0)` answers at once.
 *
 * Taking over a stale lock is itself guarded: only the holder of a takeover guard may remove
 * a lock, and it checks again, under that guard, that the lock is the same stale one it saw.
 * Without the guard, two runs that both saw the same dead owner could each remove a lock —
 * the second one removing the lock the first had just taken — and both would write.
 */
import { constants } from 'node:fs';
import { link, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface LockOptions {
  /** How long to wait for another live richie-dev before giving up. */
  timeoutMs?: number;
  /** The lock file's mode (0644: its owner's pid is no secret; the project lock is 0600, as everything in .richie-dev/). */
  mode?: number;
  /** Who the lock file is given to (fchown): under sudo, the invoking user, so their next run can read a lock a killed run left. */
  owner?: { uid: number; gid: number } | undefined;
}

export class LockBusyError extends Error {
  constructor(
    readonly lock: string,
    readonly pid: number,
  ) {
    super(`${lock} is held by process ${pid}`);
    this.name = 'LockBusyError';
  }
}

export function lockPath(target: string): string {
  return `${target}.richie-dev.lock`;
}

/** Run `work` holding the lock for `target`; waits for a live holder, recovers a dead one's. */
export async function withLock<T>(target: string, work: () => Promise<T>, options: LockOptions = {}): Promise<T> {
  const lock = lockPath(target);
  const token = await ownerToken(process.pid);
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let delay = 5;
  await removeStaleLockTemps(lock);
  for (;;) {
    if (await tryCreate(lock, token, options.mode, options.owner)) break;
    const seen = await readOwner(lock);
    if (seen && (await isStale(seen))) {
      await removeIfStillStale(lock, seen);
      continue;
    }
    if (Date.now() > deadline) throw new LockBusyError(lock, seen?.pid ?? 0);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 100);
  }
  try {
    return await work();
  } finally {
    // Only our own lock: never remove one we do not hold.
    if ((await readOwner(lock))?.text === token) await unlink(lock).catch(() => undefined);
  }
}

/**
 * Remove the lock left by a dead run, if there is one and this user may (best effort): a run
 * with nothing to write takes no lock, but should not leave a dead run's litter behind.
 */
export async function removeStaleLock(target: string): Promise<void> {
  const lock = lockPath(target);
  try {
    await removeStaleLockTemps(lock);
    const seen = await readOwner(lock);
    if (seen && (await isStale(seen))) await removeIfStillStale(lock, seen);
  } catch {
    // Not ours to clean (no rights): the next writer recovers it anyway.
  }
}

const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** `<lock>.<pid>.tmp`: where a run writes its token before linking it into place. */
function lockTemp(file: string, pid = process.pid): string {
  return `${file}.${pid}.tmp`;
}

/**
 * Create `file` holding `token`, or return false when it exists. The token is written to a
 * temp file first and hard-linked into place (link(2) fails with EEXIST like O_EXCL), so the
 * lock never exists empty: a run killed between creating and writing it would otherwise leave
 * a lock nobody can judge until EMPTY_GRACE_MS has passed. Where hard links are refused (some
 * mounted file systems), the lock is created with O_EXCL and written after.
 */
async function tryCreate(file: string, token: string, mode = 0o644, owner?: LockOptions['owner']): Promise<boolean> {
  const temp = lockTemp(file);
  await writeNew(temp, token, mode, owner).catch(async (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
    // A temp file by our pid is a dead run's (pids are unique among live processes), or a link
    // someone planted: neither is followed, both go.
    await unlink(temp);
    await writeNew(temp, token, mode, owner);
  });
  try {
    await link(temp, file);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw error;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  try {
    await writeNew(file, token, mode, owner);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function writeNew(file: string, text: string, mode: number, owner?: LockOptions['owner']): Promise<void> {
  const handle = await open(file, CREATE_NEW, mode);
  try {
    await handle.writeFile(text);
    await handle.chmod(mode); // the umask may have narrowed it at open
    if (owner) await handle.chown(owner.uid, owner.gid);
  } finally {
    await handle.close();
  }
}

/** Temp files of runs killed between writing their token and linking it (named by their pid). */
async function removeStaleLockTemps(lock: string): Promise<void> {
  const prefix = `${basename(lock)}.`;
  const entries = await readdir(dirname(lock)).catch(() => [] as string[]);
  for (const entry of entries) {
    if (!entry.startsWith(prefix) || !entry.endsWith('.tmp')) continue;
    const pid = Number(entry.slice(prefix.length, -'.tmp'.length));
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && !isRunning(pid)) await unlink(join(dirname(lock), entry)).catch(() => undefined);
  }
}

interface Owner {
  text: string;
  pid: number;
  startTime: string | undefined;
  ino: number;
  mtimeMs: number;
}

async function readOwner(lock: string): Promise<Owner | undefined> {
  try {
    const [text, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    const [pid, startTime] = text.trim().split(/\s+/);
    return { text, pid: Number(pid), startTime: startTime || undefined, ino: info.ino, mtimeMs: info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Empty for a moment while its creator writes it: stale only if it stays empty (creator died). */
const EMPTY_GRACE_MS = 2_000;

async function isStale(owner: Owner): Promise<boolean> {
  if (owner.text === '') return Date.now() - owner.mtimeMs > EMPTY_GRACE_MS;
  if (!Number.isInteger(owner.pid) || owner.pid <= 0) return true;
  if (!isRunning(owner.pid)) return true;
  // Alive, but is it the same process? A pid recycled after a crash has another start time.
  if (owner.startTime !== undefined) {
    const now = await startTimeOf(owner.pid);
    if (now !== undefined && now !== owner.startTime) return true;
  }
  return false;
}

async function removeIfStillStale(lock: string, seen: Owner): Promise<void> {
  await underTakeoverGuard(lock, async () => {
    // Only guard holders remove a lock, and a stale lock's owner is gone: between this read
    // and the unlink nobody else can remove or replace it.
    const now = await readOwner(lock);
    if (now && now.ino === seen.ino && now.text === seen.text && (await isStale(now))) await unlink(lock).catch(() => undefined);
  });
}

/**
 * Run `work` if this process gets the takeover guard; return without running it otherwise
 * (someone else is taking over: the caller looks again). On Linux the guard is an abstract
 * Unix socket name, which the kernel frees when its holder dies, so the guard itself can never
 * be stale. Elsewhere it is a `<lock>.takeover` file, held for microseconds; one left by a
 * process killed inside that window is removed once its pid is gone.
 */
async function underTakeoverGuard(lock: string, work: () => Promise<void>): Promise<void> {
  if (process.platform === 'linux') {
    const { createServer } = await import('node:net');
    const { createHash } = await import('node:crypto');
    const name = `\0richie-dev-takeover-${createHash('sha256').update(lock).digest('hex').slice(0, 40)}`;
    const server = createServer();
    const held = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen({ path: name }, () => resolve(true));
    });
    if (!held) return;
    try {
      await work();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
    return;
  }
  const guard = `${lock}.takeover`;
  if (!(await tryCreate(guard, await ownerToken(process.pid)))) {
    const other = await readOwner(guard);
    if (other && (await isStale(other))) await unlink(guard).catch(() => undefined);
    return;
  }
  try {
    await work();
  } finally {
    await unlink(guard).catch(() => undefined);
  }
}

/** "pid starttime" on Linux, "pid" elsewhere. */
async function ownerToken(pid: number): Promise<string> {
  const start = await startTimeOf(pid);
  return start === undefined ? String(pid) : `${pid} ${start}`;
}

/** The process start time (clock ticks since boot, field 22 of /proc/<pid>/stat), Linux only. */
async function startTimeOf(pid: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces and parentheses: count from its closing one.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19];
  } catch {
    return undefined;
  }
}

export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
