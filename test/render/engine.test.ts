/**
 * The template engine's fast path: the build's precompiled templates serve a render only when
 * every source in the folder is the one they were compiled from, and render exactly what
 * compiling the source renders (strict, no escaping, partials with parameters).
 */
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PRECOMPILED, TEMPLATES_DIR, loadTemplates, precompiledModule } from '../../src/render/engine.js';
import { removeDir, tempDir } from '../helpers.js';

const work = tempDir('richie-dev-engine-');
afterAll(() => removeDir(work));

/** A templates root of the test's own, with its precompiled module built as the build does. */
async function fixture(name: string, files: Record<string, string>): Promise<{ root: string; built: string }> {
  const root = join(work, name);
  mkdirSync(join(root, 'site'), { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(root, 'site', file), text);
  const built = join(work, `${name}.precompiled.js`);
  writeFileSync(built, await precompiledModule(root));
  return { root, built };
}

const FILES = {
  '_greet.hbs': 'hello {{who}}{{#if loud}}!{{/if}}\n',
  'page.conf.hbs': '# {{title}} <&> "{{raw}}"\n{{> greet who=user.name loud=true}}{{#each items}}- {{this}}\n{{/each}}',
};
const CONTEXT = { title: 'T', raw: '<a href="x">&amp;</a>', user: { name: 'ada' }, items: ['a', 'b'] };

describe('precompiled templates', () => {
  it('the shipped templates are served from the build output', async () => {
    expect(existsSync(PRECOMPILED), 'npm run build writes it (npm test builds first)').toBe(true);
    const templates = await loadTemplates('nginx');
    expect(templates.precompiled).toBe(true);
    expect(Object.keys(templates.render).sort()).toEqual(['catalog.conf', 'joanie.conf', 'keycloak.conf', 'lms.conf']);
  });

  it('render the shipped nginx templates exactly as compiling their sources does', async () => {
    const fast = await loadTemplates('nginx');
    const slow = await loadTemplates('nginx', TEMPLATES_DIR, join(work, 'no-build-output.js'));
    expect(slow.precompiled).toBe(false);
    for (const tls of [true, false]) {
      for (const https of [true, false]) {
        const base = { tls, catalog: { host: 'richie.local.dev', port: 8070, origin: 'https://richie.local.dev:8070' }, certDir: '/etc/c' };
        const upstream = { server: 'catalog:8000', https, sslName: 'up.example' };
        const catalog = { ...base, upstream, certHost: 'richie.local.dev' };
        const lms = { ...base, lms: { host: 'edx.local.dev', port: 8073 }, upstream, upstreamName: 'richie_dev_lms', certHost: 'edx.local.dev' };
        expect(fast.render['catalog.conf']!(catalog)).toBe(slow.render['catalog.conf']!(catalog));
        expect(fast.render['lms.conf']!(lms)).toBe(slow.render['lms.conf']!(lms));
        expect(fast.render['lms.conf']!(lms)).toContain(tls ? 'listen 8073 ssl http2;' : 'listen 8073;');
        const joanie = { ...base, joanie: { host: 'joanie.local.dev', port: 8071 }, upstream, certHost: 'joanie.local.dev' };
        expect(fast.render['joanie.conf']!(joanie)).toBe(slow.render['joanie.conf']!(joanie));
      }
    }
  });

  it('keep strict mode and no escaping, with partials taking parameters', async () => {
    const { root, built } = await fixture('same', FILES);
    const fast = await loadTemplates('site', root, built);
    const slow = await loadTemplates('site', root, join(work, 'missing.js'));
    expect([fast.precompiled, slow.precompiled]).toEqual([true, false]);
    const text = fast.render['page.conf']!(CONTEXT);
    expect(text).toBe('# T <&> "<a href="x">&amp;</a>"\nhello ada!\n- a\n- b\n');
    expect(slow.render['page.conf']!(CONTEXT)).toBe(text);
    // Strict: a missing variable is an error on both paths, never an empty string.
    const { title: _t, ...missing } = CONTEXT;
    expect(() => fast.render['page.conf']!(missing)).toThrow(/"title" not defined/);
    expect(() => slow.render['page.conf']!(missing)).toThrow(/"title" not defined/);
  });

  it('are refused for a folder whose template or partial changed after the build, or is new', async () => {
    const { root, built } = await fixture('edited', FILES);
    writeFileSync(join(root, 'site', 'page.conf.hbs'), 'edited {{title}}\n');
    const edited = await loadTemplates('site', root, built);
    expect(edited.precompiled).toBe(false);
    expect(edited.render['page.conf']!(CONTEXT)).toBe('edited T\n');

    const partial = await fixture('partial', FILES);
    writeFileSync(join(partial.root, 'site', '_greet.hbs'), 'bye {{who}}\n');
    const changedPartial = await loadTemplates('site', partial.root, partial.built);
    expect(changedPartial.precompiled).toBe(false);
    expect(changedPartial.render['page.conf']!(CONTEXT)).toContain('bye ada');

    const added = await fixture('added', FILES);
    writeFileSync(join(added.root, 'site', 'extra.hbs'), 'x {{title}}');
    const withNew = await loadTemplates('site', added.root, added.built);
    expect(withNew.precompiled).toBe(false);
    expect(withNew.render['extra']!(CONTEXT)).toBe('x T');
  });

  it('an unchanged copy of the shipped folder is still served precompiled (the digest is of the text, not the path)', async () => {
    const copy = join(work, 'copy');
    cpSync(join(TEMPLATES_DIR, 'nginx'), join(copy, 'nginx'), { recursive: true });
    expect((await loadTemplates('nginx', copy)).precompiled).toBe(true);
  });
});
