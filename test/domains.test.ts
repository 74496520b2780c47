import { describe, expect, it } from 'vitest';
import {
  LOCAL_DOMAINS,
  assertNamesAccepted,
  commonParent,
  domainsToAllow,
  hostNameProblem,
  isReservedForLocalUse,
  normalizeAllowedDomains,
  sharedParentDomain,
  unacceptedNames,
} from '../src/domains.js';
import { UserError } from '../src/errors.js';

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

describe('domains reserved for local use', () => {
  it('is one list: localhost, .test, .example, .invalid, .internal and local.dev (.localhost is under localhost)', () => {
    expect([...LOCAL_DOMAINS]).toEqual(['localhost', 'test', 'example', 'invalid', 'internal', 'local.dev']);
  });

  it.each([
    ['localhost', true],
    ['app.localhost', true],
    ['richie.dev.test', true],
    ['test', true],
    ['a.example', true],
    ['x.invalid', true],
    ['db.internal', true],
    ['local.dev', true],
    ['richie.local.dev', true],
    ['.local.dev', true],
    ['google.com', false],
    ['accounts.google.com', false],
    ['example.org', false],
    ['notlocal.dev', false],
    ['dev', false],
    ['testing', false],
    ['localhost.com', false],
  ])('%s: %s', (name, local) => {
    expect(isReservedForLocalUse(name)).toBe(local);
  });

  it('unacceptedNames: outside local use and outside every allowed domain', () => {
    expect(unacceptedNames(['local.dev', 'localhost', 'google.com'])).toEqual(['google.com']);
    expect(unacceptedNames(['google.com'], ['google.com'])).toEqual([]);
    expect(unacceptedNames(['mail.google.com'], ['google.com'])).toEqual([]);
    // Allowing a subdomain does not allow its parent.
    expect(unacceptedNames(['google.com'], ['mail.google.com'])).toEqual(['google.com']);
    expect(unacceptedNames(['.google.com'], [])).toEqual(['google.com']);
  });

  it('domainsToAllow: the shared parent of several names, else each name', () => {
    expect(domainsToAllow(['accounts.google.com', 'mail.google.com'])).toEqual(['google.com']);
    expect(domainsToAllow(['google.com'])).toEqual(['google.com']);
    expect(domainsToAllow(['a.one.org', 'b.two.net'])).toEqual(['a.one.org', 'b.two.net']);
  });

  it('normalizeAllowedDomains: lower case, a leading dot dropped; an IP or junk refused (exit 3)', () => {
    expect(normalizeAllowedDomains(['Google.com', '.google.com', 'example.org'])).toEqual(['google.com', 'example.org']);
    for (const bad of ['', '127.0.0.1', 'a b.com', 'bad_.com']) {
      expect(() => normalizeAllowedDomains([bad])).toThrowError(/--allow-domain ".*" is not a domain name/);
    }
  });

  it('assertNamesAccepted names the flag and the command to re-run, exit 3', () => {
    let error: unknown;
    try {
      assertNamesAccepted(['accounts.google.com', 'mail.google.com'], [], 'Not doing it for', '"richie-dev hosts add" with');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).exitCode).toBe(3);
    expect((error as UserError).message).toContain('Not doing it for accounts.google.com, mail.google.com, outside the domains reserved for local use');
    expect((error as UserError).fix).toContain('"richie-dev hosts add" with --allow-domain google.com');
    expect(() => assertNamesAccepted(['richie.local.dev'], [], 'x', 'y')).not.toThrow();
  });
});
