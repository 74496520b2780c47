/**
 * The template engine: Handlebars in strict mode (an undefined variable is an error, never an
 * empty string) and without HTML escaping (these are config files). nginx's own `$vars` and
 * braces pass through untouched: Handlebars only reads `{{ }}`.
 *
 * The build precompiles every template (build/precompile-templates.mjs writes PRECOMPILED), so a
 * render loads Handlebars' runtime alone and compiles nothing: compiling the nginx templates
 * was most of setup-ssl's render time. Each precompiled template carries the SHA-256 of the
 * source it came from; a folder whose sources all match is served from it, and any other
 * (a template edited after the build, a folder the build did not see, no build output)
 * compiles from source, as before.
 */
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
/** Build output, at the same place whether this module runs from dist/ or from src/ (tests). */
export const PRECOMPILED = fileURLToPath(new URL('../../dist/templates.precompiled.js', import.meta.url));

const OPTIONS = { strict: true, noEscape: true } as const;

export type Render = (context: object) => string;

export interface Templates {
  /** Each template by name (file name without `.hbs`); partials are not listed. */
  render: Record<string, Render>;
  /** Whether the build's precompiled templates served them (false: compiled from source). */
  precompiled: boolean;
  /** The folder and the source files read: the up record's inputs. */
  dir: string;
  files: string[];
}

interface Source {
  name: string;
  text: string;
  digest: string;
}

/** A precompiled template: Handlebars' spec, and the digest of the source it was made from. */
type PrecompiledEntry = { digest: string; spec: object };

type HandlebarsModule = typeof import('handlebars');
const load = createRequire(import.meta.url);

async function readSources(dir: string): Promise<Source[]> {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.hbs')).sort();
  return Promise.all(
    names.map(async (file) => {
      const text = await readFile(join(dir, file), 'utf8');
      return { name: file.slice(0, -4), text, digest: createHash('sha256').update(text).digest('hex') };
    }),
  );
}

const isPartial = (name: string) => name.startsWith('_');
const partialName = (name: string) => name.slice(1).replace(/\..*/, '');

async function precompiledEntries(file: string): Promise<Record<string, PrecompiledEntry> | undefined> {
  try {
    return ((await import(pathToFileURL(file).href)) as { default: Record<string, PrecompiledEntry> }).default;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return undefined;
    throw error;
  }
}

/**
 * Every `*.hbs` in a templates folder, ready to render; files starting with `_` are partials.
 * `root` and `precompiled` are for tests; the CLI uses the shipped folder and build output.
 */
export async function loadTemplates(folder: string, root = TEMPLATES_DIR, precompiled = PRECOMPILED): Promise<Templates> {
  const dir = join(root, folder);
  const sources = await readSources(dir);
  const files = sources.map((s) => join(dir, `${s.name}.hbs`));
  const entries = await precompiledEntries(precompiled);
  const specs = sources.map((s) => {
    const entry = entries?.[`${folder}/${s.name}`];
    return entry?.digest === s.digest ? entry.spec : undefined;
  });
  if (specs.every((spec) => spec !== undefined)) {
    // Handlebars' runtime build: a tenth of the compiler's load time, enough for precompiled specs.
    const engine = (load('handlebars/dist/handlebars.runtime.min.js') as HandlebarsModule).create();
    const render = collect(sources, (s, i) => engine.template(specs[i] as never), (name, t) => engine.registerPartial(name, t));
    return { render, precompiled: true, dir, files };
  }
  // Handlebars' single-file build: its package entry also loads source-map support and the
  // precompiler, three times the load time, for nothing a render uses.
  const engine = (load('handlebars/dist/handlebars.min.js') as HandlebarsModule).create();
  // Partials stay source text: Handlebars compiles them with the calling template's options.
  const render = collect(
    sources,
    (s) => (isPartial(s.name) ? s.text : engine.compile(s.text, OPTIONS)),
    (name, t) => engine.registerPartial(name, t as string),
  );
  return { render, precompiled: false, dir, files };
}

function collect(
  sources: Source[],
  make: (source: Source, index: number) => unknown,
  registerPartial: (name: string, template: never) => void,
): Record<string, Render> {
  const render: Record<string, Render> = {};
  sources.forEach((source, i) => {
    const template = make(source, i);
    if (isPartial(source.name)) registerPartial(partialName(source.name), template as never);
    else render[source.name] = (context) => (template as (context: object) => string)(context);
  });
  return render;
}

/**
 * The build's precompiled-templates module (an ES module whose default export maps
 * `folder/name` to `{ digest, spec }`) for every folder of `root` holding `.hbs` files.
 */
export async function precompiledModule(root = TEMPLATES_DIR): Promise<string> {
  const Handlebars = load('handlebars/dist/handlebars.min.js') as HandlebarsModule;
  const lines: string[] = [];
  const folders = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  for (const folder of folders) {
    for (const s of await readSources(join(root, folder))) {
      lines.push(`  ${JSON.stringify(`${folder}/${s.name}`)}: { digest: ${JSON.stringify(s.digest)}, spec: ${Handlebars.precompile(s.text, OPTIONS)} },`);
    }
  }
  return `// Built by build/precompile-templates.mjs from templates/*/*.hbs; see src/render/engine.ts.\nexport default {\n${lines.join('\n')}\n};\n`;
}
