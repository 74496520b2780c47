// run-ssl from nothing — no CA, no certificates, no containers, and no image richie-dev built
// on the engine — to the enrollment-capable page answering over TLS; then the same with the
// images already there, and a warm re-run. Targets: first run under 5 s, warm under 1 s.
// The hosts entries go to a scratch file: the machine's /etc/hosts is left alone.
//
// "No image" is checked, not assumed: before each first run richie-dev's own images (the
// runtime and the three built-in images) are removed, and the run is reported as NOT cold if
// any image richie-dev built stays (in use by a container, or a test's namespace sharing the
// runtime layer). Run it on a quiet engine, or point DOCKER_HOST at a private one. Images of
// other tools are never touched.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/bin/richie-dev.js', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 3);
const work = mkdtempSync(join(tmpdir(), 'bench-first-run-'));
const dir = join(work, 'firstrun');
mkdirSync(dir);
writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 19270 }, lms: { port: 19273 } }));
writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
const env = { ...process.env, CAROOT: join(work, 'ca'), HOME: work, TRUST_STORES: 'nss', NO_COLOR: '1' };
const runSsl = () => time(process.execPath, [cli, '--project-dir', dir, '--quiet', 'run-ssl', '--hosts-file', join(dir, 'hosts')], { env });
const cliQuiet = (...args) => spawnSync(process.execPath, [cli, '--project-dir', dir, ...args], { env, stdio: 'ignore' });

function docker(args) {
  const result = spawnSync('docker', args, { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').filter(Boolean);
}

/** The images richie-dev built on this engine, any namespace: [id, owner label] pairs. */
function builtImages() {
  const ids = [...new Set(docker(['images', '-q', '--no-trunc', '--filter', 'label=dev.richie.built-in']))];
  if (!ids.length) return [];
  return docker(['image', 'inspect', '--format', '{{.Id}} {{index .Config.Labels "dev.richie.built-in"}}', ...ids]).map((l) => l.split(' '));
}

/**
 * Remove richie-dev's own images (richie-dev/*, and older ones labelled with a bare name);
 * what stays: theirs in use by a container, and other namespaces' (a test's), which share the
 * runtime layer and so make the run not cold — reported, never removed.
 */
function removeOurImages() {
  const ours = builtImages().filter(([, owner]) => owner.startsWith('richie-dev/') || !owner.includes('/'));
  if (ours.length) spawnSync('docker', ['rmi', ...ours.map(([id]) => id)], { stdio: 'ignore', env });
  return builtImages();
}

function pageAnswers() {
  const page = spawnSync('curl', ['-sS', '--cacert', join(work, 'ca', 'rootCA.pem'), '--resolve', 'richie.local.dev:19270:127.0.0.1', 'https://richie.local.dev:19270/en/courses/demo/']);
  return page.status === 0 && page.stdout.toString().includes('id="enroll"');
}

/** From no CA, no state and no containers (and, when asked, no images) to the page over TLS. */
function fromNothing(withoutImages) {
  cliQuiet('down', '--volumes');
  rmSync(join(work, 'ca'), { recursive: true, force: true });
  rmSync(join(dir, '.richie-dev'), { recursive: true, force: true });
  const left = withoutImages ? removeOurImages() : [];
  const start = performance.now();
  runSsl();
  if (!pageAnswers()) throw new Error('the course page did not answer over TLS after run-ssl');
  return { ms: performance.now() - start, cold: left.length === 0 };
}

const first = [];
const imagesThere = [];
const warm = [];
let allCold = true;
try {
  for (let i = 0; i < runs; i++) {
    const noImages = fromNothing(true);
    allCold &&= noImages.cold;
    first.push(noImages.ms);
    imagesThere.push(fromNothing(false).ms);
    warm.push(runSsl());
  }
  const line = (label, ms, target) => console.log(`${label.padEnd(40)} ${ms.toFixed(0).padStart(6)} ms${target ? `   (target < ${target} ms: ${ms < target ? 'met' : 'NOT met'})` : ''}`);
  line(allCold ? 'first run-ssl, engine without our images' : 'first run-ssl (NOT cold: images in use)', median(first), 5000);
  line('run-ssl from nothing, images present', median(imagesThere));
  line('warm re-run', median(warm), 1000);
} finally {
  cliQuiet('down', '--volumes');
  rmSync(work, { recursive: true, force: true });
}
