/**
 * Upstream URLs (`catalog.upstream`, `lms.upstream`, each LMS's `upstream`) go into nginx's
 * `server host:port;` and `proxy_ssl_name host;`: only http(s)://HOST[:PORT][/] is accepted,
 * refused at config load (exit 3, naming the key, the value and the form) before anything is
 * written.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { upstreamProblem } from '../../src/config-upstream.js';
import { nginxUpstream } from '../../src/render/upstream.js';
import { cli, removeDir, tempDir } from '../helpers.js';

describe('upstreamProblem', () => {
  it.each([
    ['http://localhost:8000', 'host.docker.internal:8000'],
    ['https://richie.example.com', 'richie.example.com:443'],
    ['http://richie.example.com/', 'richie.example.com:80'],
    ['http://My-App.Example.COM:8080', 'my-app.example.com:8080'],
    ['http://catalog:8000', 'catalog:8000'],
    ['http://10.0.0.5:65535', '10.0.0.5:65535'],
    ['http://192.168.1.255:1', '192.168.1.255:1'],
    ['http://[2001:db8::1]:8000', '[2001:db8::1]:8000'],
    ['https://[::ffff:10.0.0.1]', '[::ffff:a00:1]:443'],
  ])('accepts %s (nginx server %s)', (value, server) => {
    expect(upstreamProblem(value)).toBeUndefined();
    expect(nginxUpstream(value).server).toBe(server);
  });

  it.each([
    // The example: every character nginx reads as syntax, in the host.
    ['http://a;b{c}"d$e:80', 'is not a DNS name'],
    ['http://a b:80', 'whitespace'],
    ['http://a\tb', 'whitespace'],
    ['http://host;:80', 'is not a DNS name'],
    ["http://it's:80", 'is not a DNS name'],
    ['http://a}b', 'is not a DNS name'],
    ['http://$host', 'is not a DNS name'],
    ['http://a%3Bb', 'is not a DNS name'],
    ['http://-bad.example.com', 'label "-bad"'],
    ['http://bad-.example.com', 'label "bad-"'],
    ['http://example.com.', 'label ""'],
    ['http://a..b', 'label ""'],
    [`http://${'a'.repeat(64)}.example.com`, 'is not a DNS name'],
    [`http://${'abcdefghi.'.repeat(26)}com`, 'longer than 253'],
    ['http://', 'it has no host'],
    ['http://:8000', 'it has no host'],
    ['http://1.2.3', 'IPv4 address written as four decimal numbers'],
    ['http://010.0.0.1', 'IPv4'],
    ['http://0x7f.0.0.1', 'IPv4'],
    ['http://0x7f', 'IPv4'],
    ['http://256.1.1.1', 'IPv4'],
    ['http://4294967295', 'IPv4'],
    ['http://[::1', 'is not a host with an optional port'],
    ['http://[fe80::1%25eth0]', 'is not an IPv6 address'],
    ['http://[not:v6]', 'is not an IPv6 address'],
    ['http://[1.2.3.4]', 'is not an IPv6 address'],
    ['http://localhost:0', 'the port "0"'],
    ['http://localhost:65536', 'the port "65536"'],
    ['http://localhost:080', 'the port "080"'],
    ['http://localhost:', 'the port ""'],
    ['http://localhost:80:90', 'the port "80:90"'],
    ['http://localhost:8a', 'the port "8a"'],
    ['http://user:pw@localhost:8000', 'credentials'],
    ['http://@localhost', 'credentials'],
    ['http://localhost:8000/richie', 'it has a path'],
    ['http://localhost:8000//', 'it has a path'],
    ['http://localhost:8000?x=1', 'query or fragment'],
    ['http://localhost:8000/#top', 'query or fragment'],
    ['http:localhost:8000', '"//" must follow the scheme'],
    ['http:\\\\localhost', '"//" must follow the scheme'],
    ['ftp://localhost:8000', 'the scheme is ftp'],
    ['HTTP://localhost', 'the scheme is HTTP'],
    ['localhost:8000', 'the scheme is localhost'],
    ['//localhost:8000', 'no scheme'],
    ['', 'no scheme'],
  ])('refuses %j: %s', (value, reason) => {
    expect(upstreamProblem(value)).toContain(reason);
  });

  it('config load names the key, the value and the allowed form, for each place an upstream goes', () => {
    const bad = 'http://a;b{c}"d$e:80';
    for (const [input, key] of [
      [{ catalog: { upstream: bad } }, 'catalog.upstream'],
      [{ lms: { upstream: bad } }, 'lms.upstream'],
      [{ lms: [{ name: 'edx', host: 'edx.local.dev', port: 8073 }, { name: 'two', host: 'two.local.dev', port: 8075, upstream: bad }] }, 'lms.1.upstream'],
    ] as const) {
      expect(() => parseConfig(input)).toThrow(`${key}: got ${JSON.stringify(bad)}; expected the URL of an app of your own, like "http://localhost:8000": http(s)://HOST[:PORT] with HOST a DNS name`);
    }
  });
});

describe('render with a hostile upstream', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('exits 3 naming the key, the value and the form, and writes nothing', async () => {
    const dir = join(root, 'project');
    mkdirSync(dir);
    const bad = 'http://a;b{c}"d$e:80';
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { upstream: bad } }));
    for (const args of [['render'], ['render', '--ssl'], ['render', '--ssl', '--print', 'catalog']]) {
      const result = await cli(['--project-dir', dir, ...args], { env: { CAROOT: join(root, 'ca') } });
      expect(result.exitCode, result.stdout + result.stderr).toBe(3);
      expect(result.stderr).toContain(`catalog.upstream: got ${JSON.stringify(bad)}; expected the URL of an app of your own`);
      expect(result.stderr).toContain('http(s)://HOST[:PORT]');
      expect(result.stderr).toContain('is not a DNS name');
      expect(readdirSync(dir)).toEqual(['richie-dev.config.json']);
      expect(existsSync(join(root, 'ca'))).toBe(false);
    }
  });
});
