/**
 * The template engine: Handlebars in strict mode (an undefined variable is an error, never an
 * empty string) and without HTML escaping (these are config files). nginx's own `$vars` and
 * braces pass through untouched: Handlebars only reads `{{ }}`.
 */
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));

export type Render = (context: object) => string;

/** Compile every `*.hbs` in a templates folder; files starting with `_` are partials. */
export async function loadTemplates(folder: string): Promise<Record<string, Render>> {
  // Handlebars' single-file build: its package entry also loads source-map support and the
  // precompiler, three times the load time, for nothing a render uses.
  const { createRequire } = await import('node:module');
  const Handlebars = createRequire(import.meta.url)('handlebars/dist/handlebars.min.js') as typeof import('handlebars');
  const engine = Handlebars.create();
  const dir = join(TEMPLATES_DIR, folder);
  const names = (await readdir(dir)).filter((name) => name.endsWith('.hbs'));
  const sources = await Promise.all(names.map(async (name) => [name.slice(0, -4), await readFile(join(dir, name), 'utf8')] as const));
  const templates: Record<string, Render> = {};
  for (const [name, source] of sources) {
    if (name.startsWith('_')) engine.registerPartial(name.slice(1).replace(/\..*/, ''), source);
  }
  for (const [name, source] of sources) {
    if (name.startsWith('_')) continue;
    const compiled = engine.compile(source, { strict: true, noEscape: true });
    templates[name] = (context) => compiled(context);
  }
  return templates;
}
