import { describe, expect, it } from 'vitest';
import { commonParent, hostNameProblem, sharedParentDomain } from '../src/domains.js';

describe('host names and shared parents', () => {
  it.each([
    ['richie.local.dev', undefined],
    ['a-b.c.example', undefined],
    ['Richie.local.dev', 'upper-case'],
    ['richie', 'two labels'],
    ['-bad.local.dev', 'not a valid DNS label'],
    ['bad_.local.dev', 'not a valid DNS label'],
    ['127.0.0.1', 'IP address'],
    ['', 'empty'],
  ])('%s: %s', (host, problem) => {
    const found = hostNameProblem(host);
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toContain(problem);
  });

  it.each([
    [['richie.local.dev', 'edx.local.dev'], 'local.dev'],
    [['a.b.example.com', 'c.example.com'], 'example.com'],
    [['richie.foo.test', 'edx.bar.test'], 'test'],
    [['local.dev', 'edx.local.dev'], 'dev'],
    [['a.one', 'b.two'], undefined],
  ])('commonParent(%j) = %s', (hosts, parent) => {
    expect(commonParent(hosts)).toBe(parent);
  });

  it('accepts siblings under a registrable domain', async () => {
    await expect(sharedParentDomain(['richie.local.dev', 'edx.local.dev'])).resolves.toBe('local.dev');
  });

  it('refuses hosts that only share a top-level domain', async () => {
    await expect(sharedParentDomain(['richie.foo.test', 'edx.bar.test'])).rejects.toThrow(/share no parent domain other than the top-level "test"/);
  });

  it('refuses a shared parent that is a public suffix, private ones included', async () => {
    await expect(sharedParentDomain(['richie.github.io', 'edx.github.io'])).rejects.toThrow(/"github\.io", which is a public suffix/);
    await expect(sharedParentDomain(['richie.co.uk', 'edx.co.uk'])).rejects.toThrow(/public suffix/);
  });
});
