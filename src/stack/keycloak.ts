/**
 * Keycloak in the stack: with `authentication` set, the stand-in's container (made from the
 * stack file's LMS service, as stack/context.ts's withLmses makes a second LMS) unless it has an
 * upstream of the user's own, and nginx publishing its port, answering to its host inside the
 * stack and waiting for it. (src/auth/keycloak.ts has the model; imports go down, from stack to auth.)
 */
import { dirname, join } from 'node:path';
import type { ProjectConfig } from '../config.js';
import { KEYCLOAK_IMAGE } from '../auth/keycloak.js';
import type { ServiceSpec, StackSpec } from './compose.js';

// context.ts's ROLE_LABEL (not imported: context.ts imports this module).
const ROLE_LABEL = 'dev.richie.role';

export function withKeycloak(stack: StackSpec, config: ProjectConfig): StackSpec {
  const auth = config.authentication;
  const template = stack.services.find((s) => s.labels[ROLE_LABEL] === 'lms');
  const nginx = stack.services.find((s) => s.labels[ROLE_LABEL] === 'nginx');
  if (!auth || !nginx) return stack;
  const standIn: ServiceSpec | undefined =
    auth.upstream || !template
      ? undefined
      : {
          ...template,
          name: 'keycloak',
          image: KEYCLOAK_IMAGE,
          environment: {},
          envFiles: template.envFiles.filter((f) => f.endsWith('lms.env')).map((f) => join(dirname(f), 'keycloak.env')),
          ports: [],
          volumes: [],
          labels: { ...template.labels, [ROLE_LABEL]: 'keycloak' },
        };
  const [first, ...rest] = nginx.networks;
  const services = stack.services.flatMap((s) => {
    if (s === nginx) {
      return [
        {
          ...s,
          ports: [...s.ports, { hostIp: s.ports[0]?.hostIp ?? '127.0.0.1', hostPort: auth.port, containerPort: auth.port }],
          networks: first ? [{ ...first, aliases: [...first.aliases, auth.host] }, ...rest] : s.networks,
          dependsOn: [...s.dependsOn, ...(standIn ? [{ service: standIn.name, condition: 'service_healthy' as const }] : [])],
        },
      ];
    }
    return s === template && standIn ? [s, standIn] : [s];
  });
  return { ...stack, services };
}
