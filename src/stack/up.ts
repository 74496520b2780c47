/**
 * Up: images, then the plan (src/stack/plan.ts) carried out — networks, volumes and containers
 * with a config hash, recreating only what changed — started in dependency order and waited
 * on until healthy. It never prints and never exits: progress goes to `onEvent`, failures are
 * thrown (UserError with their exit code), and Ctrl-C is the caller's AbortSignal.
 */
import { ensureImage } from './images.js';
import { execute, networkNames, planStack, type ServiceOutcome, type StackContext, type StackEvent } from './stack.js';

export type { ServiceOutcome, StackEvent } from './stack.js';

export interface UpOptions {
  signal?: AbortSignal;
  onEvent?: (event: StackEvent) => void;
  /** Image progress ("building richie-dev/nginx:latest ..."), per service. */
  onImage?: (service: string, text: string) => void;
  /** How long up waited for the network to settle, and what was still unsettled at the deadline. */
  onSettled?: (settled: { waitedMs: number; pending: string[] }) => void;
}

/** Bring the stack up: a re-run on a healthy stack makes no engine writes. */
export async function up(ctx: StackContext, options: UpOptions = {}): Promise<ServiceOutcome[]> {
  for (const service of ctx.stack.services) {
    if (options.signal?.aborted) break;
    await ensureImage(ctx.engine, service, (text) => options.onImage?.(service.name, text), { config: ctx.images, env: ctx.env, inputs: ctx.inputs });
  }
  const p = await planStack(ctx);
  const outcomes = await execute(ctx, p, { ...(options.signal ? { signal: options.signal } : {}), ...(options.onEvent ? { onEvent: options.onEvent } : {}) });
  // A container started here added interfaces to this machine's network: return once they have
  // settled, so an open browser sees no change after up (src/stack/settle.ts). Only Linux with a
  // local engine has them in this network namespace; elsewhere there is nothing to wait for.
  if (process.platform === 'linux' && !ctx.engine.target.remote && outcomes.some((o) => o.action !== 'keep')) {
    const { bridgesOf, settle } = await import('./settle.js');
    options.onSettled?.(await settle(await bridgesOf(ctx.engine, networkNames(ctx)), options.signal ? { signal: options.signal } : {}));
  }
  return outcomes;
}
