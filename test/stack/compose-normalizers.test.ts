/**
 * parseStack's normalizers, one per key (src/stack/compose.ts): each refusal names the line and
 * column of the value it refuses, and a file with several mistakes is told the first one in
 * the order the keys are normalized (volume names, then per service: its name, environment,
 * env_file, ports, volumes, networks, depends_on, labels, stop_grace_period, build, command,
 * healthcheck, extra_hosts), as before parseStack was split.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.js';
import { parseStack } from '../../src/stack/compose.js';
import { removeDir, tempDir } from '../helpers.js';

const work = tempDir('richie-dev-normalizers-');
afterAll(() => removeDir(work));

const file = join(work, 'stack.yml');
const parse = (text: string) => parseStack(text, { file, baseDir: work, lookup: (name) => ({ HOME: '/home/u' })[name], home: '/home/u', inputs: [] });
const service = (body: string) => `services:\n  a:\n    image: x\n${body}`;

const REFUSED: [string, string, string][] = [
  ['unknown service key', service('    foo: 1\n'), '4:5: unsupported key "foo" in services.a (supported: image, build, command, environment, env_file, ports, volumes, networks, depends_on, healthcheck, labels, extra_hosts, init, stop_grace_period)'],
  ['environment: neither list nor map', service('    environment: 3\n'), '4:18: services.a.environment: expected a list or a mapping'],
  ['volume name', 'services: {}\nvolumes:\n  "a b": {}\n', '3:3: volume name "a b" may use only letters, digits, ".", "_" and "-".'],
  ['service name', 'services:\n  "a b":\n    image: x\n', '2:3: service name "a b" may use only letters, digits, ".", "_" and "-".'],
  ['environment name', service('    environment:\n      "A B": 1\n'), '5:14: environment variable name "A B" may not be empty or contain whitespace'],
  ['build argument name', service('    build:\n      context: .\n      args:\n        - "A B=1"\n'), '7:11: build argument variable name "A B" may not be empty or contain whitespace'],
  ['build context URL', service('    build:\n      context: git@github.com:x/y\n'), '5:16: build context "git@github.com:x/y" is a URL; richie-dev builds from a local folder'],
  ['command quote', service('    command: "echo \'unclosed"\n'), "4:14: command: no closing quotation (')"],
  ['healthcheck without test', service('    healthcheck:\n      interval: 1s\n'), '5:7: healthcheck needs a "test" (richie-dev probes services with it)'],
  ['healthcheck NONE string', service('    healthcheck:\n      test: NONE\n'), '5:13: test "NONE" as a string is a shell command named NONE'],
  ['healthcheck interval', service('    healthcheck:\n      test: curl x\n      interval: 1x\n'), '6:17: "1x" is not a duration like "1s", "500ms" or "1m30s"'],
  ['stop_grace_period', service('    stop_grace_period: forever\n'), '4:24: "forever" is not a duration like "1s", "500ms" or "1m30s"'],
  ['port protocol (long form)', service('    ports:\n      - target: 80\n        published: 8080\n        protocol: udp\n'), '7:19: protocol "udp": richie-dev publishes TCP ports only'],
  ['random host port', service('    ports:\n      - "80"\n'), '5:9: "80" publishes on a random host port: richie-dev checks host ports before it creates anything'],
  ['port range', service('    ports:\n      - "70000:80"\n'), '5:9: port 70000 is outside 1-65535'],
  ['anonymous volume', service('    volumes:\n      - /data\n'), '5:9: "/data" is an anonymous volume'],
  ['volume mode', service('    volumes:\n      - "./x:/y:z"\n'), '5:9: volume mode "z": richie-dev supports "ro" and "rw"'],
  ['undeclared volume', service('    volumes:\n      - "data:/y"\n'), '5:9: the named volume "data" is not declared under the top-level "volumes"'],
  ['undeclared network (map)', service('    networks:\n      m:\n        aliases: [x]\n'), '6:9: the network "m" is not declared under the top-level "networks"'],
  ['unknown dependency', service('    depends_on: [b]\n'), '4:18: depends on "b", which is not a service in this file (services: a)'],
  ['extra_hosts entry', service('    extra_hosts:\n      - "nocolon"\n'), '5:9: extra_hosts entry "nocolon" is not "host:address" (the address may be "host-gateway")'],
  // Several mistakes: the first in the normalizers' order is told.
  ['environment before ports and volumes', service('    ports: ["80"]\n    volumes: ["/data"]\n    environment: ["A B=1"]\n'), '6:19: environment variable name "A B" may not be empty or contain whitespace'],
  ['networks before depends_on, stop_grace_period and labels', service('    networks: [n]\n    depends_on: [z]\n    stop_grace_period: x\n'), '4:16: the network "n" is not declared under the top-level "networks"'],
  ['volume names before service names', 'services:\n  "a b":\n    image: x\nvolumes:\n  "c d": {}\n', '5:3: volume name "c d" may use only letters, digits, ".", "_" and "-".'],
];

describe('parseStack refusals, one normalizer per key', () => {
  it.each(REFUSED)('%s', (_, text, expected) => {
    let error: unknown;
    try {
      parse(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).message).toBe(`${file}:${expected}`);
    expect((error as UserError).fix).toBeTruthy();
  });

  it('normalizes each accepted form', () => {
    const spec = parse(
      service(
        '    environment:\n      A: 1.0\n      HOME:\n    env_file: a.env\n    ports: ["127.0.0.1:8080:80"]\n    volumes: ["./x/../y:/a/b/../c/:ro", "data:/d"]\n' +
          '    depends_on:\n      b:\n        condition: service_healthy\n    labels: [k=v, flag]\n    command: echo "a b"\n    healthcheck:\n      test: curl x\n      interval: 1s\n' +
          '    extra_hosts: ["h:::1"]\n    stop_grace_period: 1m30s\n  b:\n    image: y\nvolumes:\n  data:\n',
      ),
    );
    const [a] = spec.services;
    expect(a).toEqual({
      name: 'a',
      image: 'x',
      environment: { A: '1.0', HOME: '/home/u' },
      envFiles: [join(work, 'a.env')],
      ports: [{ hostIp: '127.0.0.1', hostPort: 8080, containerPort: 80 }],
      volumes: [
        { type: 'bind', source: join(work, 'y'), target: '/a/c', readOnly: true },
        { type: 'volume', source: 'data', target: '/d', readOnly: false },
      ],
      networks: [{ key: 'default', aliases: [] }],
      dependsOn: [{ service: 'b', condition: 'service_healthy' }],
      labels: { k: 'v', flag: '' },
      command: ['echo', 'a b'],
      healthcheck: { test: ['CMD-SHELL', 'curl x'], intervalNs: 1e9 },
      extraHosts: { form: 'list', entries: [{ host: 'h', address: '::1' }] },
      init: true,
      stopGracePeriodS: 90,
    });
    expect(spec.networks).toEqual([{ key: 'default', external: false }]);
    expect(spec.volumes).toEqual([{ key: 'data' }]);
  });
});
