/**
 * Up: images, then networks and containers with a config hash — recreating only what changed —
 * started in dependency order and waited on until healthy, with a line per service.
 */
import { ExitCode, UserError } from '../errors.js';
import { listrOptions, type ProgressMode } from '../steps.js';
import { projectLabels } from './project.js';
import { apply, checkPorts, ensureImages, ensureNetworksAndVolumes, plan, rollback, waitHealthy, type StackContext } from './stack.js';

export interface ServiceOutcome {
  name: string;
  action: string;
  state: string;
  seconds: number;
}

/** Bring the stack up: a re-run on a healthy stack makes no engine writes. */
export async function up(ctx: StackContext, progress: ProgressMode): Promise<ServiceOutcome[]> {
  const { Listr } = await import('listr2');
  const images = new Listr([{ title: 'Images', task: async (_: unknown, task: { output: string }) => void (await ensureImages(ctx, (service, text) => (task.output = `${service}: ${text}`))) }], (await listrOptions(progress)) as never);
  await images.run();

  const plans = await plan(ctx);
  await checkPorts(ctx, plans);
  const createdNetworks = (await ensureNetworksAndVolumes(ctx)).created;
  const ready = new Map<string, { resolve: () => void; reject: (e: unknown) => void; promise: Promise<void> }>();
  for (const p of plans) {
    let resolve!: () => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    promise.catch(() => undefined);
    ready.set(p.service.name, { resolve, reject, promise });
  }

  // Ctrl-C: let in-flight engine calls settle, then remove every container this run made
  // (all of the project's that were not there before) and the networks it created.
  let interrupted = false;
  const preexisting = new Set(plans.flatMap((p) => (p.existing ? [p.existing.id] : [])));
  const inflight = new Set<Promise<unknown>>();
  const onSigint = () => {
    interrupted = true;
    void (async () => {
      await Promise.allSettled([...inflight]);
      const now = await ctx.engine.containers(projectLabels(ctx.project)).catch(() => []);
      await rollback(ctx, now.filter((c) => !preexisting.has(c.id)).map((c) => c.id), createdNetworks);
    })().finally(() => process.exit(ExitCode.interrupted));
  };
  process.once('SIGINT', onSigint);
  const results: ServiceOutcome[] = [];
  try {
    const list = new Listr(
      plans.map((p) => ({
        title: `${p.service.name}: waiting`,
        task: async (_: unknown, task: { title: string }) => {
          const started = Date.now();
          const show = (state: string) => (task.title = `${p.service.name}: ${state} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
          try {
            for (const dep of p.service.dependsOn) await ready.get(dep.service)!.promise;
            if (interrupted) return;
            show(p.action === 'keep' ? 'running, unchanged' : `${p.action === 'recreate' ? 'recreating' : p.action === 'create' ? 'creating' : 'starting'}`);
            const operation = apply(ctx, p);
            inflight.add(operation);
            const id = await operation.finally(() => inflight.delete(operation));
            if (interrupted) return;
            const state = await waitHealthy(ctx, p.service, id, { onState: show });
            results.push({ name: p.service.name, action: p.action, state, seconds: (Date.now() - started) / 1000 });
            ready.get(p.service.name)!.resolve();
          } catch (error) {
            ready.get(p.service.name)!.reject(error);
            throw error;
          }
        },
      })),
      { concurrent: true, ...((await listrOptions(progress)) as object) } as never,
    );
    await list.run();
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
  if (interrupted) throw new UserError('Interrupted.', { exitCode: ExitCode.interrupted });
  const order = plans.map((p) => p.service.name);
  return results.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
}
