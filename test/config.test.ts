import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config-schema.js';
import { DEFAULT_CONFIG, configuredHosts, loadConfig } from '../src/config.js';
import { RELEASE_NAMES } from '../src/config-model.js';
import { UserError } from '../src/errors.js';
import { RELEASES } from '../src/lms/releases.js';
import { removeDir, tempDir } from './helpers.js';

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return error as UserError;
  }
  throw new Error('expected an error');
}

describe('project config', () => {
  it('offers exactly the OpenEdX releases lms/releases.ts describes, in its order', () => {
    // The names live below the config (config-model.ts), the facts in lms/: TypeScript checks
    // they are the same set; the order is the one a refusal lists them in.
    expect(RELEASE_NAMES).toEqual(Object.keys(RELEASES));
    expect(() => parseConfig({ lms: { release: 'juniper' } })).toThrow(`expected an OpenEdX release: ${Object.keys(RELEASES).join(', ')}`);
  });

  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('defaults to richie.local.dev:8070 and edx.local.dev:8073', () => {
    const config = parseConfig({});
    expect(config.catalog).toEqual({ host: 'richie.local.dev', port: 8070 });
    expect(config.lms).toEqual({ host: 'edx.local.dev', port: 8073, release: 'hawthorn', fonzie: false });
    expect(config.courseRunSync).toEqual({ mode: 'sync_to_public', noUpdateFields: [] });
    expect(configuredHosts(config)).toEqual(['richie.local.dev', 'edx.local.dev']);
  });

  it('without a config file: the defaults as the schema gives them, a fresh copy each time', async () => {
    const empty = join(dir, 'no-config');
    mkdirSync(empty, { recursive: true });
    const loaded = await loadConfig(empty);
    expect(loaded).toEqual({ config: parseConfig({}), file: undefined });
    expect(loaded.config).toEqual(DEFAULT_CONFIG);
    loaded.config.courseRunSync.noUpdateFields.push('start');
    expect((await loadConfig(empty)).config.courseRunSync.noUpdateFields).toEqual([]);
  });

  it('keeps defaults for keys a partial object leaves out', () => {
    const config = parseConfig({ lms: { port: 9000 } });
    expect(config.lms).toEqual({ host: 'edx.local.dev', port: 9000, release: 'hawthorn', fonzie: false });
  });

  it.each([
    [{ lms: { port: 'abc' } }, 'lms.port: got "abc"', 'integer from 1 to 65535'],
    [{ catalog: { port: 70000 } }, 'catalog.port: got 70000', 'integer from 1 to 65535'],
    [{ catalog: { host: 'Richie_Local' } }, 'catalog.host: got "Richie_Local"', 'not a valid host name'],
    [{ lms: { host: 'localhost' } }, 'lms.host: got "localhost"', 'at least two labels'],
    [{ courseRunSync: { mode: 'always' } }, 'courseRunSync.mode: got "always"', 'sync_to_public'],
    [{ catalgo: {} }, 'unknown key "catalgo"', 'README'],
    [{ lms: { hots: 'x' } }, 'lms: unknown key "hots"', ''],
  ])('rejects %j naming the key, the value and what is allowed', (input, where, allowed) => {
    const error = errorOf(() => parseConfig(input, 'richie-dev.config.json'));
    expect(error.message).toContain(where);
    expect(error.message).toContain(allowed);
    expect(error.fix).toContain('richie-dev.config.json');
  });

  it('reads richie-dev.config.json from the project dir and reports broken JSON with the file name', async () => {
    const project = join(dir, 'p');
    mkdirSync(project);
    expect((await loadConfig(project)).file).toBeUndefined();
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: 8080 } }));
    const loaded = await loadConfig(project);
    expect(loaded.config.catalog.port).toBe(8080);
    expect(loaded.file).toBe(join(project, 'richie-dev.config.json'));
    writeFileSync(join(project, 'richie-dev.config.json'), '{ "catalog": ');
    await expect(loadConfig(project)).rejects.toThrow(/richie-dev\.config\.json is not valid JSON/);
  });
});

describe("the README's config examples", () => {
  it('every ```json block of the README is a config richie-dev accepts', () => {
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```json\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const block of blocks) expect(() => parseConfig(JSON.parse(block)), block).not.toThrow();
    // Keycloak and Joanie together, as the Joanie section shows them.
    expect(blocks.map((b) => JSON.parse(b) as Record<string, unknown>).some((c) => c.authentication && c.joanie)).toBe(true);
  });
});
