// npm pack's prepack and postpack: the packed package.json has no `prepare` script.
//
// In a checkout, `prepare` builds on `npm ci` (the root project's own script, which npm runs
// without asking). In the packed package it would be an install script of a non-registry
// source: npm 11 asks for it to be allowed (`npm help install-scripts`) and warns on every
// install of the tarball, for a build the tarball already holds. So prepack (after the build)
// takes it out of package.json, and postpack puts the file back as it was: the pattern of
// pinst (https://github.com/typicode/pinst), which does this for postinstall. npm reads the
// manifest it packs after prepack has run (pacote's DirFetcher reads package.json then).
//
//   node build/pack-manifest.mjs strip     (prepack)
//   node build/pack-manifest.mjs restore   (postpack)
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const manifest = fileURLToPath(new URL('../package.json', import.meta.url));
// In dist/ (git-ignored, never packed: only dist/bin and two files are), so a pack cut short
// leaves the checkout's package.json restorable, and `git status` shows what happened.
const saved = fileURLToPath(new URL('../dist/package.json.before-pack', import.meta.url));

const [step] = process.argv.slice(2);
if (step === 'strip') {
  // A pack cut short before its postpack: put that file back first, never save a stripped one.
  if (existsSync(saved)) renameSync(saved, manifest);
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  delete pkg.scripts.prepare;
  writeFileSync(saved, text);
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (step === 'restore') {
  if (existsSync(saved)) renameSync(saved, manifest);
} else {
  console.error('usage: node build/pack-manifest.mjs strip|restore');
  process.exit(2);
}
