// Bundles Richie's released front end (the `richie-education` package: its widgets, mounted by
// frontend/richie-widgets.tsx as its js/index.tsx mounts them) and compiles its stylesheet
// (scss/_main.scss, as its `build-sass` script does), for the demo catalog image. Runs from
// node_modules only: no network. Output (git-ignored):
//   templates/images/demo-catalog/static/richie-frontend.js
//   templates/images/demo-catalog/static/richie.css
//   templates/images/demo-catalog/static/richie-frontend.LICENSES.txt  (every bundled package's licence)
//
// Richie's sources import each other by bare paths under js/ (its tsconfig sets baseUrl: js);
// esbuild does not apply a tsconfig's baseUrl inside node_modules, so a small resolver does.
// Built as Richie's developers run it locally (NODE_ENV=development, with Richie's own
// js/settings/settings.dev.dist.ts as settings.dev.ts — the copy its comment asks for), which
// is what makes its `dummy` authentication log a demo user in.
import { build } from 'esbuild';
import { compile } from 'sass';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(ROOT, 'package.json'));
const RICHIE = dirname(require.resolve('richie-education/package.json'));
const RICHIE_JS = join(RICHIE, 'js');
const OUT_DIR = join(ROOT, 'templates', 'images', 'demo-catalog', 'static');
const { version: RICHIE_VERSION } = JSON.parse(readFileSync(join(RICHIE, 'package.json'), 'utf8'));

// Richie's widgets that the demo page never mounts: js/widgets/index.tsx loads each lazily, so
// in place of each a component that renders nothing (their code, and the packages only they
// import, stay out of the bundle and out of the install).
const UNUSED_WIDGETS = /^widgets\/(Dashboard|LanguageSelector|LtiConsumer|RootSearchSuggestField|Search|SearchSuggestField|Slider)$/;

const richieBaseUrl = {
  name: 'richie-base-url',
  setup(b) {
    b.onResolve({ filter: UNUSED_WIDGETS }, (args) => ({ path: args.path, namespace: 'unused-widget' }));
    b.onLoad({ filter: /.*/, namespace: 'unused-widget' }, () => ({ contents: 'export default () => null;', loader: 'js' }));
    b.onResolve({ filter: /^\.\/settings\.dev\.ts$/ }, (args) =>
      args.importer.startsWith(RICHIE_JS) ? { path: join(RICHIE_JS, 'settings', 'settings.dev.dist.ts') } : undefined,
    );
    b.onResolve({ filter: /^[a-zA-Z]/ }, (args) => {
      if (!args.importer.startsWith(RICHIE_JS) && !args.importer.startsWith(join(ROOT, 'frontend'))) return undefined;
      for (const suffix of ['.ts', '.tsx', '/index.ts', '/index.tsx', '.json', '']) {
        const candidate = join(RICHIE_JS, args.path + suffix);
        if (existsSync(candidate) && statSync(candidate).isFile()) return { path: candidate };
      }
      return undefined;
    });
  },
};

/** The directory of npm package `name` as the bundle would resolve it from Richie's sources. */
const packageDir = (name) => [join(RICHIE, 'node_modules', name), join(ROOT, 'node_modules', name)].find((dir) => existsSync(join(dir, 'package.json')));

// A package that package.json's "overrides" replaces by an empty one (a Joanie-only form or
// payment library: react-hook-form, yup, @mui/material...) is imported by code of Richie's that
// the demo never runs (the sale tunnel, address forms); in the bundle it is an empty module, so a
// subpath import of it resolves too. react-router is bundled for real: js/api/lms/joanie.ts reads
// every Joanie course run's link with its matchPath.
const overriddenAway = {
  name: 'overridden-away',
  setup(b) {
    b.onResolve({ filter: /^[@a-zA-Z]/ }, (args) => {
      const name = args.path.split('/').slice(0, args.path.startsWith('@') ? 2 : 1).join('/');
      const dir = packageDir(name);
      if (!dir || JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'empty-npm-package') return undefined;
      return { path: args.path, namespace: 'overridden-away' };
    });
    b.onLoad({ filter: /.*/, namespace: 'overridden-away' }, () => ({ contents: 'module.exports = {};', loader: 'js' }));
  },
};

export async function buildFrontend() {
  mkdirSync(OUT_DIR, { recursive: true });
  const result = await build({
    entryPoints: [join(ROOT, 'frontend', 'richie-widgets.tsx')],
    jsx: 'automatic',
    bundle: true,
    format: 'iife',
    target: 'es2020',
    minify: true,
    legalComments: 'none', // every licence goes, whole, into the LICENSES file below
    outfile: join(OUT_DIR, 'richie-frontend.js'),
    metafile: true,
    logLevel: 'warning',
    plugins: [richieBaseUrl, overriddenAway],
    // Richie's own dependencies live under its node_modules where npm did not hoist them.
    nodePaths: [join(RICHIE, 'node_modules')],
    define: { RICHIE_VERSION: JSON.stringify(RICHIE_VERSION), 'process.env.NODE_ENV': '"development"' },
  });
  writeFileSync(join(OUT_DIR, 'richie-frontend.LICENSES.txt'), licences(Object.keys(result.metafile.inputs)));
  // Richie's `build-sass`: sass scss/_main.scss ... --load-path=node_modules.
  const css = compile(join(RICHIE, 'scss', '_main.scss'), { loadPaths: [join(RICHIE, 'node_modules'), join(ROOT, 'node_modules')], style: 'compressed', quietDeps: true, silenceDeprecations: ['import', 'global-builtin', 'color-functions', 'mixed-decls', 'slash-div'], logger: { warn() {}, debug() {} } });
  // Richie's fonts are Django static files (richie src/richie/static/richie/fonts), not in the npm
  // package: their @font-face rules are left out, so the page uses the fallback fonts it would
  // get anyway without asking for files that do not exist (a browser aborts each such font load).
  writeFileSync(join(OUT_DIR, 'richie.css'), css.css.replace(/@font-face\{[^}]*url\("?\/static\/richie\/fonts\/[^}]*\}/g, ''));
}

/** The licence of every npm package the bundle contains, from its own files. */
function licences(inputs) {
  const packages = new Map();
  for (const input of inputs) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input.replace(/\\/g, '/'));
    if (match) packages.set(match[1], true);
  }
  const sections = [];
  for (const dir of [...packages.keys()].sort()) {
    const abs = join(ROOT, dir);
    const pkg = JSON.parse(readFileSync(join(abs, 'package.json'), 'utf8'));
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license'].map((f) => join(abs, f)).find(existsSync);
    const text = file ? readFileSync(file, 'utf8').trim() : `${pkg.license} licence (the package ships no licence file; see ${pkg.repository?.url ?? pkg.homepage ?? pkg.name}).`;
    sections.push(`${pkg.name} ${pkg.version} — ${pkg.license}\n${'-'.repeat(60)}\n${text}\n`);
  }
  return `Third-party code in richie-frontend.js (built from ${relative(ROOT, RICHIE)} ${RICHIE_VERSION}):\n\n${sections.join('\n')}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildFrontend();
