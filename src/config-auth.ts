/**
 * `authentication` in richie-dev.config.json: its schema (zod; loaded with config-schema.ts
 * only when a project has that file) and why it cannot work with the rest of the config.
 * Types and defaults: config-model.ts; the Keycloak site it makes: src/auth/keycloak.ts.
 */
import * as z from 'zod';
import { hostNameProblem } from './domains.js';
import { AUTHENTICATION_DEFAULTS, KEYCLOAK_BACKENDS, type AuthenticationConfig } from './config-model.js';
import { UPSTREAM_FORM, upstreamProblem } from './config-upstream.js';

const D = AUTHENTICATION_DEFAULTS;
const PORT_ERROR = { error: 'expected a port number (an integer from 1 to 65535)' };
// Keycloak's realm and client ids go into URLs and env files: a conservative alphabet.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const authenticationSchema = z
  .object({
    backend: z.enum(KEYCLOAK_BACKENDS, { error: `expected one of Richie's Keycloak backends: ${KEYCLOAK_BACKENDS.map((b) => `"${b}"`).join(', ')}` }),
    realm: z.string().regex(NAME, { error: 'expected a realm name of letters, digits, ".", "_" and "-", like "richie"' }).default(D.realm),
    clientId: z.string().regex(NAME, { error: 'expected a client id of letters, digits, ".", "_" and "-", like "richie"' }).default(D.clientId),
    host: z
      .string()
      .superRefine((value, ctx) => {
        const problem = hostNameProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: `not a valid host name: ${problem}` });
      })
      .default(D.host),
    port: z.number(PORT_ERROR).int(PORT_ERROR).min(1, PORT_ERROR).max(65535, PORT_ERROR).default(D.port),
    upstream: z
      .string()
      .superRefine((value, ctx) => {
        const problem = upstreamProblem(value);
        if (problem) ctx.addIssue({ code: 'custom', message: `expected the URL of your own Keycloak, like "http://localhost:8080": ${UPSTREAM_FORM} (here ${problem})` });
      })
      .optional(),
  })
  .strict()
  .optional();

type Site = { host: string; port: number };
type LmsSite = Site & { fonzie: boolean; upstream?: string | undefined };

/**
 * Why `authentication` cannot work with the rest of the config, each naming its key; checked
 * with the config, before anything is written.
 */
export function authenticationProblems(config: { catalog: Site; lms: LmsSite | LmsSite[]; authentication?: AuthenticationConfig | undefined }): string[] {
  const auth = config.authentication;
  if (!auth) return [];
  const problems: string[] = [];
  const lmses = Array.isArray(config.lms) ? config.lms : [config.lms];
  const sites = [{ key: 'catalog', host: config.catalog.host, port: config.catalog.port }, ...lmses.map((l, i) => ({ key: Array.isArray(config.lms) ? `lms.${i}` : 'lms', host: l.host, port: l.port }))];
  for (const site of sites) {
    if (site.host === auth.host) problems.push(`authentication.host: got "${auth.host}", already taken by ${site.key}.host; Keycloak needs a sibling host of its own, like "${AUTHENTICATION_DEFAULTS.host}"`);
    if (site.port === auth.port) problems.push(`authentication.port: got ${auth.port}, already taken by ${site.key}.port; Keycloak needs a port of its own, like ${AUTHENTICATION_DEFAULTS.port}`);
  }
  if (auth.backend === 'fonzie-keycloak') {
    const first = lmses[0];
    if (first && !first.fonzie) problems.push('authentication.backend: "fonzie-keycloak" reads the user from Fonzie (the LMS\'s /api/v1.0/user/me): set lms.fonzie to true, or use "keycloak"');
  }
  return problems;
}
