/**
 * The oracle: on a corpus of Compose files (test/stack/corpus/, plus the shipped
 * docker-compose.richie.yml), richie-dev's StackSpec printed canonically must say what
 * Debian's `docker-compose config` (v1) says, wherever both accept the file; a file either
 * refuses is refused by richie-dev with its line. Each corpus file states what it expects in
 * its header: `# expect: agree`, `# expect: refuse <line>` (both refuse) or
 * `# expect: subset <line>` (Compose accepts it, richie-dev's subset does not).
 *
 * Both outputs go through one normalizer, which applies only what Compose itself does after
 * `config` (when it makes the container) and richie-dev's two documented defaults; each rule
 * names its source.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type ScalarTag } from 'yaml';
import { parseConfig } from '../../src/config-schema.js';
import { projectPaths } from '../../src/paths.js';
import { composeConfig, composeYaml } from '../../src/stack/canonical.js';
import { parseDuration, readStack, type StackSpec } from '../../src/stack/compose.js';
import { STACK_FILE, stackVars } from '../../src/stack/context.js';
import { envFileValues } from '../../src/stack/interpolate.js';
import { UserError } from '../../src/errors.js';
import { ROOT, hasTool, removeDir, tempDir } from '../helpers.js';

const CORPUS = join(ROOT, 'test', 'stack', 'corpus');
const files = readdirSync(CORPUS).filter((f) => f.endsWith('.yml')).sort();

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/**
 * docker-compose's output read with its floats kept as written ("2.0"): PyYAML wrote Python's
 * str() of each float, which is also what Compose passes to the engine.
 */
const FLOAT_AS_TEXT: ScalarTag = { tag: 'tag:yaml.org,2002:float', default: true, identify: () => false, test: /^[-+]?(?:[0-9]+\.[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/, resolve: (text) => text as unknown as number };
const parseCompose = (text: string) => parse(text, { customTags: (tags) => [FLOAT_AS_TEXT, ...tags] }) as Record<string, Json>;

/** Python's shlex.split, from Python itself: what docker-py's split_command runs. */
async function shlexSplit(texts: string[]): Promise<string[][]> {
  if (!texts.length) return [];
  const script = 'import json, shlex, sys\nprint(json.dumps([shlex.split(t) for t in json.load(sys.stdin)]))';
  const result = await execa('python3', ['-c', script], { input: JSON.stringify(texts) });
  return JSON.parse(result.stdout) as string[][];
}

/** One form for what Compose and richie-dev both mean. */
async function normalize(config: Record<string, Json>): Promise<Record<string, Json>> {
  const out = structuredClone(config);
  delete out.version;
  const services = (out.services ?? {}) as Record<string, Record<string, Json>>;
  const commands: [Record<string, Json>, string][] = [];
  for (const s of Object.values(services)) {
    for (const k of Object.keys(s)) if (k.startsWith('x-')) delete s[k];
    // docker-py utils.split_command (shlex.split) when the container is made.
    if (typeof s.command === 'string') commands.push([s, s.command]);
    // docker-py types/healthcheck.py: a string test is ["CMD-SHELL", test].
    const hc = s.healthcheck as Record<string, Json> | undefined;
    if (hc && typeof hc.test === 'string') hc.test = ['CMD-SHELL', hc.test];
    // richie-dev's own defaults (README, "init process and a 1 s grace period").
    s.init ??= true;
    s.stop_grace_period = parseDuration(String(s.stop_grace_period ?? '1s')) ?? String(s.stop_grace_period);
    // No networks: the project's default network (Compose's service.py, default network).
    s.networks ??= { default: null };
    // A network entry without aliases, {} or null, is the same attachment.
    s.networks = Object.fromEntries(Object.entries(s.networks as Record<string, Json>).map(([k, v]) => [k, v && Object.keys(v).length ? v : null]));
    // An empty map is no map.
    for (const k of ['environment', 'labels']) if (s[k] && typeof s[k] === 'object' && !Object.keys(s[k]).length) delete s[k];
    // docker-py format_environment: values are text.
    if (s.environment && typeof s.environment === 'object') {
      s.environment = Object.fromEntries(Object.entries(s.environment).map(([k, v]) => [k, v === null ? null : typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)]));
    }
    if (Array.isArray(s.ports)) {
      // ServicePort: {published, target, protocol} or its legacy "ip:published:target/proto".
      s.ports = s.ports.map((p) => {
        if (typeof p === 'string') {
          const m = /^(?:(.*):)?(\d+):(\d+)\/(\w+)$/.exec(p)!;
          return `${m[1] ?? ''}|${m[2]}|${m[3]}|${m[4]}`;
        }
        const d = p as Record<string, Json>;
        return `|${d.published}|${d.target}|${d.protocol ?? 'tcp'}`;
      });
    }
    if (Array.isArray(s.volumes)) {
      // VolumeSpec "source:target:mode" or MountSpec {type, source, target, read_only}.
      s.volumes = s.volumes.map((v) => {
        if (typeof v === 'string') {
          const [source, target, mode] = v.split(':');
          return `${source}|${target}|${mode === 'ro' ? 'ro' : 'rw'}`;
        }
        const d = v as Record<string, Json>;
        return `${d.source}|${d.target}|${d.read_only ? 'ro' : 'rw'}`;
      });
    }
  }
  const split = await shlexSplit(commands.map(([, c]) => c));
  commands.forEach(([s], i) => (s.command = split[i]!));
  // The default network, when nothing is said of it, is the project's own.
  const networks = out.networks as Record<string, Json> | undefined;
  if (networks && JSON.stringify(networks.default) === '{}') delete networks.default;
  if (networks && !Object.keys(networks).length) delete out.networks;
  if (out.volumes) out.volumes = Object.fromEntries(Object.keys(out.volumes).map((k) => [k, {}]));
  return out;
}

describe('the Compose model agrees with docker-compose config (v1)', () => {
  let root = '';
  let work = '';
  let env: Record<string, string> = {};
  beforeAll(() => {
    root = tempDir();
    work = join(root, 'project');
    mkdirSync(join(work, 'ctx'), { recursive: true });
    mkdirSync(join(work, 'data'), { recursive: true });
    mkdirSync(join(root, 'home', 'src'), { recursive: true });
    writeFileSync(join(work, '.env'), '# the .env beside the stack file\nDOTENV_TAG=3.1\nDOTENV_ONLY=from-dotenv\nFOO=from-dotenv\nQUOTED="a b"\nSINGLE=\'x $y\'\nexport EXPORTED=exported\nCOMMENTED=value # a comment\n');
    writeFileSync(join(work, 'a.env'), 'A=1\nB=two words\n');
    writeFileSync(join(work, 'b.env'), 'B=override\nC=3\n');
    writeFileSync(
      join(work, 'quoted.env'),
      '# comment\nexport EXPORTED=1\nDOUBLE="a b # not a comment"\nSINGLE=\'${FOO} stays\'\nESCAPED="line\\nnext \\"q\\""\nINLINE=value # a comment\nFROM_ENV=${FOO}\nFROM_ABOVE=${EXPORTED}-x\nDEFAULT_UNSET=${NOPE:-d}\nDEFAULT_EMPTY=${EMPTY:-d}\nSPACES =  padded  \n',
    );
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), FOO: 'from-host', EMPTY: '', TAG: '1.0' };
  });
  afterAll(() => removeDir(root));

  const compose = async (file: string, extra: Record<string, string> = {}) => {
    const result = await execa('docker-compose', ['-f', file, 'config'], { cwd: work, env: { ...env, ...extra }, extendEnv: false, reject: false });
    return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
  };
  const ours = async (stack: StackSpec) => {
    const envFiles = new Map(stack.services.flatMap((s) => s.envFiles).map((f) => [f, envFileValues(readFileSync(f, 'utf8'), (name) => env[name])]));
    // Through the printed YAML and back: the printer is what `stack config` shows.
    return parse(composeYaml(composeConfig(stack, envFiles))) as Record<string, Json>;
  };

  it('has a corpus of at least 30 files, every one saying what it expects', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
    for (const f of files) expect(readFileSync(join(CORPUS, f), 'utf8'), f).toMatch(/^# expect: (agree|refuse \d+|subset \d+)$/m);
  });

  it.each(files)('%s', async (name) => {
    expect(hasTool('docker-compose')).toBe(true);
    const text = readFileSync(join(CORPUS, name), 'utf8');
    const [, expectation, line] = /^# expect: (agree|refuse|subset) ?(\d+)?$/m.exec(text)!;
    const file = join(work, name);
    cpSync(join(CORPUS, name), file);
    const theirs = await compose(file);
    const mine = await readStack(file, {}, { env, home: env.HOME! }).then(
      (stack) => ({ stack, error: undefined }),
      (error: unknown) => ({ stack: undefined, error }),
    );
    if (expectation === 'agree') {
      expect(theirs.exitCode, theirs.stderr).toBe(0);
      if (mine.error) throw mine.error;
      expect(await normalize(await ours(mine.stack!))).toEqual(await normalize(parseCompose(theirs.stdout)));
      return;
    }
    // Refused by richie-dev, as bad input, naming the file, line and column.
    expect(mine.error, 'richie-dev accepted it').toBeInstanceOf(UserError);
    expect((mine.error as UserError).exitCode).toBe(3);
    expect((mine.error as UserError).message).toMatch(new RegExp(`^${file.replaceAll('.', '\\.')}:${line}:\\d+: `));
    expect((mine.error as UserError).fix).toBeTruthy();
    if (expectation === 'refuse') expect(theirs.exitCode, `docker-compose accepted ${name}:\n${theirs.stdout}`).not.toBe(0);
    else expect(theirs.exitCode, theirs.stderr).toBe(0);
  });

  it('agrees on the shipped docker-compose.richie.yml, with the project\'s variables', async () => {
    expect(hasTool('docker-compose')).toBe(true);
    const paths = projectPaths(join(root, 'shipped'));
    const vars = stackVars(paths, parseConfig({ catalog: { port: 9070 } }));
    mkdirSync(join(paths.stateDir, 'env'), { recursive: true });
    writeFileSync(join(paths.stateDir, 'env', 'catalog.env'), 'EDX_BASE_URL=https://edx.local.dev:8073\nA=1\n');
    writeFileSync(join(paths.stateDir, 'env', 'lms.env'), 'B=2\n');
    const theirs = await compose(STACK_FILE, vars);
    expect(theirs.exitCode, theirs.stderr).toBe(0);
    const stack = await readStack(STACK_FILE, vars, { env, home: env.HOME! });
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
    expect(await normalize(await ours(stack))).toEqual(await normalize(parseCompose(theirs.stdout)));
  });
});
