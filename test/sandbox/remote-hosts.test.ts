/** The canary's far side: real listeners on loopback that answer, go silent, refuse, or answer slowly. */
import { afterEach, describe, expect, it } from 'vitest';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import { RemoteHost } from '#sandbox/world/remote-hosts.ts';

let host: RemoteHost | undefined;
afterEach(async () => {
  await host?.close();
  host = undefined;
});

/**
 * A handshake to an answering host completes in the kernel at once, but on a loaded machine this
 * process's event loop can stall past a short timeout before it sees the connect: answering probes
 * get 2 s. A silent host's probe stays short (300 ms, under the 1 s SYN retransmission).
 */
const probe = (h: RemoteHost, timeoutMs = 2000) => probeTcp({ host: h.host, port: h.port }, { timeoutMs });
const SILENT_PROBE_MS = 300;

describe('remote hosts on loopback', () => {
  it('answers handshakes, then leaves SYNs unanswered when silenced, then answers again', async () => {
    host = await RemoteHost.start('127.0.9.1');
    expect((await probe(host)).outcome).toBe('connected');
    await host.setMode('silent');
    expect((await probe(host, SILENT_PROBE_MS)).outcome).toBe('timeout');
    await host.setMode('answering');
    expect((await probe(host)).outcome).toBe('connected');
  });

  it('refuses connections when the remote service is down (which the canary counts as reachable)', async () => {
    host = await RemoteHost.start('127.0.9.2');
    await host.setMode('refusing');
    expect((await probe(host)).outcome).toBe('refused');
    await host.setMode('answering');
    expect((await probe(host)).outcome).toBe('connected');
  });

  it('answers a slow path only on the SYN retransmission, about a second later', async () => {
    host = await RemoteHost.start('127.0.9.3');
    await host.slowOnce(200);
    const attempt = await probe(host, 3000);
    expect(attempt.outcome).toBe('connected');
    expect(attempt.rttMs).toBeGreaterThan(500);
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(RemoteHost.start('192.0.2.1')).rejects.toThrow(/loopback only/);
  });

  it('leaves no child process behind once closed, even while silenced', async () => {
    host = await RemoteHost.start('127.0.9.4');
    await host.setMode('silent');
    const pid = (host as unknown as { child: { pid: number } }).child.pid;
    await host.close();
    host = undefined;
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
