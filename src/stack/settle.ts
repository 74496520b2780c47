/**
 * After up, with a local engine on Linux: wait until the project's networks, as this machine
 * sees them, have stopped changing, so a browser already open is not disturbed once run returns.
 *
 * Why: starting a container adds a veth to its network's bridge (and a new network's bridge
 * gets its carrier). The kernel gives each an IPv6 link-local address, tentative during
 * duplicate address detection and announced (RTM_NEWADDR) only once DAD completes: up to
 * rtr_solicit_delay + dad_transmits × retrans_time later, 1–2 s by default
 * (Documentation/networking/ip-sysctl.rst; `ip monitor address` shows the announcement).
 * Chromium's AddressTrackerLinux (net/base/address_tracker_linux.cc) takes a new address as an
 * IP address change, which flushes its socket pools: requests in flight fail with
 * ERR_NETWORK_CHANGED. Docker 20.10's bridge driver has no option to keep link-local addresses
 * off the host side of a veth, and turning IPv6 off on an interface would race the engine
 * bringing it up; waiting for the tentative addresses is cheap and changes nothing.
 *
 * Only the interfaces visible here count: the bridges of the project's networks and their
 * ports (/sys/class/net/<bridge>/brif). An engine in a VM (Docker Desktop) or a rootless one
 * keeps its interfaces in another namespace: there is nothing here to wait for.
 */
import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Engine } from './engine.js';

/** ifa_flags (linux/if_addr.h): DAD still running, or failed for good (then it never settles). */
const IFA_F_TENTATIVE = 0x40;
const IFA_F_DADFAILED = 0x08;

/** A DAD takes up to ~2 s with the defaults; past this the wait gives up rather than hang up. */
export const SETTLE_DEADLINE_MS = 5_000;

/** The host-side name of a bridge network: Docker's "br-" + 12 hex digits of its id, unless named. */
export async function bridgesOf(engine: Engine, networks: readonly string[]): Promise<string[]> {
  const found = await Promise.all(networks.map((name) => engine.networkByName(name)));
  return found.flatMap((n) => (n && n.driver === 'bridge' ? [n.options['com.docker.network.bridge.name'] ?? `br-${n.id.slice(0, 12)}`] : []));
}

/** Interfaces whose IPv6 addresses are still tentative, from /proc/net/if_inet6 (address, index, prefix, scope, flags, name). */
export function tentative(ifInet6: string, names: ReadonlySet<string>): string[] {
  const pending = new Set<string>();
  for (const line of ifInet6.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const flags = parseInt(fields[4]!, 16);
    if (names.has(fields[5]!) && flags & IFA_F_TENTATIVE && !(flags & IFA_F_DADFAILED)) pending.add(fields[5]!);
  }
  return [...pending];
}

/** Each bridge that exists here, and the interfaces attached to it. */
async function interfacesOf(bridges: readonly string[]): Promise<Set<string>> {
  const names = new Set<string>();
  for (const bridge of bridges) {
    const ports = await readdir(`/sys/class/net/${bridge}/brif`).catch(() => undefined);
    if (!ports) continue; // not in this network namespace
    names.add(bridge);
    for (const port of ports) names.add(port);
  }
  return names;
}

/**
 * Wait until no interface of these bridges has a tentative address (polled every 50 ms, at most
 * `deadlineMs`). Returns how long it waited and what was still tentative at the deadline.
 */
export async function settle(bridges: readonly string[], options: { deadlineMs?: number; signal?: AbortSignal } = {}): Promise<{ waitedMs: number; pending: string[] }> {
  const start = performance.now();
  const names = await interfacesOf(bridges);
  if (!names.size) return { waitedMs: 0, pending: [] };
  const deadline = start + (options.deadlineMs ?? SETTLE_DEADLINE_MS);
  for (;;) {
    // No IPv6 here (disabled, or the file unreadable): no address will appear.
    const pending = tentative(await readFile('/proc/net/if_inet6', 'utf8').catch(() => ''), names);
    const waitedMs = Math.round(performance.now() - start);
    if (!pending.length || performance.now() >= deadline || options.signal?.aborted) return { waitedMs, pending };
    await sleep(50);
  }
}
