/**
 * The `joanie` key of the project config: Joanie, Richie's enrollment manager, on a sibling host
 * of its own (the demo stand-in, or `upstream`: a Joanie checkout of yours). Absent: no Joanie.
 * Types, defaults and what Joanie needs of the rest of the config, importing nothing of the
 * project's (the config-model layer, .dependency-cruiser.cjs); the zod piece is
 * config-joanie-schema.ts.
 */

export interface JoanieConfig {
  host: string;
  port: number;
  /** An app of your own (an http(s) URL) that nginx serves on Joanie's site instead of the demo. */
  upstream?: string | undefined;
}

/** Joanie's own development port (openfun/joanie docker-compose.yml, `8071:8000`) on a host beside the others. */
export const JOANIE_DEFAULTS: Readonly<JoanieConfig> = Object.freeze({ host: 'joanie.local.dev', port: 8071 });

/** What the check below reads of the rest of the config. */
interface Others {
  catalog: { host: string; port: number };
  authentication?: { backend: string } | undefined;
  lms: { fonzie: boolean };
  lmses: readonly { host: string; port: number; stem: string; name: string; fonzie: boolean }[];
}

/**
 * Why this config cannot run Joanie, one line per problem naming the key (empty: it can).
 * - Richie's front end calls Joanie with the access token of its authentication backend
 *   (richie-education js/api/joanie.ts): Keycloak's (`authentication.backend` "keycloak"), else
 *   the first LMS's (lms/env.ts backends): Fonzie issues one, openedx-hawthorn and
 *   openedx-dogwood issue none.
 * - One host or port per app: nginx tells the sites apart by both.
 */
export function joanieProblems(joanie: JoanieConfig | undefined, config: Others, list: boolean): string[] {
  if (!joanie) return [];
  const problems: string[] = [];
  const first = config.lmses[0];
  if (first && !first.fonzie && config.authentication?.backend !== 'keycloak') {
    const key = list ? 'lms.0.fonzie' : 'lms.fonzie';
    problems.push(
      `joanie: Richie's front end calls Joanie with the access token of its authentication backend, and with ${key} false Richie authenticates with the LMS's session (openedx-hawthorn or openedx-dogwood), which issues none; set ${key} to true (Fonzie issues the token Joanie checks), authenticate with Keycloak ("authentication": {"backend": "keycloak"}), or remove "joanie"`,
    );
  }
  const lmsKey = (i: number) => (list ? `lms.${i}` : 'lms');
  const taken = [{ key: 'catalog', host: config.catalog.host, port: config.catalog.port }, ...config.lmses.map((l, i) => ({ key: lmsKey(i), host: l.host, port: l.port }))];
  const host = taken.find((t) => t.host === joanie.host);
  if (host) problems.push(`joanie.host: got ${JSON.stringify(joanie.host)}, already taken by ${host.key}.host; Joanie needs a host of its own`);
  const port = taken.find((t) => t.port === joanie.port);
  if (port) problems.push(`joanie.port: got ${joanie.port}, already taken by ${port.key}.port; Joanie needs a port of its own`);
  return problems;
}
