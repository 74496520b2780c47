// Build step (npm run build, after tsc): the CLI as one ES module and its lazily loaded
// chunks, in dist/bin/ (the package's bin). Node 20's ES module loader spends about a
// millisecond per module on resolving and linking, and setup-ssl's graph is some 50 modules
// and packages: bundled, a cold run loads a handful of files. The modules tsc wrote in dist/
// stay for what imports them (build steps, benchmarks).
//
// dist/bin/ is two levels below the package root, as every module in dist/<folder>/ is, so the
// paths our code takes from import.meta.url (templates, package.json, the stack file) hold.
//
// Every package is in the bundle: the packed package has no dependencies to install (bench/install).
// Our code loads a few CommonJS packages lazily through createRequire(import.meta.url)('x')
// (tldts, node-forge's ASN.1 module, Handlebars' runtime, @balena/dockerignore), which esbuild
// does not follow: the `inline-require` plugin below turns each such call with a package
// name into a plain require('x'), which esbuild bundles (and still runs only when reached).
// The build then fails if any output still loads something other than Node's own modules or
// our own files, so a package left out is a build error, not a user's "Cannot find module".
import { build } from 'esbuild';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** A package specifier: not relative, not absolute, not a node: builtin. */
const PACKAGE = String.raw`[a-z@][\w@./-]*`;

function inlineRequire() {
  // `load('pkg')` where `load = createRequire(import.meta.url)`, or createRequire(import.meta.url)('pkg').
  const call = new RegExp(String.raw`(?:\b(\w+)|createRequire\(import\.meta\.url\))\((['"])(${PACKAGE})\2\)`, 'g');
  return {
    name: 'inline-require',
    setup(b) {
      b.onLoad({ filter: /[\\/]dist[\\/].*\.js$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        const loaders = new Set([...text.matchAll(/(?:const|let|var)\s+(\w+)\s*=\s*createRequire\(import\.meta\.url\)/g)].map((m) => m[1]));
        const contents = text.replace(call, (whole, name, _quote, spec) => (name === undefined || loaders.has(name) ? `require(${JSON.stringify(spec)})` : whole));
        return { contents, loader: 'js' };
      });
    },
  };
}

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
  plugins: [inlineRequire()],
  // Minified with the functions' and classes' names kept, so a stack trace still reads; the
  // installed package stays small (bench/install: ≤ 5 MB).
  minify: true,
  keepNames: true,
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
// Nothing outside the bundle but Node's own modules.
const builtin = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
const leftOut = new Set();
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  for (const { path, external } of output.imports) if (external && !builtin.has(path)) leftOut.add(`${file}: ${path}`);
  const text = readFileSync(join(root, file), 'utf8');
  for (const m of text.matchAll(new RegExp(String.raw`\b(?:require|import)\((['"])(${PACKAGE})\1\)`, 'g'))) if (!builtin.has(m[2])) leftOut.add(`${file}: ${m[2]}`);
}
if (leftOut.size) {
  console.error(`bundle-cli: the bundle still loads packages at run time:\n  ${[...leftOut].join('\n  ')}`);
  process.exit(1);
}

// Chunks of an earlier build go only now: the folder is never empty, so a richie-dev already
// running (or started meanwhile) still finds the chunks it loads lazily.
const written = new Set(Object.keys(result.metafile.outputs).map((file) => join(root, file)));
for (const file of readdirSync(outdir)) {
  if (!written.has(join(outdir, file))) rmSync(join(outdir, file), { force: true });
}
