/**
 * Where the stack's ports are published and the hosts entries point, from DOCKER_HOST alone
 * (src/stack/engine.ts, engineTarget): loopback for a local engine, the address DOCKER_HOST
 * names otherwise — another loopback address included, a name resolved as this machine does.
 */
import { describe, expect, it } from 'vitest';
import { engineTarget, hostsAddresses, resolveTarget } from '../../src/stack/engine.js';
import { stackVars } from '../../src/stack/context.js';
import { parseConfig } from '../../src/config-schema.js';
import { projectPaths } from '../../src/paths.js';
import { sudoCommandLine } from '../../src/hosts/sudo.js';

describe('engineTarget', () => {
  it.each([
    [undefined, false, '127.0.0.1'],
    ['unix:///run/user/1000/docker.sock', false, '127.0.0.1'],
    ['npipe:////./pipe/docker_engine', false, '127.0.0.1'],
    ['tcp://127.0.0.1:2375', false, '127.0.0.1'],
    ['tcp://localhost:2375', false, '127.0.0.1'],
    ['tcp://[::1]:2375', false, '127.0.0.1'],
    ['ssh://me@LOCALHOST', false, '127.0.0.1'],
    // Another loopback address: this machine, but the ports go where DOCKER_HOST points.
    ['tcp://127.0.0.2:2375', false, '127.0.0.2'],
    ['tcp://10.0.0.5:2376', true, '10.0.0.5'],
    ['tcp://[fd00::5]:2376', true, 'fd00::5'],
    ['ssh://me@docker-box:2222', true, 'docker-box'],
  ])('DOCKER_HOST=%s: remote %s, ports on %s', (host, remote, address) => {
    expect(engineTarget(host ? { DOCKER_HOST: host } : {})).toMatchObject({ remote, address });
  });

  it('a name is resolved here, then judged by the same rule; the hosts entries follow', async () => {
    // /etc/hosts maps localhost to 127.0.0.1 on every machine this runs on.
    expect(await resolveTarget({ DOCKER_HOST: 'ssh://me@localhost' })).toMatchObject({ remote: false, address: '127.0.0.1' });
    expect(hostsAddresses(await resolveTarget({}))).toBeUndefined();
    expect(hostsAddresses(engineTarget({ DOCKER_HOST: 'tcp://127.0.0.2:2375' }))).toEqual(['127.0.0.2']);
    expect(hostsAddresses(engineTarget({ DOCKER_HOST: 'tcp://10.0.0.5:2376' }))).toEqual(['10.0.0.5']);
  });

  it('the stack file publishes on that address (an IPv6 one in brackets, as Compose writes it)', () => {
    const vars = (address?: string) => stackVars(projectPaths('/srv/proj'), parseConfig({}), address).RICHIE_DEV_PUBLISH_ADDRESS;
    expect(vars()).toBe('127.0.0.1');
    expect(vars('10.0.0.5')).toBe('10.0.0.5');
    expect(vars('fd00::5')).toBe('[fd00::5]');
  });

  it('the sudo line for hosts add keeps DOCKER_HOST, which sudo would drop', () => {
    const line = sudoCommandLine({ args: ['hosts', 'add'], env: { DOCKER_HOST: 'tcp://10.0.0.5:2376', PATH: '' }, script: '/opt/rd/richie-dev.js', execPath: '/usr/bin/node', platform: 'linux' });
    expect(line).toBe('sudo DOCKER_HOST=tcp://10.0.0.5:2376 /usr/bin/node /opt/rd/richie-dev.js hosts add');
  });
});
