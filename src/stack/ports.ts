/**
 * Is a port free, and if not, who holds it: one of our containers, another container, or a
 * process (named through `ss -ltnp`). Checked before anything is created.
 */
import { createServer } from 'node:net';
import { command, run } from '../exec.js';

export async function portFree(port: number, host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** "nginx (pid 4121)" from `ss -ltnpH`, or undefined when it cannot tell. */
export async function portHolder(port: number): Promise<string | undefined> {
  const result = await run(command('ss', ['-ltnpH', `sport = :${port}`]), { reject: false }).catch(() => undefined);
  const match = result && /users:\(\("([^"]+)",pid=(\d+)/.exec(result.stdout);
  return match ? `${match[1]} (pid ${match[2]})` : undefined;
}
