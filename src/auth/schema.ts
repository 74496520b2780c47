/**
 * The schema of `authentication` in richie-dev.config.json (zod; loaded with config-schema.ts
 * only when a project has that file). Defaults: src/auth/keycloak.ts.
 */
import * as z from 'zod';
import { hostNameProblem } from '../domains.js';
import { UPSTREAM_FORM, upstreamProblem } from '../render/upstream.js';
import { AUTHENTICATION_DEFAULTS, KEYCLOAK_BACKENDS } from './keycloak.js';

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
