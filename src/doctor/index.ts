/**
 * The doctor: runs every check (independent ones at once) and keeps their order for the report.
 */
import { configuredHosts } from '../config.js';
import type { EngineContext } from '../stack/context.js';
import { readState } from '../state.js';
import { CERT_CHECKS } from './certs.js';
import { E2E_CHECKS } from './e2e.js';
import { KEYCLOAK_CHECKS } from './keycloak.js';
import { JOANIE_CHECKS } from './joanie.js';
import { NAME_CHECKS } from './names.js';
import { ENGINE_CHECKS, PORT_CHECKS, STACK_CHECKS } from './stack.js';
import { TOOL_CHECKS } from './tools.js';
import type { Check, CheckResult, DoctorContext } from './types.js';

export type { Check, CheckResult, CheckStatus, DoctorContext } from './types.js';

/** Every check, in report order: tools, certificates, trust, names, ports, stack, end to end. */
export const ALL_CHECKS: readonly Check[] = [
  ...TOOL_CHECKS,
  ...ENGINE_CHECKS,
  ...CERT_CHECKS,
  ...NAME_CHECKS,
  ...PORT_CHECKS,
  ...STACK_CHECKS,
  ...E2E_CHECKS,
  ...KEYCLOAK_CHECKS,
  ...JOANIE_CHECKS,
];

/** The command's context (src/context.ts) as the checks read it. */
export async function doctorContext(ctx: EngineContext, options: { now?: Date } = {}): Promise<DoctorContext> {
  const config = await ctx.config();
  return {
    config,
    paths: ctx.paths,
    hosts: configuredHosts(config),
    root: ctx.caRoot(),
    env: ctx.env,
    engine: ctx.engine,
    now: options.now ?? new Date(),
    memo: new Map(),
  };
}

export async function runChecks(ctx: DoctorContext, checks: readonly Check[] = ALL_CHECKS): Promise<CheckResult[]> {
  const plainHttp = (await readState(ctx.paths)).mode === 'http';
  return Promise.all(
    checks.map(async (check) => {
      const base = { id: check.id, group: check.group, title: check.title };
      if (plainHttp && check.tlsOnly) return { ...base, status: 'skip' as const, seen: `the stack runs over plain HTTP (${check.tlsOnly})` };
      try {
        return { ...base, ...(await check.run(ctx)) };
      } catch (error) {
        // A check that crashes is itself a finding, not a reason to stop the others.
        return { ...base, status: 'fail' as const, seen: `the check itself failed: ${(error as Error).message}` };
      }
    }),
  );
}
