/**
 * `richie-dev doctor`: every reason enrollment can fail, checked, with the fix.
 */
import { ExitCode } from '../errors.js';
import { doctorContext, runChecks, type CheckResult } from '../doctor/index.js';
import type { EngineContext } from '../stack/context.js';

export interface DoctorOptions {
  now?: Date;
}

export interface DoctorResult {
  checks: CheckResult[];
  summary: { pass: number; warn: number; fail: number; skip: number };
  exitCode: ExitCode;
}

export async function run(ctx: EngineContext, options: DoctorOptions = {}): Promise<DoctorResult> {
  const checks = await runChecks(await doctorContext(ctx, options));
  const count = (status: CheckResult['status']) => checks.filter((c) => c.status === status).length;
  const summary = { pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
  return { checks, summary, exitCode: summary.fail ? ExitCode.checkFailed : ExitCode.ok };
}
