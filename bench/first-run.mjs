// run-ssl from nothing (no CA, no certificates, no containers; images already built) to the
// enrollment-capable page answering over TLS, then a warm re-run. Targets: cold under 10 s,
// warm under 1 s. The hosts entries go to a scratch file: the machine's /etc/hosts is left alone.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'bench-first-run-'));
const dir = join(work, 'firstrun');
mkdirSync(dir);
writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19270 }, lms: { port: 19273 } }));
writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
const env = { ...process.env, CAROOT: join(work, 'ca'), HOME: work, TRUST_STORES: 'nss', NO_COLOR: '1' };
const runSsl = () => time(process.execPath, [cli, '--project-dir', dir, '--quiet', 'run-ssl', '--hosts-file', join(dir, 'hosts')], { env });

function pageAnswers() {
  const page = spawnSync('curl', ['-sS', '--cacert', join(work, 'ca', 'rootCA.pem'), '--resolve', 'richie.local.dev:19270:127.0.0.1', 'https://richie.local.dev:19270/en/courses/demo/']);
  return page.status === 0 && page.stdout.toString().includes('id="enroll"');
}

const cold = [];
const warm = [];
try {
  runSsl(); // builds the images if needed: "images already built"
  for (let i = 0; i < runs; i++) {
    spawnSync(process.execPath, [cli, '--project-dir', dir, 'down', '--volumes'], { env, stdio: 'ignore' });
    rmSync(join(work, 'ca'), { recursive: true, force: true });
    rmSync(join(dir, '.richie-dev'), { recursive: true, force: true });
    const start = performance.now();
    runSsl();
    if (!pageAnswers()) throw new Error('the course page did not answer over TLS after run-ssl');
    cold.push(performance.now() - start);
    warm.push(runSsl());
  }
  const c = median(cold);
  const w = median(warm);
  console.log(`${'cold run-ssl to the course page'.padEnd(34)} ${c.toFixed(0).padStart(6)} ms   (target < 10000 ms: ${c < 10_000 ? 'met' : 'NOT met'})`);
  console.log(`${'warm re-run'.padEnd(34)} ${w.toFixed(0).padStart(6)} ms   (target < 1000 ms: ${w < 1000 ? 'met' : 'NOT met'})`);
} finally {
  spawnSync(process.execPath, [cli, '--project-dir', dir, 'down', '--volumes'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
