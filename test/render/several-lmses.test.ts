/**
 * Several LMSes in one project (`lms` as a list): the config refuses what cannot work, naming
 * the key; the rendered settings route each LMS's courses to it (RICHIE_LMS_BACKENDS in priority
 * order, python3 reading the snippet as Richie would and applying re.match in that order); each
 * LMS gets its env file, nginx server and container; a sample course another LMS would also
 * claim is refused with the pair named.
 */
import { spawnSync } from 'node:child_process';
import { projectPaths } from '../../src/paths.js';
import { commandContext } from '../../src/cli/context.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { configuredHosts } from '../../src/config.js';
import { UserError } from '../../src/errors.js';
import { parseEnvFile } from '../../src/render/files.js';
import { renderAll } from '../../src/render/index.js';
import { hasTool, removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
let counter = 0;

const TWO = {
  catalog: { port: 8070 },
  lms: [
    { name: 'edx', host: 'edx.local.dev', port: 8073 },
    { name: 'fonzie', host: 'fonzie.local.dev', port: 8075, fonzie: true, release: 'dogwood', courseRunSync: { mode: 'manual', noUpdateFields: ['languages'] } },
  ],
};

function refusal(config: object): string {
  try {
    parseConfig(config);
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as UserError).message;
  }
  throw new Error('expected the config to be refused');
}

async function refusedRender(config: object): Promise<UserError> {
  const projectDir = join(root, `refused${counter++}`);
  const error = await renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls: true, backend: 'real' }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UserError);
  expect(existsSync(projectDir), 'nothing written').toBe(false);
  return error as UserError;
}

describe('lms as a list', () => {
  it('is read in order; the first keeps the one-LMS names, each other is lms-<name>; every host is covered', () => {
    const config = parseConfig(TWO);
    expect(config.lmses.map((l) => [l.name, l.stem, l.host, l.port, l.release, l.fonzie])).toEqual([
      ['edx', 'lms', 'edx.local.dev', 8073, 'hawthorn', false],
      ['fonzie', 'lms-fonzie', 'fonzie.local.dev', 8075, 'dogwood', true],
    ]);
    expect(config.lms).toEqual({ host: 'edx.local.dev', port: 8073, release: 'hawthorn', fonzie: false });
    expect(configuredHosts(config)).toEqual(['richie.local.dev', 'edx.local.dev', 'fonzie.local.dev']);
    // The one-object form is a list of one, under the one-LMS names.
    expect(parseConfig({}).lmses.map((l) => [l.name, l.stem])).toEqual([['lms', 'lms']]);
  });

  it.each([
    ['two LMSes on one host', { lms: [{ name: 'a', host: 'edx.local.dev', port: 8073 }, { name: 'b', host: 'edx.local.dev', port: 8075 }] }, 'lms.1.host: got "edx.local.dev", already taken by lms.0.host'],
    ['two LMSes on one port', { lms: [{ name: 'a', host: 'a.local.dev', port: 8073 }, { name: 'b', host: 'b.local.dev', port: 8073 }] }, 'lms.1.port: got 8073, already taken by lms.0.port'],
    ["an LMS on the catalog's port", { lms: [{ name: 'a', host: 'a.local.dev', port: 8070 }] }, 'lms.0.port: got 8070, already taken by catalog.port'],
    ['two LMSes of one name', { lms: [{ name: 'a', host: 'a.local.dev', port: 8073 }, { name: 'a', host: 'b.local.dev', port: 8075 }] }, 'lms.1.name: got "a", already taken by lms.0.name'],
    ['a flavour that does not exist', { lms: [{ name: 'a', host: 'a.local.dev', port: 8073, release: 'juniper' }] }, 'lms.0.release: got "juniper"; expected an OpenEdX release: dogwood'],
    ['an upstream that is not http(s)', { lms: [{ name: 'a', host: 'a.local.dev', port: 8073, upstream: 'ftp://a' }] }, 'lms.0.upstream: got "ftp://a"; expected the URL of an app of your own'],
    ['a name that cannot name a service', { lms: [{ name: 'My LMS', host: 'a.local.dev', port: 8073 }] }, 'lms.0.name: got "My LMS"'],
    ['top-level course keys beside a list', { courseRegex: '^.*/courses/(?P<course_id>.*)/course/?$', lms: [{ name: 'a', host: 'a.local.dev', port: 8073 }] }, 'courseRegex: with a list of LMSes, each LMS takes its own "courseRegex" (lms.N.courseRegex)'],
  ])('refuses %s, naming the key', (_what, config, message) => {
    expect(refusal(config)).toContain(message);
  });
});

describe('rendered for several LMSes', () => {
  it("RICHIE_LMS_BACKENDS in order, each LMS's courses routed to it as Richie routes them (python3), each with its env file and nginx server", async () => {
    const projectDir = join(root, 'two');
    const result = await renderAll({ config: parseConfig(TWO), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    const state = join(projectDir, '.richie-dev');
    expect(result.models.map((m) => m.lms.origin)).toEqual(['https://edx.local.dev:8073', 'https://fonzie.local.dev:8075']);
    const catalog = parseEnvFile(readFileSync(join(state, 'env', 'catalog.env'), 'utf8'));
    // Richie's env names carry the first LMS; its authentication goes there too.
    expect(catalog.EDX_BASE_URL).toBe('https://edx.local.dev:8073');
    expect(catalog.AUTHENTICATION_BASE_URL).toBe('https://edx.local.dev:8073');
    expect(JSON.parse(catalog.RICHIE_DEV_SAMPLE_COURSE_URLS!)).toEqual([
      'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/course/',
      // Dogwood's course hooks send /info links: the derived regex and demo course take that form.
      'https://fonzie.local.dev:8075/courses/course-v1:richie+fonzie+2026/info/',
    ]);
    expect(result.warnings.join('\n')).not.toContain('COURSE_HOOKS');
    const lms = parseEnvFile(readFileSync(join(state, 'env', 'lms.env'), 'utf8'));
    const fonzie = parseEnvFile(readFileSync(join(state, 'env', 'lms-fonzie.env'), 'utf8'));
    expect([lms.LMS_ROOT_URL, fonzie.LMS_ROOT_URL]).toEqual(['https://edx.local.dev:8073', 'https://fonzie.local.dev:8075']);
    // Each whitelist and hook in its release's form: Hawthorn has no COURSE_HOOKS, Dogwood does.
    expect(JSON.parse(fonzie.CORS_ORIGIN_WHITELIST!)).toEqual(['richie.local.dev', 'richie.local.dev:8070']);
    expect(JSON.parse(fonzie.COURSE_HOOKS!)[0].url).toBe('https://richie.local.dev:8070/api/v1.0/course-runs-sync');
    expect(lms.COURSE_HOOKS).toBeUndefined();
    expect(fonzie.RICHIE_DEV_FONZIE).toBe('true');
    expect(readFileSync(join(state, 'nginx', 'lms-fonzie.conf'), 'utf8')).toMatch(/upstream richie_dev_lms_fonzie \{\n    server lms-fonzie:8000;[^]*listen 8075 ssl[^]*server_name fonzie\.local\.dev localhost;[^]*proxy_pass http:\/\/richie_dev_lms_fonzie;/);
    expect(readFileSync(join(state, 'nginx', 'lms.conf'), 'utf8')).toContain('proxy_pass http://richie_dev_lms;');

    // python3: the snippet as Richie's settings hold it, and select_lms's rule (the first
    // COURSE_REGEX that re.match-es) applied to each LMS's course and to its hooks' /info link.
    hasTool('python3');
    const script = `
import json, re, runpy, sys
data = json.load(sys.stdin)
settings = runpy.run_path(data["snippet"])
def select(url):
    return next((b["BASE_URL"] for b in settings["RICHIE_LMS_BACKENDS"] if re.match(b.get("COURSE_REGEX", r".*"), url)), None)
print(json.dumps({
    "order": [b["BASE_URL"] for b in settings["RICHIE_LMS_BACKENDS"]],
    "modes": [b["DEFAULT_COURSE_RUN_SYNC_MODE"] for b in settings["RICHIE_LMS_BACKENDS"]],
    "noUpdate": [b["COURSE_RUN_SYNC_NO_UPDATE_FIELDS"] for b in settings["RICHIE_LMS_BACKENDS"]],
    "routed": [select(u) for u in data["urls"]],
    "ids": [re.match(b["COURSE_REGEX"], u).group("course_id") for b, u in zip(settings["RICHIE_LMS_BACKENDS"], data["urls"])],
}))
`;
    const urls = JSON.parse(catalog.RICHIE_DEV_SAMPLE_COURSE_URLS!) as string[];
    const py = spawnSync('python3', ['-c', script], { input: JSON.stringify({ snippet: join(state, 'richie', 'lms_backends.py'), urls }), encoding: 'utf8' });
    expect(py.status, py.stderr).toBe(0);
    expect(JSON.parse(py.stdout)).toEqual({
      order: ['https://edx.local.dev:8073', 'https://fonzie.local.dev:8075'],
      modes: ['sync_to_public', 'manual'],
      noUpdate: [[], ['languages']],
      routed: ['https://edx.local.dev:8073', 'https://fonzie.local.dev:8075'],
      ids: ['course-v1:richie+demo+2026', 'course-v1:richie+fonzie+2026'],
    });
    // The front end's rule (findLmsBackend: the first JS_COURSE_REGEX that matches) agrees.
    const backends = JSON.parse(catalog.RICHIE_DEV_LMS_BACKENDS!) as { BASE_URL: string; JS_COURSE_REGEX: string }[];
    expect(urls.map((u) => backends.find((b) => new RegExp(b.JS_COURSE_REGEX).test(u))?.BASE_URL)).toEqual(['https://edx.local.dev:8073', 'https://fonzie.local.dev:8075']);
  });

  it("a courseRegex that also claims another LMS's course is refused, naming the pair, and nothing is written", async () => {
    const error = await refusedRender({
      lms: [
        { name: 'edx', host: 'edx.local.dev', port: 8073, courseRegex: '^.*/courses/(?P<course_id>.*)/course/?$' },
        { name: 'two', host: 'edx2.local.dev', port: 8075 },
      ],
    });
    expect(error.message).toContain('lms.0 ("edx") also matches lms.1 ("two")\'s course https://edx2.local.dev:8075/courses/course-v1:richie+two+2026/course/');
    expect(error.message).toContain('Richie sends such a course to the first LMS that matches (lms.0), so it never reaches its own LMS');
    expect(error.fix).toContain('^https://edx2\\.local\\.dev:8075/courses/(?P<course_id>.*)/course/?$');
    // Overlap the other way round (a later LMS claiming an earlier one's course) is refused too.
    const reverse = await refusedRender({
      lms: [
        { name: 'edx', host: 'edx.local.dev', port: 8073 },
        { name: 'two', host: 'edx2.local.dev', port: 8075, courseRegex: '^https://edx2?\\.local\\.dev:80[0-9][0-9]/courses/(?P<course_id>.*)/course/?$' },
      ],
    });
    expect(reverse.message).toContain('lms.1 ("two") also matches lms.0 ("edx")\'s course');
  });
});

describe('the stack for several LMSes', () => {
  it('a copy of the LMS service per other LMS (its env file and volume); nginx publishes, aliases and waits for each; an LMS with an upstream runs no container', async () => {
    const { loadStack } = await import('../../src/stack/context.js');
    const projectDir = join(root, 'stack');
    mkdirSync(projectDir, { recursive: true });
    const three = { lms: [...TWO.lms, { name: 'own', host: 'own.local.dev', port: 8077, upstream: 'http://localhost:9000' }] };
    writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify(three));
    const { stack } = await loadStack(commandContext({ projectDir }));
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'lms-fonzie', 'nginx']);
    const copy = stack.services.find((s) => s.name === 'lms-fonzie')!;
    expect(copy.envFiles).toEqual([join(projectDir, '.richie-dev', 'env', 'lms-fonzie.env')]);
    expect(copy.volumes.filter((v) => v.type === 'volume').map((v) => v.source)).toEqual(['lms-fonzie-data']);
    expect(stack.volumes.map((v) => v.key)).toEqual(['catalog-data', 'lms-data', 'lms-fonzie-data']);
    const nginx = stack.services.find((s) => s.name === 'nginx')!;
    expect(nginx.ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}`)).toEqual(['127.0.0.1:8070:8070', '127.0.0.1:8073:8073', '127.0.0.1:8075:8075', '127.0.0.1:8077:8077']);
    expect(nginx.networks[0]!.aliases).toEqual(['richie.local.dev', 'edx.local.dev', 'fonzie.local.dev', 'own.local.dev']);
    expect(nginx.dependsOn.map((d) => d.service)).toEqual(['catalog', 'lms', 'lms-fonzie']);

    // An upstream for the first LMS replaces its container only: the second keeps its copy.
    writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify({ lms: [{ ...TWO.lms[0], upstream: 'https://lms.example.org' }, TWO.lms[1]] }));
    const firstUpstream = (await loadStack(commandContext({ projectDir }))).stack;
    expect(firstUpstream.services.map((s) => s.name)).toEqual(['catalog', 'lms-fonzie', 'nginx']);
    expect(firstUpstream.services.find((s) => s.name === 'nginx')!.dependsOn.map((d) => d.service)).toEqual(['catalog', 'lms-fonzie']);
    expect(firstUpstream.volumes.map((v) => v.key)).toEqual(['catalog-data', 'lms-fonzie-data']);
  });
});
