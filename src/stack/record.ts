/**
 * The record a successful up leaves in .richie-dev/state.json, so that re-running on an
 * unchanged, healthy stack can say so without rendering, reading the stack file, validating
 * the config or loading the Docker SDK (together several times what the check itself costs).
 *
 * The record is only trusted when both halves still hold: every input hashes as it did (the
 * facts of the command line, the content of every file the run read or mounted, the identity
 * of the runtimes the images are built from) and the engine still runs the very containers
 * the run left, healthy, on the same images. Anything else takes the full path, which
 * re-renders, re-plans and recreates only what changed.
 */
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { projectPaths } from '../paths.js';
import { mergeState, readState } from '../state.js';
import { contentHash, stampHash } from './content.js';
import type { Engine } from './engine.js';
import { LABEL, projectLabels } from './project.js';

export interface UpRecord {
  /** sha256 of the facts, the content of `paths` and the stamps of `stamps`, after the run. */
  inputs: string;
  /** Files and folders whose content the run depended on. */
  paths: string[];
  /** Files whose identity (size, mtime) is enough: node, nginx, richie-dev's own build. */
  stamps: string[];
  /** Per service: the container left running, its image, and its healthcheck test if any. */
  services: { name: string; id: string; startedAt: string; image: string; imageId: string; healthcheck: string[] | null }[];
  /** What the run printed that a re-run should print again. */
  result: { urls: { catalog: string; lms: string }; warnings: string[] };
}

/** This very file: tsc writes every output on a build, so its stamp stands for richie-dev's code. */
const BUILD_STAMP = fileURLToPath(import.meta.url);

async function inputsHash(facts: Record<string, unknown>, paths: readonly string[], stamps: readonly string[]): Promise<string> {
  const [content, stamp] = await Promise.all([contentHash(paths), stampHash(stamps)]);
  return createHash('sha256').update(JSON.stringify(facts)).update(content).update(stamp).digest('hex');
}

/** The record of the last successful up, when nothing it depended on has changed; else undefined. */
export async function currentRecord(options: { projectDir: string; facts: Record<string, unknown>; engine: Engine; project: string }): Promise<UpRecord | undefined> {
  const record = (await readState(options.projectDir)).up as UpRecord | undefined;
  const wellFormed = Array.isArray(record?.paths) && Array.isArray(record?.stamps) && record.services?.length && record.services.every((s) => s.healthcheck === null || Array.isArray(s.healthcheck));
  if (!wellFormed) return undefined; // none yet, or written by another version
  if ((await inputsHash(options.facts, record.paths, record.stamps)) !== record.inputs) return undefined;
  const [containers, images] = await Promise.all([
    options.engine.containers(projectLabels(options.project)),
    Promise.all(record.services.map((s) => options.engine.image(s.image))),
  ]);
  const intact = await Promise.all(
    record.services.map(async (s, i) => {
      const c = containers.find((x) => x.id === s.id);
      if (!c?.running || c.imageId !== s.imageId || images[i]?.id !== s.imageId) return false;
      if (!s.healthcheck || c.health === 'healthy') return true;
      if (c.health !== 'starting' || c.failingStreak > 0) return false;
      // Docker has not checked yet. Not restarted since up saw it healthy: as good as Docker's
      // own last check. Restarted: run the same test now, as up does.
      return c.startedAt === s.startedAt || (await options.engine.passesHealthcheck(c.id, s.healthcheck));
    }),
  );
  return intact.every(Boolean) ? record : undefined;
}

/** After a successful up: remember what it depended on and what it left running. */
export async function saveRecord(options: {
  projectDir: string;
  facts: Record<string, unknown>;
  engine: Engine;
  project: string;
  paths: string[];
  stamps: string[];
  services: { name: string; healthcheck: string[] | null }[];
  result: UpRecord['result'];
}): Promise<void> {
  const containers = await options.engine.containers(projectLabels(options.project));
  const services: UpRecord['services'] = [];
  for (const s of options.services) {
    const c = containers.find((x) => x.labels[LABEL.service] === s.name);
    if (!c) return; // gone already: no record, the next run takes the full path
    services.push({ name: s.name, id: c.id, startedAt: c.startedAt, image: c.image, imageId: c.imageId, healthcheck: s.healthcheck });
  }
  const paths = [...new Set(options.paths)];
  const stamps = [...new Set([...options.stamps, BUILD_STAMP])];
  const inputs = await inputsHash(options.facts, paths, stamps);
  await mergeState(projectPaths(options.projectDir).projectDir, { up: { inputs, paths, stamps, services, result: options.result } satisfies UpRecord });
}
