/**
 * This machine's runtime layer remembers ldd's answer in the user's cache dir: the fast path is
 * taken when nothing ldd depends on changed, and refused when its key differs, when the cache
 * does not parse, or when a remembered library is gone. Which path ran is read from a logging
 * `ldd` first on PATH that runs the real one.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hostRuntime } from '../../src/stack/host-runtime.js';
import { hasTool, removeDir, tempDir } from '../helpers.js';

describe("the runtime layer's libraries, remembered", () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  const bin = join(root, 'bin');
  const log = join(root, 'ldd.log');
  const cache = join(root, 'cache', 'richie-dev', 'runtime-libraries.json');
  mkdirSync(bin);
  writeFileSync(join(bin, 'ldd'), `#!/bin/sh\necho "$*" >> '${log}'\nexec /usr/bin/ldd "$@"\n`);
  chmodSync(join(bin, 'ldd'), 0o755);
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, XDG_CACHE_HOME: join(root, 'cache') };
  const parts = { node: true, shell: true } as const;
  const lddRuns = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).length : 0);
  const libraries = (runtime: Awaited<ReturnType<typeof hostRuntime>>) => runtime.entries.filter((e) => e.type === 'file' && e.path.includes('.so')).map((e) => e.path);

  it('ldd runs once; the same machine again answers from the cache, with the same layer', async () => {
    expect(hasTool('/usr/bin/ldd')).toBe(true);
    const first = await hostRuntime(parts, { env });
    expect(lddRuns()).toBe(1);
    expect(libraries(first).length).toBeGreaterThan(0);
    expect(JSON.parse(readFileSync(cache, 'utf8')).libraries).toContain(`/${libraries(first).find((p) => p.includes('libc.so'))}`);
    const again = await hostRuntime(parts, { env });
    expect(lddRuns()).toBe(1);
    expect(again).toEqual(first);
  });

  it('refused for another key (an LD_ variable ldd honours), a cache that does not parse, or a library that is gone', async () => {
    const before = lddRuns();
    await hostRuntime(parts, { env: { ...env, LD_LIBRARY_PATH: join(root, 'nothing-here') } });
    expect(lddRuns()).toBe(before + 1);
    // Back to the first key: the cache holds one answer, the last one.
    const first = await hostRuntime(parts, { env });
    expect(lddRuns()).toBe(before + 2);

    writeFileSync(cache, '{ not json');
    expect(await hostRuntime(parts, { env })).toEqual(first);
    expect(lddRuns()).toBe(before + 3);

    const remembered = JSON.parse(readFileSync(cache, 'utf8'));
    writeFileSync(cache, JSON.stringify({ ...remembered, libraries: [...remembered.libraries, '/nonexistent/libgone.so.1'] }));
    const redone = await hostRuntime(parts, { env });
    expect(lddRuns()).toBe(before + 4);
    expect(redone).toEqual(first);
    expect(JSON.parse(readFileSync(cache, 'utf8')).libraries).not.toContain('/nonexistent/libgone.so.1');
  });

  it('a cache dir it cannot write is no error: ldd runs each time', async () => {
    const blocked = join(root, 'blocked');
    writeFileSync(blocked, 'a file where the cache dir would be');
    const runs = lddRuns();
    const blockedEnv = { ...env, XDG_CACHE_HOME: blocked };
    await hostRuntime(parts, { env: blockedEnv });
    await hostRuntime(parts, { env: blockedEnv });
    expect(lddRuns()).toBe(runs + 2);
  });
});
