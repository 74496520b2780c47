// hosts add + remove on a 250,000-line hosts file, against two hostile.set calls on the same
// file (the baseline: ~0.56 s, and hostile drops the final newline). In-process,
// alternating ours and hostile's, on a fresh copy of the file each time. Ours includes what
// hostile does not do: the lock, a second read under it, fsync, rename, the conflict search.
// Run after `npx tsc`: it imports from dist/.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addBlock, removeBlock } from '../dist/hosts/index.js';
import { median, report } from './_util.mjs';

const require = createRequire(import.meta.url);
const hostile = require('hostile');
const runs = Number(process.env.BENCH_RUNS ?? 11);
const work = mkdtempSync(join(tmpdir(), 'bench-hosts-'));
const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost'];
for (let i = 0; i < 250_000; i++) lines.push(`0.0.0.0 ads${i}.tracker${i % 97}.example`);
const content = Buffer.from(`${lines.join('\n')}\n`);
const file = join(work, 'hosts');
const target = { file, projectDir: '/home/dev/richie', hosts: ['richie.local.dev', 'edx.local.dev'] };

const ours = [];
const theirs = [];
const ratios = [];
let hostileDropsNewline = false;
try {
  for (let i = 0; i < runs; i++) {
    writeFileSync(file, content);
    let start = performance.now();
    await addBlock(target);
    await removeBlock(target);
    const mine = performance.now() - start;
    if (!readFileSync(file).equals(content)) throw new Error('add+remove did not give back the original file');

    writeFileSync(file, content);
    hostile.HOSTS = file;
    start = performance.now();
    hostile.set('127.0.0.1', 'richie.local.dev');
    hostile.set('::1', 'richie.local.dev');
    const base = performance.now() - start;
    hostileDropsNewline ||= readFileSync(file).at(-1) !== 0x0a;

    // The first pair warms up both (JIT, page cache) and is not counted.
    if (i === 0) continue;
    ours.push(mine);
    theirs.push(base);
    ratios.push(mine / base);
  }
  report('hosts add+remove, 250k lines', ours, theirs, 'hostile', 0.2);
  const ratio = median(ratios);
  console.log(`median of per-pair ratios ours/hostile: ${ratio.toFixed(3)} (target <= 0.2: ${ratio <= 0.2 ? 'met' : 'NOT met'})`);
  console.log(`hostile left the file without its final newline: ${hostileDropsNewline ? 'yes' : 'no'}`);
  process.exitCode = ratio <= 0.2 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
