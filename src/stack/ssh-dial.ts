/**
 * An engine behind ssh://, reached as the docker CLI reaches it: the system `ssh` runs
 * `docker system dial-stdio` on the remote machine, and that process's stdin and stdout are
 * the connection to the remote engine's socket (docker/cli cli/connhelper/connhelper.go and
 * cli/connhelper/commandconn). The user's own ssh setup applies (~/.ssh/config, keys, agent,
 * known_hosts), with no SSH library of our own and no native module.
 */
import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

export interface SshTarget {
  host: string;
  port: number;
  username: string | undefined;
}

/** ssh's arguments, as docker's connhelper builds them (ConnectTimeout=30, no pseudo-terminal). */
export function sshArgs(target: SshTarget): string[] {
  return ['-o', 'ConnectTimeout=30', '-T', ...(target.username ? ['-l', target.username] : []), '-p', String(target.port), '--', target.host, 'docker', 'system', 'dial-stdio'];
}

/**
 * One connection: a stream over one `ssh` process. It ends when the process has exited: with
 * code 0, as a clean end; else as an error carrying ssh's last line on stderr ("Permission
 * denied (publickey)", "Connection refused"), which says more than a closed socket.
 */
export function sshConnection(target: SshTarget, env: NodeJS.ProcessEnv): Duplex {
  const child = spawn('ssh', sshArgs(target), { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  const conn = new Duplex({
    read() {
      child.stdout.resume();
    },
    write(chunk: Buffer, _encoding, done) {
      child.stdin.write(chunk, done);
    },
    final(done) {
      child.stdin.end(done);
    },
    destroy(error, done) {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      done(error);
    },
  });
  child.stdout.on('data', (chunk: Buffer) => {
    if (!conn.push(chunk)) child.stdout.pause();
  });
  child.stdin.on('error', () => undefined); // the process exited: 'close' below tells why
  child.on('error', (error) => conn.destroy(error));
  child.on('close', (code, signal) => {
    if (code === 0) return void conn.push(null);
    if (conn.destroyed) return;
    const said = stderr.trim().split('\n').filter(Boolean).pop();
    conn.destroy(Object.assign(new Error(`ssh ${target.host}: ${said ?? `exited with ${code ?? signal}`}`), { code: undefined }));
  });
  // What node:http's agent asks of a socket: keep-alive and timeouts are ssh's business; an
  // idle pooled connection must not keep the command alive.
  const pipes = [child.stdin, child.stdout, child.stderr] as unknown as { ref?(): void; unref?(): void }[];
  return Object.assign(conn, {
    setKeepAlive: () => conn,
    setNoDelay: () => conn,
    setTimeout: () => conn,
    ref: () => (child.ref(), pipes.forEach((p) => p.ref?.()), conn),
    unref: () => (child.unref(), pipes.forEach((p) => p.unref?.()), conn),
  });
}
