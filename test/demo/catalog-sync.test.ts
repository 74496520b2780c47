/**
 * The demo catalog's course-run sync endpoint, run on the host (the same server.mjs the image
 * runs): signatures, the three sync modes and the no-update fields, as Richie applies them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, removeDir, tempDir } from '../helpers.js';

const SERVER = join(ROOT, 'templates', 'images', 'demo-catalog', 'server.mjs');
const LINK = 'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/course/';
const SECRET = 'a'.repeat(64);

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('demo catalog: course run sync', () => {
  const root = tempDir();
  const children: ChildProcess[] = [];
  let count = 0;
  afterAll(() => {
    for (const child of children) child.kill();
    removeDir(root);
  });

  async function catalog(mode: string, noUpdate: string[] = []): Promise<string> {
    const port = await freePort();
    const child = spawn(process.execPath, [SERVER], {
      env: { ...process.env, PORT: String(port), RICHIE_DEV_DATA_DIR: join(root, `${mode}-${count++}`), DEFAULT_COURSE_RUN_SYNC_MODE: mode, RICHIE_COURSE_RUN_SYNC_SECRETS: `other,${SECRET}`, COURSE_RUN_SYNC_NO_UPDATE_FIELDS: JSON.stringify(noUpdate), RICHIE_DEV_SAMPLE_COURSE_URL: LINK },
      stdio: 'ignore',
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return base;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('demo catalog did not start');
  }

  const push = (base: string, run: object, secret = SECRET) => {
    const body = JSON.stringify(run);
    return fetch(`${base}/api/v1.0/course-runs-sync`, { method: 'POST', body, headers: { authorization: `SIG-HMAC-SHA256 ${createHmac('sha256', secret).update(body).digest('hex')}` } });
  };
  const state = async (base: string) => (await fetch(`${base}/api/v1.0/course-runs/demo`)).json() as Promise<{ draft: Record<string, unknown>; public: Record<string, unknown> }>;

  it('sync_to_public updates the public page; a wrong secret is refused (403) and changes nothing', async () => {
    const base = await catalog('sync_to_public');
    expect((await push(base, { resource_link: LINK, start: '2027-01-01T00:00:00Z' }, 'wrong')).status).toBe(403);
    expect((await state(base)).public.start).toBe('2026-09-01T00:00:00Z');
    expect((await push(base, { resource_link: LINK, start: '2027-01-01T00:00:00Z' })).status).toBe(200);
    expect((await state(base)).public.start).toBe('2027-01-01T00:00:00Z');
    expect(await (await fetch(`${base}/en/courses/demo/`)).text()).toContain('<dd id="run-start">2027-01-01T00:00:00Z</dd>');
  });

  it('sync_to_draft updates only the draft: the public page is unchanged', async () => {
    const base = await catalog('sync_to_draft');
    expect((await push(base, { resource_link: LINK, end: '2027-06-30T00:00:00Z' })).status).toBe(200);
    const s = await state(base);
    expect(s.draft.end).toBe('2027-06-30T00:00:00Z');
    expect(s.public.end).toBe('2026-12-31T00:00:00Z');
    expect(await (await fetch(`${base}/en/courses/demo/`)).text()).toContain('<dd id="run-end">2026-12-31T00:00:00Z</dd>');
    expect(await (await fetch(`${base}/en/courses/demo/?draft`)).text()).toContain('<dd id="run-end">2027-06-30T00:00:00Z</dd>');
  });

  it('manual ignores pushes; no-update fields keep the value of the first sync', async () => {
    const manual = await catalog('manual');
    expect((await push(manual, { resource_link: LINK, start: '2030-01-01T00:00:00Z' })).status).toBe(200);
    expect((await state(manual)).draft.start).toBe('2026-09-01T00:00:00Z');

    const kept = await catalog('sync_to_public', ['enrollment_count']);
    await push(kept, { resource_link: LINK, enrollment_count: 5, start: '2027-01-01T00:00:00Z' });
    await push(kept, { resource_link: LINK, enrollment_count: 9, start: '2027-02-01T00:00:00Z' });
    const s = await state(kept);
    expect(s.public.enrollment_count).toBe(5);
    expect(s.public.start).toBe('2027-02-01T00:00:00Z');
  });
});
