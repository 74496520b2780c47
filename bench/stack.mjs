// The same three-service file, up with richie-dev and with Debian's docker-compose v1,
// alternating: cold up until every service is healthy, a no-op re-run on the healthy stack,
// and down. Baseline named in the issue: compose v1, ~1.1 s cold, 0.42 s no-op, 20.8 s down
// "for three containers whose main process ignores SIGTERM". Targets (issue 13): cold up and
// no-op re-run <= 0.5 x compose v1, down <= 0.1 x on the no-init file. The no-op re-run is
// answered by the up record (src/stack/record.ts) when nothing it read has changed.
//
// That file is docker-compose.richie.yml without its `init` and `stop_grace_period` lines:
// the apps (node) and nginx then run as PID 1, where SIGTERM without a handler is ignored,
// and compose waits its default 10 s grace, tier by tier. richie-dev runs services with an
// init process and a 1 s grace unless the file says otherwise. A last line measures down on
// the shipped file as it is, where compose gets the same init and grace.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, report, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/bin/richie-dev.js', import.meta.url));
const shipped = fileURLToPath(new URL('../docker-compose.richie.yml', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'bench-stack-'));
const dir = join(work, 'benchstack');
mkdirSync(dir);
// The shared network gets a name of the bench's own: compose's down fails ("has active
// endpoints") when another stack on the machine uses edx-lms-outside.
const shippedText = readFileSync(shipped, 'utf8').replace('name: edx-lms-outside', 'name: richie-dev-bench-outside');
const shippedCopy = join(dir, 'shipped.yml');
writeFileSync(shippedCopy, shippedText);
const plain = join(dir, 'stack.yml');
writeFileSync(plain, shippedText.replace(/^ *(init|stop_grace_period):.*\n/gm, ''));

const config = (stackFile) => writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19070 }, lms: { port: 19073 }, ...(stackFile ? { stackFile } : {}) }));
const env = { ...process.env, CAROOT: join(work, 'ca'), NO_COLOR: '1' };
const composeEnv = {
  ...env,
  RICHIE_DEV_STATE_DIR: join(dir, '.richie-dev'),
  RICHIE_DEV_CATALOG_PORT: '19070',
  RICHIE_DEV_LMS_PORT: '19073',
};
const ours = (args) => time(process.execPath, [cli, '--project-dir', dir, '--quiet', ...args], { env });
const compose = (file, args) => time('docker-compose', ['-p', 'benchcompose', '-f', file, ...args], { env: composeEnv });

/** Docker's own health for every service of a project (both tools' no-op runs on a healthy stack). */
function healthy(project) {
  const ids = spawnSync('docker', ['ps', '-q', '--filter', `label=com.docker.compose.project=${project}`]).stdout.toString().split('\n').filter(Boolean);
  if (ids.length < 3) return false;
  const states = spawnSync('docker', ['inspect', '--format', '{{.State.Health.Status}}', ...ids]).stdout.toString();
  return states.split('\n').filter(Boolean).every((s) => s === 'healthy');
}
const waitHealthy = (project) => {
  while (!healthy(project)) spawnSync('sleep', ['0.05']);
};

function composeUp(file) {
  const start = performance.now();
  compose(file, ['up', '-d']);
  waitHealthy('benchcompose');
  return performance.now() - start;
}

const results = { coldOurs: [], coldCompose: [], noopOurs: [], noopCompose: [], downOurs: [], downCompose: [], shippedOurs: [], shippedCompose: [] };
try {
  // Render once and build the images before timing: both tools then find them present.
  config('stack.yml');
  ours(['run']);
  ours(['down', '--volumes']);
  for (let i = 0; i < runs; i++) {
    results.coldOurs.push(ours(['run']));
    waitHealthy('benchstack');
    results.noopOurs.push(ours(['run']));
    results.downOurs.push(ours(['down', '--volumes']));
    results.coldCompose.push(composeUp(plain));
    results.noopCompose.push(compose(plain, ['up', '-d']));
    results.downCompose.push(compose(plain, ['down', '--volumes']));
  }
  config('shipped.yml');
  for (let i = 0; i < runs; i++) {
    ours(['run']);
    results.shippedOurs.push(ours(['down', '--volumes']));
    composeUp(shippedCopy);
    results.shippedCompose.push(compose(shippedCopy, ['down', '--volumes']));
  }
  report('cold up until healthy', results.coldOurs, results.coldCompose, 'compose', 0.5);
  report('no-op re-run', results.noopOurs, results.noopCompose, 'compose', 0.5);
  report('down', results.downOurs, results.downCompose, 'compose', 0.1);
  report('down, shipped file (info)', results.shippedOurs, results.shippedCompose, 'compose');
  console.log(`(medians of ${runs} runs each)`);
} finally {
  spawnSync('docker-compose', ['-p', 'benchcompose', '-f', plain, 'down', '--volumes', '-t', '0'], { env: composeEnv, stdio: 'ignore' });
  spawnSync(process.execPath, [cli, '--project-dir', dir, 'down', '--volumes'], { env, stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
