// Cold setup-ssl (new CA root, both hosts) against mkcert with a fresh CAROOT, alternating,
// then the warm re-run of the whole process. Baseline named in the issue: mkcert, ~0.75 s here.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 9);
const work = mkdtempSync(join(tmpdir(), 'bench-setup-ssl-'));
// No NSS databases and the same environment for both tools: only certificate work is compared.
const env = { ...process.env, HOME: work, TRUST_STORES: 'nss', NO_COLOR: '1' };

const ours = [];
const mkcert = [];
try {
  for (let i = 0; i < runs; i++) {
    const dir = join(work, `run-${i}`);
    ours.push(time(process.execPath, [cli, '--project-dir', join(dir, 'project'), '--quiet', 'setup-ssl', '--no-trust'], { env: { ...env, CAROOT: join(dir, 'ours') } }));
    mkcert.push(
      time('mkcert', ['richie.local.dev', 'edx.local.dev', 'localhost', '127.0.0.1', '::1'], {
        env: { ...env, CAROOT: join(dir, 'mkcert') },
        cwd: work,
      }),
    );
  }
  report('cold setup-ssl', ours, mkcert, 'mkcert', 0.75);

  const warm = [];
  const dir = join(work, 'run-0');
  for (let i = 0; i < runs; i++) {
    warm.push(time(process.execPath, [cli, '--project-dir', join(dir, 'project'), '--quiet', 'setup-ssl', '--no-trust'], { env: { ...env, CAROOT: join(dir, 'ours') } }));
  }
  const warmMs = median(warm);
  console.log(`${'warm re-run (whole process)'.padEnd(28)} ours ${warmMs.toFixed(0).padStart(6)} ms   (target < 300 ms: ${warmMs < 300 ? 'met' : 'NOT met'})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
