/**
 * The canary across a real network path: a veth pair into a network namespace this test creates,
 * addressed from 198.18.0.0/15 (RFC 2544 benchmarking space, never routed on the internet). Cutting
 * that path must make attempts lost (timeout / unreachable), never refused: a refusal would claim
 * the far host answered.
 *
 * Safety: an `unreachable` route for the test's /24 makes sure that, whatever the test does to the
 * veth, a packet for its addresses can never fall through to the default route.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CanaryLink, runLinkCanary } from '#functions/ping-canary/canary.ts';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import type { Probe } from '#functions/ping-canary/types.ts';
import { type HeldListener, hasProgram, run, startHeldListener } from './support.ts';

const isRoot = process.getuid?.() === 0;
const canRun = isRoot && hasProgram('ip') && hasProgram('ss');
if (!canRun) {
  console.log(
    `canary-netns: SKIPPED the network namespace tests: ${isRoot ? 'iproute2 (`ip`, `ss`) is missing' : 'not running as root'}, so no namespace and veth pair can be created`,
  );
}

const LOST = ['timeout', 'unreachable'];

describe.skipIf(!canRun)('the canary across a veth pair into a network namespace', () => {
  const ns = `vpng-${process.pid}`;
  const hostIf = `vpngh${process.pid}`;
  const nsIf = `vpngn${process.pid}`;
  let subnet = 0;
  let hostAddress = '';
  let farAddress = '';
  let listener: HeldListener | undefined;
  let listenerPort = 0;

  const cutPath = (): void => {
    run('ip', ['-n', ns, 'link', 'set', 'dev', nsIf, 'down']);
  };
  const restorePath = (): void => {
    run('ip', ['-n', ns, 'link', 'set', 'dev', nsIf, 'up']);
  };
  /** Resolves once this machine has a SYN out to the port and no answer yet. */
  const synInFlight = (port: number): Promise<void> =>
    vi.waitFor(
      () => {
        const sockets = run('ss', ['-Htn', 'state', 'syn-sent', 'dst', `${farAddress}:${port}`]);
        expect(sockets.trim()).not.toBe('');
      },
      { timeout: 5_000, interval: 5 },
    );
  const linkTo = (port: number, attempts: number, timeoutMs: number): CanaryLink => ({
    name: 'home-to-west',
    canary: { vpcId: 'vpc-0a1b2c3d4e5f60718', targets: [{ host: farAddress, port }], attempts, timeoutMs },
  });

  beforeAll(async () => {
    subnet = freeSubnet();
    hostAddress = `198.18.${subnet}.1`;
    farAddress = `198.18.${subnet}.2`;
    run('ip', ['route', 'add', 'unreachable', `198.18.${subnet}.0/24`]);
    run('ip', ['netns', 'add', ns]);
    run('ip', ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf, 'netns', ns]);
    run('ip', ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    run('ip', ['link', 'set', 'dev', hostIf, 'up']);
    run('ip', ['-n', ns, 'addr', 'add', `${farAddress}/30`, 'dev', nsIf]);
    run('ip', ['-n', ns, 'link', 'set', 'dev', nsIf, 'up']);
    run('ip', ['-n', ns, 'link', 'set', 'dev', 'lo', 'up']);
    // Refuse to send anything unless the kernel routes the far address over our veth.
    const route = run('ip', ['route', 'get', farAddress]);
    if (!route.includes(`dev ${hostIf}`)) throw new Error(`unexpected route to ${farAddress}: ${route}`);

    // An always-answering listener inside the namespace (the held one, resumed at once).
    listener = await startHeldListener({ host: farAddress, netns: ns });
    listener.resume();
    listenerPort = listener.port;
  });

  afterAll(async () => {
    await listener?.dispose();
    const teardown = [
      ['netns', 'del', ns],
      ['link', 'del', hostIf],
    ];
    if (subnet > 0) teardown.push(['route', 'del', 'unreachable', `198.18.${subnet}.0/24`]);
    for (const args of teardown) {
      try {
        run('ip', args);
      } catch {
        // Already gone (deleting the namespace removes the veth pair), or never created.
      }
    }
  });

  it('connects across the veth to a listener inside the namespace', async () => {
    // Act
    const attempt = await probeTcp({ host: farAddress, port: listenerPort }, { timeoutMs: 5_000 });

    // Assess
    expect(attempt.outcome).toBe('connected');
    expect(attempt.rttMs).toBeGreaterThan(0);
  });

  it('counts a refusal from the far host as an answer: the path works, only the port is closed', async () => {
    // Act: nothing listens on the discard port in a namespace this test just made.
    const attempt = await probeTcp({ host: farAddress, port: 9 }, { timeoutMs: 5_000 });

    // Assess
    expect(attempt.outcome).toBe('refused');
    expect(attempt.rttMs).toBeGreaterThan(0);
  });

  it('turns the attempts after a path cut into loss, never into refusals', async () => {
    // Prepare: cut the path as soon as the first attempt of the run has answered.
    let attemptsSeen = 0;
    const probe: Probe = async (target, options) => {
      const attempt = await probeTcp(target, options);
      attemptsSeen += 1;
      if (attemptsSeen === 1) cutPath();
      return attempt;
    };

    // Act
    const report = await runLinkCanary(linkTo(listenerPort, 3, 500), probe).finally(restorePath);

    // Assess
    const outcomes = report.targets[0]?.attempts.map((attempt) => attempt.outcome);
    expect(outcomes?.[0]).toBe('connected');
    expect(outcomes?.slice(1).every((outcome) => LOST.includes(outcome))).toBe(true);
    expect(report.lossPercent).toBe(66.67);
    expect(report.success).toBe(true);
  });

  describe('with a SYN in flight (the listener answers only its retransmission)', () => {
    let stalled: HeldListener | undefined;

    beforeAll(async () => {
      // Its accept queue is full, so the first SYN is dropped and the probe stays in flight.
      stalled = await startHeldListener({ host: farAddress, netns: ns });
    });

    afterAll(async () => {
      await stalled?.dispose();
    });

    it('connects on the retransmitted SYN once the far listener drains its queue (control)', async () => {
      // Prepare: Linux retransmits an unanswered SYN after 1 s; the timeout leaves room for it.
      const port = stalled?.port ?? 0;
      const inFlight = probeTcp({ host: farAddress, port }, { timeoutMs: 3_000 });
      await synInFlight(port);

      // Act
      stalled?.resume();
      const attempt = await inFlight;

      // Assess
      expect(attempt.outcome).toBe('connected');
    });

    it('loses a probe whose path is cut while its SYN is in flight', async () => {
      // Prepare: a fresh stalled listener, as the control drained the first one.
      await stalled?.dispose();
      stalled = await startHeldListener({ host: farAddress, netns: ns });
      const port = stalled.port;
      const inFlight = probeTcp({ host: farAddress, port }, { timeoutMs: 3_000 });
      await synInFlight(port);

      // Act: the far side would now answer the retransmission, but the path is gone.
      cutPath();
      stalled.resume();
      const attempt = await inFlight.finally(restorePath);

      // Assess
      expect(LOST).toContain(attempt.outcome);
      expect(attempt.rttMs).toBeNull();
    });
  });
});

/** A third octet whose 198.18.x.0/24 nothing on this machine uses yet (concurrent runs differ by pid). */
function freeSubnet(): number {
  for (let offset = 0; offset < 254; offset += 1) {
    const octet = ((process.pid + offset) % 254) + 1;
    const used = run('ip', ['-o', 'route', 'show', 'root', `198.18.${octet}.0/24`]).trim() !== '';
    if (!used) return octet;
  }
  throw new Error('no free 198.18.x.0/24 for the test namespace');
}
