/** Shared by the image tests: the docker CLI as an independent observer, and cleanup by namespace. */
import { execFileSync, spawnSync } from 'node:child_process';
import { IMAGE_LABEL } from '../../src/stack/images.js';

/** Run the docker CLI; its trimmed stdout (and stderr too when asked). */
export function docker(args: readonly string[], withStderr = false): string {
  const result = spawnSync('docker', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`docker ${args.join(' ')} failed (${result.status}): ${result.stderr}`);
  return (withStderr ? result.stdout + result.stderr : result.stdout).trim();
}

/** Images carrying richie-dev's built-in label under a namespace: "id label" lines. */
function labelled(namespace: string, extra: string[] = []): { id: string; owner: string }[] {
  const ids = execFileSync('docker', ['images', '-q', '--no-trunc', ...extra, '--filter', `label=${IMAGE_LABEL.builtIn}`], { encoding: 'utf8' }).split('\n').filter(Boolean);
  if (!ids.length) return [];
  // An image removed between the list and the inspect (another test's cleanup) is just gone.
  const out = spawnSync('docker', ['image', 'inspect', '--format', `{{.Id}} {{index .Config.Labels "${IMAGE_LABEL.builtIn}"}}`, ...new Set(ids)], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => ({ id: line.split(' ')[0]!, owner: line.split(' ')[1] ?? '' }))
    .filter((i) => i.owner.startsWith(`${namespace}/`));
}

/** Every image of a namespace, tagged or not. */
export function namespaceImages(namespace: string): string[] {
  return labelled(namespace).map((i) => i.id);
}

/** Untagged images a namespace left behind. */
export function ourDangling(namespace: string): string[] {
  return labelled(namespace, ['--filter', 'dangling=true']).map((i) => i.id);
}

/** Remove every image of a namespace (a test's own; never richie-dev's shared tags). */
export function dropNamespace(namespace: string): void {
  if (namespace === 'richie-dev') throw new Error('tests never remove the shared richie-dev images');
  const ids = [...new Set(labelled(namespace).map((i) => i.id))];
  if (ids.length) spawnSync('docker', ['rmi', '-f', ...ids], { stdio: 'ignore' });
}

/** Poll until `check` holds, for at most `ms`. */
export async function runUntil(check: () => boolean, what: string, container?: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}${container ? `; the container's log:\n${spawnSync('docker', ['logs', '--tail', '30', container], { encoding: 'utf8' }).stderr}` : ''}`);
}
