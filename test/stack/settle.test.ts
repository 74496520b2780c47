/**
 * settle (src/stack/settle.ts), the parts that need no engine: which interfaces are still in
 * duplicate address detection, read as the kernel writes /proc/net/if_inet6, and no wait at
 * all for bridges this network namespace does not have (an engine in a VM, a rootless one).
 * The wait itself is proven against the real stack by test/browser/network-settle.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { settle, tentative } from '../../src/stack/settle.js';

// address, ifindex, prefix length, scope, flags (hex ifa_flags), name: as on this machine after a run.
const IF_INET6 = `fe8000000000000008cdf0fffe9d7f88 70 40 20 80 veth3f24501
00000000000000000000000000000001 01 80 10 80       lo
fe800000000000000042f2fffe837f1f 6e 40 20 c0 br-3f2abb52a4c4
fe80000000000000f8fa87fffe9fa442 76 40 20 c0 veth0cef793
fe800000000000002c05a7fffec723ff 72 40 20 c8 veth05ddc89
fe800000000000000042a5fffe07e3ce 6d 40 20 c0 br-392316acbf5d
`;

describe('settle', () => {
  it('names the interfaces of the set whose address is tentative (0x40), never one whose DAD failed (0x08)', () => {
    expect(tentative(IF_INET6, new Set(['br-3f2abb52a4c4', 'veth0cef793', 'veth05ddc89', 'veth3f24501']))).toEqual(['br-3f2abb52a4c4', 'veth0cef793']);
    expect(tentative(IF_INET6, new Set(['veth3f24501', 'lo']))).toEqual([]);
    expect(tentative('', new Set(['br-3f2abb52a4c4']))).toEqual([]);
  });

  it('bridges absent from this namespace: nothing to wait for', async () => {
    expect(await settle(['br-000000000000'])).toEqual({ waitedMs: 0, pending: [] });
  });
});
