/**
 * The instance's own side of boot (Amazon Linux 2023 with the `libreswan` package): files, the
 * kernel's forwarding settings and the ipsec service. Every command runs with a timeout.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';
import type { BootHost } from './boot.ts';

const run = promisify(execFile);
const TIMEOUT_MS = 30_000;

/**
 * Kernel settings of a forwarding IPsec gateway: forwarding on; redirects off and reverse-path
 * filtering off, which Libreswan's `ipsec verify` asks for on a gateway whose traffic leaves by the
 * interface it arrived on.
 */
export const FORWARDING_SYSCTLS: readonly string[] = [
  'net.ipv4.ip_forward=1',
  'net.ipv4.conf.all.send_redirects=0',
  'net.ipv4.conf.default.send_redirects=0',
  'net.ipv4.conf.all.accept_redirects=0',
  'net.ipv4.conf.default.accept_redirects=0',
  'net.ipv4.conf.all.rp_filter=0',
  'net.ipv4.conf.default.rp_filter=0',
];

/**
 * Counts the connections with an established IPsec SA in `ipsec trafficstatus` output, whose lines
 * read `006 #2: "vpn-0a1b-tunnel1", type=ESP, add_time=..., inBytes=0, ...`.
 */
export function countEstablishedTunnels(trafficStatus: string): number {
  const names = new Set<string>();
  for (const line of trafficStatus.split('\n')) {
    const match = /#\d+: "([^"]+)"/.exec(line);
    if (match?.[1]) names.add(match[1].replace(/\/\d+x\d+$/, ''));
  }
  return names.size;
}

/** The real host. */
export function linuxHost(): BootHost {
  return {
    async writeFile(path, content, mode) {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content, { mode });
    },
    async enableForwarding() {
      await run('sysctl', ['-w', ...FORWARDING_SYSCTLS], { timeout: TIMEOUT_MS });
    },
    async startIpsec() {
      await run('systemctl', ['enable', '--now', 'ipsec'], { timeout: TIMEOUT_MS });
      // A restart, not a start, when Libreswan already ran (a re-run of boot): it rereads the files.
      await run('systemctl', ['restart', 'ipsec'], { timeout: TIMEOUT_MS });
    },
    async tunnelsUp() {
      const { stdout } = await run('ipsec', ['trafficstatus'], { timeout: TIMEOUT_MS }).catch(() => ({
        stdout: '',
      }));
      return countEstablishedTunnels(stdout);
    },
  };
}
