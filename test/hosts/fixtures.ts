/**
 * Hosts files that break careless writers, and helpers shared by the hosts tests.
 */
export const NASTY: Record<string, Buffer> = {
  empty: Buffer.from(''),
  lf: Buffer.from('127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n'),
  crlf: Buffer.from('127.0.0.1 localhost\r\n# comment\r\n::1 localhost\r\n'),
  'mixed line endings': Buffer.from('127.0.0.1 localhost\r\n10.0.0.1 a.test\n10.0.0.2 b.test\r\n'),
  tabs: Buffer.from('127.0.0.1\tlocalhost\t\tmachine\n\t# indented comment\n'),
  'trailing comments': Buffer.from('127.0.0.1 localhost # the machine\n10.1.2.3 intranet # office\n'),
  'no final newline': Buffer.from('127.0.0.1 localhost\n10.0.0.1 box'),
  'crlf, no final newline': Buffer.from('127.0.0.1 localhost\r\n10.0.0.1 box'),
  'comment, no final newline': Buffer.from('# only a comment'),
  'lone cr at end': Buffer.from('127.0.0.1 localhost\n10.0.0.1 box\r'),
  'whitespace-only last line': Buffer.from('127.0.0.1 localhost\n   \t'),
  'several names': Buffer.from('127.0.0.1 localhost a.test b.test c.test\n'),
  'duplicates and shadowing': Buffer.from('10.0.0.5 edx.local.dev\n127.0.0.1 edx.local.dev\n10.0.0.6 richie.local.dev other.test\n'),
  'non-utf8': Buffer.concat([Buffer.from('127.0.0.1 localhost # caf'), Buffer.from([0xe9, 0xff, 0xfe, 0x00]), Buffer.from('\n')]),
  'utf-8 bom': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('127.0.0.1 localhost\r\n')]),
  'blank lines only': Buffer.from('\n\n\n'),
  'another project block': Buffer.from(
    '127.0.0.1 localhost\n# >>> richie-dev /other >>> managed block, remove with "richie-dev hosts remove"\n127.0.0.1\tx.local.dev\n# <<< richie-dev /other <<<\n',
  ),
  'docker-generated': Buffer.from(
    '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\nff02::2\tip6-allrouters\n172.17.0.2\t3f2a9c1b7d10\n',
  ),
  'windows default': Buffer.from(
    '# Copyright (c) 1993-2009 Microsoft Corp.\r\n#\r\n# This is a sample HOSTS file used by Microsoft TCP/IP for Windows.\r\n#\r\n#      102.54.94.97     rhino.acme.com          # source server\r\n#       38.25.63.10     x.acme.com              # x client host\r\n\r\n# localhost name resolution is handled within DNS itself.\r\n#\t127.0.0.1       localhost\r\n#\t::1             localhost\r\n',
  ),
};

/** A blocklist-style hosts file: `lines` entries after the usual two. */
export function blocklist(lines: number, extra = ''): Buffer {
  const out: string[] = ['127.0.0.1 localhost', '::1 localhost ip6-localhost'];
  for (let i = 0; i < lines; i++) out.push(`0.0.0.0 ads${i}.tracker${i % 97}.example # list`);
  return Buffer.from(`${out.join('\n')}\n${extra}`);
}
