/**
 * What richie-dev renders for the demo apps besides the site: RICHIE_DEV_DEMO_NOW from its own
 * environment (checked first: a bad value is exit 3, nothing written), and the project's
 * EDX_API_KEY and Fonzie signing key, kept in .richie-dev/secrets.json with the sync secret
 * (src/lms/secret.ts) and printed nowhere unless asked.
 */
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { InputLog } from '../../src/inputs.js';
import { projectPaths } from '../../src/paths.js';
import { DEMO_NOW_VARIABLE, demoNow } from '../../src/lms/env.js';
import { planRender } from '../../src/render/index.js';
import { parseEnvFile } from '../../src/render/files.js';
import { cli, removeDir, tempDir } from '../helpers.js';
import { DEMO_NOW_FORM } from '../../templates/demo-shared/clock.mjs';

const root = tempDir();
afterAll(() => removeDir(root));

const GOOD = ['2027-12-06', '2027-12-06T09:30Z', '2027-12-06T09:30:00Z', '2027-12-06T09:30:00.123456+02:00', '2028-02-29'];
const BAD = ['tomorrow', '2027-12-06T09:30:00', '06/12/2027', '2027-13-01', '2027-12-06 09:30:00Z', '2027-12-06T25:00:00Z'];

describe('RICHIE_DEV_DEMO_NOW', () => {
  it('a date, or a date and time with Z or an offset; the forms the apps accept (clock.mjs)', () => {
    for (const value of GOOD) {
      expect(demoNow(value), value).toBe(value);
      expect(DEMO_NOW_FORM.test(value), value).toBe(true);
    }
    for (const value of BAD) expect(() => demoNow(value), value).toThrow(`${DEMO_NOW_VARIABLE}="${value}" is not an ISO 8601 date`);
    // A day its month does not have (Date.parse would roll it over).
    expect(() => demoNow('2027-02-29')).toThrow('is not an ISO 8601 date');
    expect(demoNow(undefined)).toBeUndefined();
    expect(demoNow('')).toBeUndefined();
  });

  it("read through the command's inputs, so the up record notices a new value (run's fast path renders again)", async () => {
    const inputs = new InputLog({ RICHIE_DEV_DEMO_NOW: '2027-12-06' });
    const plan = await planRender({ config: parseConfig({}), paths: projectPaths(join(root, 'inputs')), tls: true, backend: 'real', inputs });
    expect(inputs.variables.get(DEMO_NOW_VARIABLE)).toBe('2027-12-06');
    expect(plan.outputs.find(([path]) => path.endsWith('lms.env'))![1]).toContain('\nRICHIE_DEV_DEMO_NOW=2027-12-06\n');
  });

  it('a bad value: exit 3 naming the variable and the fix, nothing written', async () => {
    const dir = join(root, 'bad');
    const result = await cli(['--project-dir', dir, 'render', '--ssl'], { env: { RICHIE_DEV_DEMO_NOW: 'tomorrow' } });
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toContain('RICHIE_DEV_DEMO_NOW="tomorrow" is not an ISO 8601 date');
    expect(result.stderr).toContain('RICHIE_DEV_DEMO_NOW=2027-12-06');
    expect(() => statSync(join(dir, '.richie-dev', 'env'))).toThrow();
    expect(() => statSync(join(dir, '.richie-dev', 'secrets.json'))).toThrow();
  });

  it('rendered into both demo apps\' env files when set, absent when not', async () => {
    const dir = join(root, 'now');
    expect((await cli(['--project-dir', dir, 'render', '--ssl'], { env: { RICHIE_DEV_DEMO_NOW: '2027-12-06T09:30:00Z' } })).exitCode).toBe(0);
    for (const app of ['catalog', 'lms']) expect(parseEnvFile(readFileSync(join(dir, '.richie-dev', 'env', `${app}.env`), 'utf8')).RICHIE_DEV_DEMO_NOW, app).toBe('2027-12-06T09:30:00Z');
    expect((await cli(['--project-dir', dir, 'render', '--ssl'], { env: { RICHIE_DEV_DEMO_NOW: '' } })).exitCode).toBe(0);
    for (const app of ['catalog', 'lms']) expect(parseEnvFile(readFileSync(join(dir, '.richie-dev', 'env', `${app}.env`), 'utf8')), app).not.toHaveProperty('RICHIE_DEV_DEMO_NOW');
  });
});

describe("the project's EDX_API_KEY and Fonzie signing key", () => {
  it('made once per project, kept in secrets.json (0600) beside the sync secret, rendered into the LMS settings, printed nowhere', async () => {
    const dir = join(root, 'keys');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ lms: { fonzie: true } }));
    const result = await cli(['--project-dir', dir, '--json', 'render', '--ssl']);
    expect(result.exitCode, result.stderr).toBe(0);
    const file = join(dir, '.richie-dev', 'secrets.json');
    const secrets = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
    expect(Object.keys(secrets).sort()).toEqual(['courseRunSync', 'edxApiKey', 'jwtSigningKey', 'keycloakLmsClientSecret']);
    for (const value of Object.values(secrets)) {
      expect(value).toMatch(/^[0-9a-f]{64}$/);
      expect(result.stdout + result.stderr).not.toContain(value);
    }
    expect(new Set(Object.values(secrets)).size).toBe(4);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lms = parseEnvFile(readFileSync(join(dir, '.richie-dev', 'env', 'lms.env'), 'utf8'));
    expect(lms.EDX_API_KEY).toBe(secrets.edxApiKey);
    expect(JSON.parse(lms.SIMPLE_JWT!)).toMatchObject({ ALGORITHM: 'HS256', SIGNING_KEY: secrets.jwtSigningKey });
    // The catalog gets neither.
    const catalog = readFileSync(join(dir, '.richie-dev', 'env', 'catalog.env'), 'utf8');
    expect(catalog).not.toContain(secrets.edxApiKey);
    expect(catalog).not.toContain(secrets.jwtSigningKey);
    // A second render keeps them.
    expect((await cli(['--project-dir', dir, 'render', '--ssl'])).exitCode).toBe(0);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(secrets);
  });

  it('an older secrets.json with the sync secret alone keeps it and gains the others', async () => {
    const dir = join(root, 'older');
    mkdirSync(join(dir, '.richie-dev'), { recursive: true, mode: 0o700 });
    const sync = 'f'.repeat(64);
    writeFileSync(join(dir, '.richie-dev', 'secrets.json'), JSON.stringify({ courseRunSync: sync }), { mode: 0o600 });
    expect((await cli(['--project-dir', dir, 'render', '--ssl'])).exitCode).toBe(0);
    const secrets = JSON.parse(readFileSync(join(dir, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(secrets.courseRunSync).toBe(sync);
    expect(secrets.edxApiKey).toMatch(/^[0-9a-f]{64}$/);
    expect(parseEnvFile(readFileSync(join(dir, '.richie-dev', 'env', 'lms.env'), 'utf8')).EDX_API_KEY).toBe(secrets.edxApiKey);
  });
});
