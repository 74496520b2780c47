// The same three-service file, up with richie-dev and with Debian's docker-compose v1,
// alternating: cold up until every service is healthy, a no-op re-run, and down.
// Baseline named in the issue: compose v1 (~1.1 s cold, 0.42 s no-op, 20.8 s down for
// containers ignoring SIGTERM; here both tools read the same file, init and grace period).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const file = fileURLToPath(new URL('../docker-compose.richie.yml', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'bench-stack-'));
const dir = join(work, 'benchstack');
mkdirSync(dir);
writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19070 }, lms: { port: 19073 } }));
const env = { ...process.env, CAROOT: join(work, 'ca'), NO_COLOR: '1' };
const composeEnv = {
  ...env,
  RICHIE_DEV_STATE_DIR: join(dir, '.richie-dev'),
  RICHIE_DEV_CATALOG_PORT: '19070',
  RICHIE_DEV_LMS_PORT: '19073',
};
const ours = (args) => time(process.execPath, [cli, '--project-dir', dir, '--quiet', ...args], { env });
const compose = (args) => time('docker-compose', ['-p', 'benchcompose', '-f', file, ...args], { env: composeEnv });

function healthy(project) {
  const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.toString().split('\n').filter(Boolean);
  if (ids.length < 3) return false;
  const states = spawnSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', ...ids]).stdout.toString();
  return states.split('\n').filter(Boolean).every((s) => s === 'healthy');
}

function composeUp() {
  const start = performance.now();
  compose(['up', '-d']);
  while (!healthy('benchcompose')) spawnSync('sleep', ['0.05']);
  return performance.now() - start;
}

const results = { coldOurs: [], coldCompose: [], noopOurs: [], noopCompose: [], downOurs: [], downCompose: [] };
try {
  // Render once and build the images before timing: both tools then find them present.
  ours(['run']);
  ours(['down', '--volumes']);
  for (let i = 0; i < runs; i++) {
    results.coldOurs.push(ours(['run']));
    results.noopOurs.push(ours(['run']));
    results.downOurs.push(ours(['down', '--volumes']));
    results.coldCompose.push(composeUp());
    results.noopCompose.push(compose(['up', '-d']));
    results.downCompose.push(compose(['down', '--volumes']));
  }
  report('cold up until healthy', results.coldOurs, results.coldCompose, 'compose', 1.0);
  report('no-op re-run', results.noopOurs, results.noopCompose, 'compose', 0.5);
  report('down', results.downOurs, results.downCompose, 'compose', 0.1);
  console.log(`(medians of ${runs} runs each; down median ours ${median(results.downOurs).toFixed(0)} ms)`);
} finally {
  spawnSync('docker-compose', ['-p', 'benchcompose', '-f', file, 'down', '--volumes'], { env: composeEnv, stdio: 'ignore' });
  spawnSync(process.execPath, [cli, '--project-dir', dir, 'down', '--volumes'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
