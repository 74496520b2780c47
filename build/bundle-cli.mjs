// Build step (npm run build, after tsc): the CLI as one ES module and its lazily loaded
// chunks, in dist/bin/ (the package's bin). Node 20's ES module loader spends about a
// millisecond per module on resolving and linking, and setup-ssl's graph is some 50 modules
// and packages: bundled, a cold run loads a handful of files. The modules tsc wrote in dist/
// stay for what imports them (build steps, benchmarks).
//
// dist/bin/ is two levels below the package root, as every module in dist/<folder>/ is, so the
// paths our code takes from import.meta.url (templates, package.json, the stack file) hold.
// dockerode stays a package: it loads optional native modules (ssh2's cpu-features).
import { build } from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/bin`;
const result = await build({
  absWorkingDir: root,
  entryPoints: { 'richie-dev': 'dist/cli.js' },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['dockerode'],
  logLevel: 'warning',
  metafile: true,
  // CommonJS packages bundled into an ES module still call require() and read __filename
  // (write-file-atomic names its temp files with it): give them both.
  define: { __filename: '__richieDevFilename' },
  banner: {
    js: [
      "import { createRequire as __richieDevCreateRequire } from 'node:module';",
      "import { fileURLToPath as __richieDevFileURLToPath } from 'node:url';",
      'const require = __richieDevCreateRequire(import.meta.url);',
      'const __richieDevFilename = __richieDevFileURLToPath(import.meta.url);',
    ].join('\n'),
  },
});
// Chunks of an earlier build go only now: the folder is never empty, so a richie-dev already
// running (or started meanwhile) still finds the chunks it loads lazily.
const written = new Set(Object.keys(result.metafile.outputs).map((file) => join(root, file)));
for (const file of readdirSync(outdir)) {
  if (!written.has(join(outdir, file))) rmSync(join(outdir, file), { force: true });
}
