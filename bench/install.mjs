// Installing the package as a user would (issue 21, item 4): `npm pack`, then
// `npm install -g --prefix <empty folder> <tarball>` with npm's cache warm and no network
// (--offline), side by side with
// - the floor: npm installing a one-file package the same way (npm's own start-up and work);
// - the baseline: the package as it was packed before it was bundled (BENCH_BASELINE, a commit:
//   eb66d21 by default), built from `git archive` of that commit with this checkout's
//   node_modules, and cached in the temp folder by commit.
// Runs alternate (floor, ours, baseline), BENCH_RUNS times (default 5), after one untimed
// install of each that warms the cache (--prefer-offline: the network only for what it lacks).
// Targets: within 5x the floor, at most 3 packages, at most 5 MB installed, no npm warning.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './_util.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const runs = Number(process.env.BENCH_RUNS ?? 5);
const baselineCommit = process.env.BENCH_BASELINE ?? 'eb66d21';
const TARGET = { ratio: 5, packages: 3, bytes: 5 * 1024 * 1024, warnings: 0 };
const work = mkdtempSync(join(tmpdir(), 'bench-install-'));
// npm run sets npm_* variables (npm_config_local_prefix, ...) that a nested npm would read as its config.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
env.NO_COLOR = '1';

function run(file, args, options = {}) {
  const result = spawnSync(file, args, { encoding: 'utf8', env, ...options });
  if (result.status !== 0) throw new Error(`${file} ${args.join(' ')} failed (${result.status}):\n${result.stderr}`);
  return result;
}

/** `npm pack` in `dir` (its prepack and prepare run, as for anyone packing it); the tarball's path. */
function pack(dir, into) {
  mkdirSync(into, { recursive: true });
  const { stdout } = run('npm', ['pack', '--pack-destination', into, '--loglevel', 'error', '--no-update-notifier'], { cwd: dir });
  return join(into, stdout.trim().split('\n').pop());
}

function floorTarball() {
  const dir = join(work, 'floor-src');
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'install-floor', version: '1.0.0', bin: { 'install-floor': 'index.js' } }));
  writeFileSync(join(dir, 'index.js'), '#!/usr/bin/env node\nconsole.log("floor");\n');
  return pack(dir, join(work, 'tarballs'));
}

function baselineTarball() {
  const cached = join(tmpdir(), `richie-dev-bench-install-${baselineCommit}.tgz`);
  if (existsSync(cached)) return cached;
  const dir = join(work, 'baseline-src');
  mkdirSync(dir);
  run('sh', ['-c', `git -C "${root}" archive "${baselineCommit}" | tar -x -C "${dir}"`]);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  const tarball = pack(dir, join(work, 'baseline-tarball'));
  renameSync(tarball, cached);
  return cached;
}

function bytesUnder(path) {
  const info = statSync(path, { throwIfNoEntry: false });
  if (!info) return 0;
  if (!info.isDirectory()) return info.size;
  return readdirSync(path).reduce((sum, name) => sum + bytesUnder(join(path, name)), 0);
}

/** One install into an empty prefix: time, packages npm added, bytes on disk, npm's warnings. */
function install(tarball, mode) {
  const prefix = join(work, `prefix-${Math.random().toString(36).slice(2)}`);
  const start = process.hrtime.bigint();
  const result = spawnSync('npm', ['install', '--global', '--prefix', prefix, mode, '--no-audit', '--no-fund', '--no-update-notifier', tarball], { encoding: 'utf8', env, cwd: work });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`npm install ${tarball} failed (${result.status}):\n${result.stderr}`);
  const packages = Number(/added (\d+) package/.exec(result.stdout)?.[1] ?? NaN);
  const warnings = result.stderr.split('\n').filter((l) => /^npm warn/i.test(l));
  const bytes = bytesUnder(prefix);
  rmSync(prefix, { recursive: true, force: true });
  return { ms, packages, bytes, warnings };
}

const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

try {
  const sides = [
    { name: 'npm floor (one file)', tarball: floorTarball() },
    { name: 'richie-dev (this tree)', tarball: pack(root, join(work, 'tarballs')) },
  ];
  try {
    sides.push({ name: `richie-dev at ${baselineCommit}`, tarball: baselineTarball() });
  } catch (error) {
    console.log(`baseline ${baselineCommit}: not packed (${error.message.split('\n')[0]})`);
  }
  for (const side of sides) {
    side.warm = install(side.tarball, '--prefer-offline');
    side.times = [];
  }
  for (let i = 0; i < runs; i++) {
    for (const side of sides) {
      const r = install(side.tarball, '--offline');
      side.times.push(r.ms);
      side.last = r;
    }
  }
  const floor = median(sides[0].times);
  for (const side of sides) {
    const { packages, bytes, warnings } = side.last;
    console.log(
      `${side.name.padEnd(26)} ${median(side.times).toFixed(0).padStart(6)} ms (${side.times.map((t) => (t / 1000).toFixed(1)).join(' ')} s)   ratio to floor ${(median(side.times) / floor).toFixed(1).padStart(4)}   ${String(packages).padStart(3)} packages   ${mb(bytes).padStart(8)}   ${warnings.length} warnings   tarball ${mb(statSync(side.tarball).size)}`,
    );
    for (const w of warnings.slice(0, 6)) console.log(`    ${w}`);
  }
  const ours = sides[1];
  const ratio = median(ours.times) / floor;
  const checks = [
    [`within ${TARGET.ratio}x the floor`, ratio <= TARGET.ratio, `${ratio.toFixed(2)}x`],
    [`at most ${TARGET.packages} packages`, ours.last.packages <= TARGET.packages, `${ours.last.packages}`],
    [`at most ${mb(TARGET.bytes)} installed`, ours.last.bytes <= TARGET.bytes, mb(ours.last.bytes)],
    ['no npm warning', ours.last.warnings.length + ours.warm.warnings.length === TARGET.warnings, `${ours.last.warnings.length + ours.warm.warnings.length}`],
  ];
  for (const [what, met, seen] of checks) console.log(`  target ${what.padEnd(30)} ${seen.padStart(8)}  ${met ? 'met' : 'NOT met'}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
