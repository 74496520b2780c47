/**
 * Joanie in the stack (config `joanie`): a `joanie` service running the demo Joanie
 * (templates/images/demo-joanie), made from the file's LMS service as withLmses makes its
 * copies (same CA mount, network, healthcheck), with its own env file and data volume; none
 * when `joanie.upstream` names a Joanie of your own. nginx publishes Joanie's port, answers to
 * its host inside the stack (Joanie reaches the catalog and the LMS, and they reach it, by
 * their public names) and waits for it.
 */
import { basename, dirname, join } from 'node:path';
import type { ProjectConfig } from '../config.js';
import type { ServiceSpec, StackSpec } from './compose.js';
import { LOOPBACK_ADDRESS } from './engine.js';

export const JOANIE_IMAGE = 'richie-dev/demo-joanie:latest';
const ROLE_LABEL = 'dev.richie.role';

export function withJoanie(stack: StackSpec, config: ProjectConfig): StackSpec {
  const joanie = config.joanie;
  const template = stack.services.find((s) => s.labels[ROLE_LABEL] === 'lms');
  if (!joanie || !template) return stack;
  const volumes = [...stack.volumes];
  let service: ServiceSpec | undefined;
  if (!joanie.upstream) {
    service = {
      ...template,
      name: 'joanie',
      image: JOANIE_IMAGE,
      labels: { ...template.labels, [ROLE_LABEL]: 'joanie' },
      envFiles: template.envFiles.map((file) => (basename(file) === 'lms.env' ? join(dirname(file), 'joanie.env') : file)),
      volumes: template.volumes.map((v) => (v.type === 'volume' ? { ...v, source: 'joanie-data' } : v)),
    };
    if (!volumes.some((v) => v.key === 'joanie-data')) volumes.push({ key: 'joanie-data' });
  }
  const services = stack.services.flatMap((s) => {
    if (s === template) return service ? [s, service] : [s];
    if (s.labels[ROLE_LABEL] !== 'nginx') return [s];
    const [first, ...rest] = s.networks;
    return [
      {
        ...s,
        ports: [...s.ports, { hostIp: s.ports[0]?.hostIp ?? LOOPBACK_ADDRESS, hostPort: joanie.port, containerPort: joanie.port }],
        networks: first ? [{ ...first, aliases: [...first.aliases, joanie.host] }, ...rest] : s.networks,
        dependsOn: service ? [...s.dependsOn, { service: 'joanie', condition: 'service_healthy' as const }] : s.dependsOn,
      },
    ];
  });
  return { ...stack, services, volumes };
}
