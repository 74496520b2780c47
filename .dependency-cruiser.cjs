/**
 * The import rule (`npm run lint:deps`, part of `npm test`): imports only go down the layers
 * below, and there is no cycle at all. Type-only imports count too (tsPreCompilationDeps): a
 * type that must be imported from above says the code sits in the wrong layer.
 *
 * Layers, top to bottom (README "Development", Layout). A module may import its own layer and
 * any layer below it, never one above:
 *
 *   cli        src/cli.ts, src/cli/        flags, prompts, printing, exit codes
 *   commands   src/commands/               one module per verb; run and lms are made of other
 *                                          verbs (run-ssl runs setup-ssl, hosts add and render;
 *                                          lms runs render) and no verb imports them
 *   doctor     src/doctor/
 *   stack      src/stack/
 *   render     src/render/
 *   lms        src/lms/, src/auth/ (the sites modelled from a validated config)
 *   trust / hosts / certs                  siblings: trust may import certs (it hands the
 *                                          certificate certs made to the stores); hosts and
 *                                          certs import no sibling, and nothing imports trust
 *   context    src/context.ts              one command's context, handed down (issue 21)
 *   config     src/config.ts (the loader) > src/config-schema.ts, src/config-auth.ts,
 *              src/config-joanie-schema.ts (zod) > src/config-model.ts (types, defaults,
 *              releases), src/config-upstream.ts, src/config-joanie.ts
 *   shared     errors, exec, fsutil, paths, regexp, domains, inputs, lock, state-dir, state,
 *              wsl, steps: the small modules every layer may use; among themselves only the
 *              no-cycle rule applies
 *
 * Paths are relative to the folder depcruise runs in: test/dependency-rule.test.ts runs this
 * same config in a planted tree of its own and checks what it reports.
 */
const root = 'src';
const at = (paths) => `^${root}/(?:${paths.join('|')})`;

/** Top to bottom; each entry: a name and the paths (regexp sources, under src/) it holds. */
const LAYERS = [
  ['cli', ['cli\\.ts$', 'cli/']],
  ['commands', ['commands/']],
  ['doctor', ['doctor/']],
  ['stack', ['stack/']],
  ['render', ['render/']],
  // lms/: each LMS site; auth/: the Keycloak site. Both are modelled from a validated config.
  ['lms', ['lms/', 'auth/']],
  // Siblings: the arrows between them are siblingRules' to judge.
  ['trust-hosts-certs', ['trust/', 'hosts/', 'certs/']],
  // One command's context (issue 21: paths, config, CA root, worked out once and handed down),
  // src/context.ts on the branch that builds it: every library layer may take it; it knows
  // the config's types only.
  ['context', ['context\\.ts$']],
  ['config-loader', ['config\\.ts$']],
  ['config-schema', ['config-schema\\.ts$', 'config-auth\\.ts$', 'config-joanie-schema\\.ts$']],
  ['config-model', ['config-model\\.ts$', 'config-upstream\\.ts$', 'config-joanie\\.ts$']],
  [
    'shared',
    ['errors', 'exec', 'fsutil', 'paths', 'regexp', 'domains', 'inputs', 'lock', 'state-dir', 'state', 'wsl', 'steps'].map((name) => `${name}\\.ts$`),
  ],
];

/** The siblings of one layer, and the only arrow allowed between them. */
const SIBLINGS = ['trust', 'hosts', 'certs'];
const SIBLING_ARROWS_ALLOWED = new Set(['trust->certs']);

const layerRules = LAYERS.flatMap(([name, paths], index) => {
  const above = LAYERS.slice(0, index).flatMap(([, p]) => p);
  const rules = [];
  if (above.length) {
    rules.push({
      name: `no-upward-from-${name}`,
      comment: `${name} may import only its own layer and the layers below it (.dependency-cruiser.cjs, README "Development")`,
      severity: 'error',
      from: { path: at(paths) },
      to: { path: at(above) },
    });
  }
  return rules;
});

const siblingRules = SIBLINGS.flatMap((from) =>
  SIBLINGS.filter((to) => to !== from && !SIBLING_ARROWS_ALLOWED.has(`${from}->${to}`)).map((to) => ({
    name: `no-sideways-${from}-to-${to}`,
    comment: `${from} and ${to} are siblings; only ${[...SIBLING_ARROWS_ALLOWED].join(', ')} is allowed between them`,
    severity: 'error',
    from: { path: at([`${from}/`]) },
    to: { path: at([`${to}/`]) },
  })),
);

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...layerRules,
    ...siblingRules,
    {
      name: 'no-verb-to-composite',
      comment: 'run and lms are made of other verbs; no verb imports them (what two verbs share goes down a layer)',
      severity: 'error',
      from: { path: `^${root}/commands/` },
      to: { path: `^${root}/commands/(?:run|lms)\\.ts$` },
    },
    {
      name: 'no-cycle',
      comment: 'no import cycle anywhere, type-only imports and dynamic import() included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-unplaced-module',
      comment: 'every module under src/ sits in a layer: add a new top-level module to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: `^${root}/`, pathNot: at(LAYERS.flatMap(([, p]) => p)) },
      to: {},
    },
    {
      name: 'no-import-of-unplaced-module',
      comment: 'every module under src/ sits in a layer (one that imports nothing is caught where it is imported): add it to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: `^${root}/` },
      to: { path: `^${root}/`, pathNot: at(LAYERS.flatMap(([, p]) => p)) },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
