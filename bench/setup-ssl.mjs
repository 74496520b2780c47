// Cold setup-ssl (a fresh CA root, both hosts, the TLS config) against mkcert with a fresh
// CAROOT, as whole processes, alternating: the ratio is the median of the per-pair ratios, so
// a slow moment of the machine weighs on both sides of one pair. The default (ECDSA P-256) has
// the target; the RSA profile (mkcert's own key sizes) is printed beside it for information.
// Then the warm re-run of the whole process.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, time } from './_util.mjs';

const cli = fileURLToPath(new URL('../dist/bin/richie-dev.js', import.meta.url));
const pairs = Math.max(15, Number(process.env.BENCH_RUNS ?? 21));
const TARGET = 0.3;
const work = mkdtempSync(join(tmpdir(), 'bench-setup-ssl-'));
// No NSS databases and the same environment for both tools: only certificate work is compared.
const env = { ...process.env, HOME: work, TRUST_STORES: 'nss', NO_COLOR: '1' };

// NODE_EXTRA_CA_CERTS (set on some machines for a proxy's CA) makes every Node process load
// that bundle at start, before any of richie-dev's code runs: about 50 ms for a 140-certificate
// bundle, which Go's mkcert does not pay. When it is set, the ECDSA pairs run again without it,
// for information; the verdict stays on the environment as it is.
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...withoutExtraCa } = env;
const ours = (dir, flags = [], base = env) =>
  time(process.execPath, [cli, '--project-dir', join(dir, 'project'), '--quiet', 'setup-ssl', '--no-trust', ...flags], { env: { ...base, CAROOT: join(dir, 'ours') } });
const mkcert = (dir, base = env) =>
  time('mkcert', ['richie.local.dev', 'edx.local.dev', 'localhost', '127.0.0.1', '::1'], { env: { ...base, CAROOT: join(dir, 'mkcert') }, cwd: work });

function line(label, oursMs, mkcertMs, target) {
  const ratios = oursMs.map((ms, i) => ms / mkcertMs[i]);
  const ratio = median(ratios);
  const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
  const verdict = target === undefined ? '(for information)' : `(target <= ${target}: ${ratio <= target ? 'met' : 'NOT met'})`;
  console.log(
    `${label.padEnd(28)} ours ${median(oursMs).toFixed(0).padStart(5)} ms   mkcert ${median(mkcertMs).toFixed(0).padStart(5)} ms   median pair ratio ${ratio.toFixed(2)} [${spread}] over ${ratios.length} pairs ${verdict}`,
  );
  return ratio;
}

try {
  const fresh = (name, i) => {
    const dir = join(work, `${name}-${i}`);
    return dir;
  };
  const ecdsa = { ours: [], mkcert: [] };
  const rsa = { ours: [], mkcert: [] };
  // Alternate which side runs first, so neither always gets the warmer cache.
  const pair = (into, i, runOurs, runMkcert) => {
    if (i % 2) {
      into.mkcert.push(runMkcert());
      into.ours.push(runOurs());
    } else {
      into.ours.push(runOurs());
      into.mkcert.push(runMkcert());
    }
  };
  for (let i = 0; i < pairs; i++) {
    const a = fresh('ecdsa', i);
    pair(ecdsa, i, () => ours(a), () => mkcert(a));
    const b = fresh('rsa', i);
    pair(rsa, i, () => ours(b, ['--key-type', 'rsa']), () => mkcert(b));
  }
  line('cold setup-ssl (ECDSA P-256)', ecdsa.ours, ecdsa.mkcert, TARGET);
  line('cold setup-ssl (RSA profile)', rsa.ours, rsa.mkcert);
  if (extraCaCerts) {
    const plain = { ours: [], mkcert: [] };
    for (let i = 0; i < pairs; i++) {
      const c = fresh('plain', i);
      pair(plain, i, () => ours(c, [], withoutExtraCa), () => mkcert(c, withoutExtraCa));
    }
    line('  same, NODE_EXTRA_CA_CERTS unset', plain.ours, plain.mkcert);
  }

  const warm = [];
  for (let i = 0; i < pairs; i++) warm.push(ours(fresh('ecdsa', 0)));
  const warmMs = median(warm);
  console.log(`${'warm re-run (whole process)'.padEnd(28)} ours ${warmMs.toFixed(0).padStart(5)} ms   (target < 300 ms: ${warmMs < 300 ? 'met' : 'NOT met'})`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
