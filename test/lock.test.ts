/**
 * The hosts lock across real processes: mutual exclusion even while many runs recover the
 * same stale lock at once, a dead or recycled pid is stale, a live holder is waited for.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LockBusyError, lockPath, withLock } from '../src/lock.js';
import { ROOT, removeDir, tempDir } from './helpers.js';

const dir = tempDir();
afterAll(() => removeDir(dir));

async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.on('exit', resolve));
  return child.pid!;
}

function startTime(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]!;
}

const WORKER = `
import { appendFileSync } from 'node:fs';
import { withLock } from ${JSON.stringify(join(ROOT, 'dist', 'lock.js'))};
const [target, log, startAt] = process.argv.slice(1);
// All workers start at one instant, so they find the stale lock together.
while (Date.now() < Number(startAt)) await new Promise((r) => setTimeout(r, 1));
await withLock(target, async () => {
  appendFileSync(log, 'in ' + process.pid + '\\n');
  await new Promise((r) => setTimeout(r, 5));
  appendFileSync(log, 'out ' + process.pid + '\\n');
});
`;

function worker(target: string, log: string, startAt: number): Promise<number | null> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', WORKER, target, log, String(startAt)], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', resolve));
}

describe('the hosts lock', () => {
  it.each([1, 2, 3, 4])('20 processes recovering the same stale lock at one instant still take turns (round %d)', async (round) => {
    const target = join(dir, `hosts-turns-${round}`);
    const log = join(dir, `turns-${round}.log`);
    writeFileSync(target, '');
    writeFileSync(log, '');
    // A lock left by a run killed with SIGKILL; in the last round, one whose pid was recycled.
    writeFileSync(lockPath(target), round === 4 ? `${process.pid} 1` : `${await deadPid()}`);
    const startAt = Date.now() + 1_500;
    const codes = await Promise.all(Array.from({ length: 20 }, () => worker(target, log, startAt)));
    expect(codes).toEqual(Array(20).fill(0));
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(40);
    for (let i = 0; i < lines.length; i += 2) {
      const pid = lines[i]!.split(' ')[1];
      expect([lines[i], lines[i + 1]]).toEqual([`in ${pid}`, `out ${pid}`]);
    }
    expect(existsSync(lockPath(target))).toBe(false);
  });

  it('a live pid with another start time is a recycled pid: the lock is stale', async () => {
    const target = join(dir, 'hosts-recycled');
    writeFileSync(lockPath(target), `${process.pid} 1`);
    expect(await withLock(target, async () => 'ran', { timeoutMs: 1_000 })).toBe('ran');
    expect(existsSync(lockPath(target))).toBe(false);
  });

  it('a live holder is waited for, then reported with its pid', async () => {
    const target = join(dir, 'hosts-live');
    const sleeper = spawn('sleep', ['30']);
    try {
      writeFileSync(lockPath(target), `${sleeper.pid} ${startTime(sleeper.pid!)}`);
      const started = Date.now();
      const error = await withLock(target, async () => 'ran', { timeoutMs: 400 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LockBusyError);
      expect((error as LockBusyError).pid).toBe(sleeper.pid);
      expect(Date.now() - started).toBeGreaterThanOrEqual(400);
      expect(readFileSync(lockPath(target), 'utf8')).toBe(`${sleeper.pid} ${startTime(sleeper.pid!)}`); // not ours to remove
    } finally {
      sleeper.kill('SIGKILL');
    }
  });

  it('an empty lock is one being written: waited for while fresh, stale once old', async () => {
    const target = join(dir, 'hosts-empty');
    writeFileSync(lockPath(target), '');
    await expect(withLock(target, async () => 'ran', { timeoutMs: 200 })).rejects.toBeInstanceOf(LockBusyError);
    const old = new Date(Date.now() - 10_000);
    utimesSync(lockPath(target), old, old);
    expect(await withLock(target, async () => 'ran', { timeoutMs: 1_000 })).toBe('ran');
  });

  it('releases the lock when the work throws', async () => {
    const target = join(dir, 'hosts-throws');
    await expect(withLock(target, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(existsSync(lockPath(target))).toBe(false);
  });
});
