/**
 * The import rule (.dependency-cruiser.cjs, run by `npm run lint:deps` in `npm test`) bites:
 * run on a planted tree of its own, it reports each upward or sideways arrow and each cycle
 * (the ones issue 21 found in the code, among them), and lets the allowed arrows pass.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, ROOT, tempDir } from './helpers.js';

const work = tempDir('richie-dev-deprule-');
afterAll(() => removeDir(work));

const DEPCRUISE = join(ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');

/** Each planted module and what it imports ("type:" for a type-only import). */
const TREE: Record<string, string[]> = {
  'cli/program.ts': ['commands/run.ts'],
  // run is made of other verbs; a verb importing run (lms → run) is not allowed.
  'commands/run.ts': ['commands/render.ts', 'stack/project.ts'],
  'commands/render.ts': ['render/index.ts'],
  'commands/lms.ts': ['type:commands/run.ts', 'commands/render.ts'],
  'commands/hosts.ts': ['hosts/index.ts'],
  // doctor below commands: doctor/names.ts → commands/hosts.ts goes up.
  'doctor/names.ts': ['commands/hosts.ts'],
  'stack/project.ts': ['lock.ts', 'stack/images.ts'],
  'stack/images.ts': ['render/engine.ts'],
  'render/index.ts': ['render/engine.ts', 'lms/site.ts', 'config.ts'],
  'render/engine.ts': [],
  // A type-only import counts: lms may not take a type from the stack above it.
  'lms/site.ts': ['type:stack/project.ts', 'config-model.ts'],
  // trust may import certs; hosts may import neither sibling.
  'trust/index.ts': ['certs/ca.ts'],
  'hosts/index.ts': ['lock.ts', 'type:trust/index.ts'],
  'certs/ca.ts': ['paths.ts'],
  // The config loader and its schema importing each other: a cycle, and the schema going up.
  'config.ts': ['config-schema.ts', 'config-model.ts'],
  'config-schema.ts': ['config.ts', 'config-model.ts', 'render/upstream.ts'],
  'config-model.ts': [],
  'render/upstream.ts': [],
  // A shared module reaching up to the config.
  'paths.ts': ['errors.ts', 'config-model.ts'],
  'errors.ts': [],
  'lock.ts': ['gadgets.ts'],
  // A cycle among the shared modules themselves.
  'state.ts': ['state-dir.ts'],
  'state-dir.ts': ['state.ts'],
  // A new top-level module nobody placed in a layer.
  'widgets.ts': ['errors.ts'],
  // One that imports nothing is caught where it is imported.
  'gadgets.ts': [],
};

function plant(root: string): void {
  for (const [file, imports] of Object.entries(TREE)) {
    const path = join(root, 'src', file);
    mkdirSync(dirname(path), { recursive: true });
    const lines = imports.map((target, i) => {
      const typeOnly = target.startsWith('type:');
      const to = target.replace(/^type:/, '');
      const up = '../'.repeat(file.split('/').length - 1) || './';
      const specifier = `${up}${to.replace(/\.ts$/, '.js')}`;
      return typeOnly ? `import type { T as T${i} } from '${specifier}';` : `import { v as v${i} } from '${specifier}';`;
    });
    writeFileSync(path, `${lines.join('\n')}\nexport type T = string;\nexport const v = 1;\n`);
  }
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true }, include: ['src'] }),
  );
}

interface Violation {
  from: string;
  to: string;
  rule: { name: string };
  cycle?: { name: string }[];
}

describe('the import rule', () => {
  it('reports every upward, sideways and circular import in a planted tree, and nothing else', () => {
    plant(work);
    const run = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'json'], { cwd: work, encoding: 'utf8' });
    const { summary } = JSON.parse(run.stdout) as { summary: { violations: Violation[]; error: number } };
    const found = summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    expect(found).toEqual(
      [
        'no-verb-to-composite: src/commands/lms.ts → src/commands/run.ts',
        'no-upward-from-doctor: src/doctor/names.ts → src/commands/hosts.ts',
        'no-upward-from-lms: src/lms/site.ts → src/stack/project.ts',
        'no-sideways-hosts-to-trust: src/hosts/index.ts → src/trust/index.ts',
        'no-upward-from-config-schema: src/config-schema.ts → src/config.ts',
        'no-upward-from-config-schema: src/config-schema.ts → src/render/upstream.ts',
        'no-upward-from-shared: src/paths.ts → src/config-model.ts',
        'no-unplaced-module: src/widgets.ts → src/errors.ts',
        'no-import-of-unplaced-module: src/lock.ts → src/gadgets.ts',
        // each cycle once, from the module depcruise meets first on it
        'no-cycle: src/config-schema.ts → src/config.ts',
        'no-cycle: src/state-dir.ts → src/state.ts',
      ].sort(),
    );
    // What npm test runs (the default output) fails on them: it exits with the number of errors.
    const lint = spawnSync(process.execPath, [DEPCRUISE, 'src', '--config', join(ROOT, '.dependency-cruiser.cjs'), '--output-type', 'err-long'], { cwd: work, encoding: 'utf8' });
    expect(lint.status).toBe(found.length);
    expect(lint.stdout).toContain('error no-upward-from-doctor: src/doctor/names.ts → src/commands/hosts.ts');
  });
});
