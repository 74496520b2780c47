/**
 * `doctor` checks as data: each looks at one link of the chain from the outside and returns
 * what it saw and, when it is not fine, the one command or edit that fixes it.
 */
import type { ProjectConfig } from '../config.js';
import { isUserError } from '../errors.js';
import type { CaRootSource, ProjectPaths } from '../paths.js';
import type { Engine } from '../stack/engine.js';

export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckOutcome {
  status: CheckStatus;
  /** What the check saw, in one line. */
  seen: string;
  /** The command or edit that fixes it (for warn and fail). */
  fix?: string;
  /** Extra lines (log tails, per-store details). */
  details?: string[];
}

export interface CheckResult extends CheckOutcome {
  id: string;
  group: string;
  title: string;
}

export interface DoctorContext {
  config: ProjectConfig;
  paths: ProjectPaths;
  hosts: string[];
  root: CaRootSource;
  env: NodeJS.ProcessEnv;
  /** The command's engine (src/cli/context.ts): connected on first use, once. */
  engine(): Promise<Engine>;
  now: Date;
  /** Memoised lookups shared by several checks (the CA is read once). */
  memo: Map<string, Promise<unknown>>;
}

export interface Check {
  id: string;
  group: 'tools' | 'certificates' | 'trust' | 'names' | 'ports' | 'stack' | 'end-to-end';
  title: string;
  /** Set for checks about TLS: over plain HTTP (`run`) they are skipped, with this reason. */
  tlsOnly?: string;
  run(ctx: DoctorContext): Promise<CheckOutcome>;
}

export function memo<T>(ctx: DoctorContext, key: string, make: () => Promise<T>): Promise<T> {
  let value = ctx.memo.get(key) as Promise<T> | undefined;
  if (!value) {
    value = make();
    ctx.memo.set(key, value);
  }
  return value;
}

/** A lookup that failed on bad input, as the seen and fix its checks report; a bug propagates. */
export function lookupFailure(error: unknown): { error: string; fix?: string } {
  if (isUserError(error)) return { error: error.message, ...(error.fix ? { fix: error.fix } : {}) };
  throw error;
}
