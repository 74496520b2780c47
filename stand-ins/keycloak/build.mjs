// Bundles the Keycloak stand-in (stand-ins/keycloak/server.mjs and oidc-provider with its
// dependencies, from node_modules: no network) into one file for the demo-keycloak image.
// Output (git-ignored): templates/images/demo-keycloak/server.mjs, and the licences of every
// bundled package in templates/images/demo-keycloak/server.LICENSES.txt.
import { build } from 'esbuild';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const OUT_DIR = join(ROOT, 'templates', 'images', 'demo-keycloak');

export async function buildKeycloak() {
  const result = await build({
    entryPoints: [join(ROOT, 'stand-ins', 'keycloak', 'server.mjs')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outfile: join(OUT_DIR, 'server.mjs'),
    metafile: true,
    // Minified (names kept: oidc-provider's errors and classes are told apart by name) to keep
    // the installed package small (bench/install).
    minify: true,
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    // Some dependencies are CommonJS and require() Node's modules: give the ESM bundle a require.
    banner: { js: "import { createRequire as __richieDevCreateRequire } from 'node:module'; const require = __richieDevCreateRequire(import.meta.url);" },
  });
  const packages = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
    if (match) packages.add(match[1]);
  }
  const sections = [...packages].sort().map((dir) => {
    const abs = join(ROOT, dir);
    const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8'));
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'license.md'].map((f) => join(abs, f)).find(existsSync);
    const text = file ? readFileSync(file, 'utf8').trim() : `${pkg.license} licence (the package ships no licence file; see ${pkg.repository?.url ?? pkg.homepage ?? pkg.name}).`;
    return `${pkg.name} ${pkg.version} — ${pkg.license}\n${'-'.repeat(60)}\n${text}\n`;
  });
  writeFileSync(join(OUT_DIR, 'server.LICENSES.txt'), `Third-party code in server.mjs:\n\n${sections.join('\n')}`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildKeycloak();
