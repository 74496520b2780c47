// hosts add + remove on a 250,000-line hosts file, against two hostile.set calls on the same
// file (the baseline: ~0.56 s here, and hostile drops the final newline). In-process,
// alternating, on a fresh copy each time.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addBlock, removeBlock } from '../dist/hosts/index.js';
import { report } from './_util.mjs';

const require = createRequire(import.meta.url);
const hostile = require('hostile');
const runs = Number(process.env.BENCH_RUNS ?? 9);
const work = mkdtempSync(join(tmpdir(), 'bench-hosts-'));
const lines = ['127.0.0.1 localhost', '::1 localhost ip6-localhost'];
for (let i = 0; i < 250_000; i++) lines.push(`0.0.0.0 ads${i}.tracker${i % 97}.example`);
const content = `${lines.join('\n')}\n`;
const file = join(work, 'hosts');
const target = { file, projectDir: '/home/dev/richie', hosts: ['richie.local.dev', 'edx.local.dev'] };

const ours = [];
const theirs = [];
try {
  for (let i = 0; i < runs; i++) {
    writeFileSync(file, content);
    let start = performance.now();
    await addBlock(target);
    await removeBlock(target);
    ours.push(performance.now() - start);

    writeFileSync(file, content);
    hostile.HOSTS = file;
    start = performance.now();
    hostile.set('127.0.0.1', 'richie.local.dev');
    hostile.set('::1', 'richie.local.dev');
    theirs.push(performance.now() - start);
  }
  report('hosts add+remove, 250k lines', ours, theirs, 'hostile', 0.2);
} finally {
  rmSync(work, { recursive: true, force: true });
}
