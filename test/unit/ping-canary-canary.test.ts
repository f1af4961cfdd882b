import { describe, expect, it } from 'vitest';
import {
  attemptSpacingMs,
  CanaryInconclusiveError,
  type CanaryLink,
  type Delay,
  runCanary,
  runLinkCanary,
  selectLinks,
} from '#functions/ping-canary/canary.ts';
import type { Probe, ProbeAttempt, ProbeOptions, ProbeTarget } from '#functions/ping-canary/types.ts';
import { CanaryError, InvalidInputError } from '#shared/errors.ts';
import { FAILURE_MESSAGE_MAX_CHARS } from '#shared/state-size.ts';

const VPC_A = 'vpc-0a1b2c3d4e5f60718';
const VPC_B = 'vpc-0b1c2d3e4f5a60718';

const connected = (rttMs: number): ProbeAttempt => ({ outcome: 'connected', rttMs });
const refused = (rttMs: number): ProbeAttempt => ({ outcome: 'refused', rttMs, detail: 'ECONNREFUSED' });
const timeout: ProbeAttempt = { outcome: 'timeout', rttMs: null, detail: 'no answer within 2000 ms' };
const unresolved: ProbeAttempt = { outcome: 'unresolved', rttMs: null, detail: 'ENOTFOUND' };

function link(
  name: string,
  vpcId: string,
  ports: number[],
  attempts = 3,
  timeoutMs = 2000,
  minTargetsUp?: number,
): CanaryLink {
  return {
    name,
    canary: {
      vpcId,
      targets: ports.map((port) => ({ host: '10.20.1.10', port })),
      attempts,
      timeoutMs,
      ...(minTargetsUp === undefined ? {} : { minTargetsUp }),
    },
  };
}

/** A probe answering from a script per port (cycling), recording every call. */
function scriptedProbe(script: Record<number, ProbeAttempt[]>) {
  const calls: { target: ProbeTarget; options: ProbeOptions }[] = [];
  const probe: Probe = async (target, options) => {
    const answers = script[target.port] ?? [connected(1)];
    const done = calls.filter((call) => call.target.port === target.port).length;
    calls.push({ target, options });
    await new Promise(setImmediate);
    return answers[done % answers.length] as ProbeAttempt;
  };
  return { probe, calls };
}

describe('selectLinks', () => {
  const configured = [
    link('home-to-west', VPC_A, [22]),
    link('home-to-east', VPC_B, [22]),
    link('dr', VPC_A, [443]),
  ];

  it('picks every link whose canary lives in this VPC when none is named', () => {
    // Act
    const selected = selectLinks(configured, VPC_A);

    // Assess
    expect(selected.map((each) => each.name)).toEqual(['home-to-west', 'dr']);
  });

  it('picks exactly the named links of this VPC, once each, in the order named', () => {
    // Act
    const selected = selectLinks(configured, VPC_A, ['dr', 'home-to-west', 'dr']);

    // Assess
    expect(selected.map((each) => each.name)).toEqual(['dr', 'home-to-west']);
  });

  it('rejects a named link that is not configured, listing the configured ones', () => {
    // Act
    const select = () => selectLinks(configured, VPC_A, ['home-to-north']);

    // Assess
    expect(select).toThrow(InvalidInputError);
    expect(select).toThrow(/unknown link "home-to-north".*home-to-west, home-to-east, dr/);
  });

  it('rejects a named link whose canary is in another VPC, naming that VPC', () => {
    // Act
    const select = () => selectLinks(configured, VPC_A, ['home-to-east']);

    // Assess
    expect(select).toThrow(InvalidInputError);
    expect(select).toThrow(
      `link "home-to-east" has its canary in ${VPC_B}, not in this function's VPC ${VPC_A}`,
    );
  });

  it('fails as a canary error when no configured link lives in this VPC', () => {
    // Act
    const select = () => selectLinks(configured, 'vpc-0c1d2e3f4a5b60718');

    // Assess
    expect(select).toThrow(CanaryError);
  });
});

describe('runLinkCanary', () => {
  it("probes every target the configured number of times with the link's timeout", async () => {
    // Prepare
    const { probe, calls } = scriptedProbe({});

    // Act
    await runLinkCanary(link('home-to-west', VPC_A, [22, 443], 3, 1500), probe);

    // Assess
    expect(calls.map((call) => call.target.port).sort()).toEqual([22, 22, 22, 443, 443, 443]);
    expect(calls.every((call) => call.options.timeoutMs === 1500)).toBe(true);
  });

  it("probes targets concurrently but one target's attempts one after another", async () => {
    // Prepare
    let inFlight = 0;
    let mostInFlight = 0;
    const perTarget = new Map<number, number>();
    let mostPerTarget = 0;
    const probe: Probe = async (target) => {
      inFlight += 1;
      perTarget.set(target.port, (perTarget.get(target.port) ?? 0) + 1);
      mostInFlight = Math.max(mostInFlight, inFlight);
      mostPerTarget = Math.max(mostPerTarget, perTarget.get(target.port) ?? 0);
      await new Promise(setImmediate);
      inFlight -= 1;
      perTarget.set(target.port, (perTarget.get(target.port) ?? 0) - 1);
      return connected(1);
    };

    // Act
    await runLinkCanary(link('home-to-west', VPC_A, [22, 443, 3389], 3), probe);

    // Assess
    expect(mostInFlight).toBe(3);
    expect(mostPerTarget).toBe(1);
  });

  it('reports each target from its own attempts and the link from all of them', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [connected(10), timeout, connected(30)], 443: [refused(20)] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22, 443], 3), probe);

    // Assess
    expect(report.targets.map((target) => [target.port, target.reachable, target.lossPercent])).toEqual([
      [22, true, 33.33],
      [443, true, 0],
    ]);
    expect(report).toMatchObject({ success: true, latencyMs: 20, minMs: 10, maxMs: 30, lossPercent: 16.67 });
  });

  it('stops at an abort with a CanaryError and starts no attempt after it', async () => {
    // Prepare
    const controller = new AbortController();
    let calls = 0;
    const probe: Probe = async () => {
      calls += 1;
      controller.abort(new Error('deadline'));
      return connected(1);
    };

    // Act
    const run = runLinkCanary(link('home-to-west', VPC_A, [22, 443], 3), probe, controller.signal);

    // Assess
    await expect(run).rejects.toBeInstanceOf(CanaryError);
    expect(calls).toBe(1);
  });

  it('refuses to start when the signal is already aborted', async () => {
    // Prepare
    const { probe, calls } = scriptedProbe({});

    // Act
    const run = runLinkCanary(link('home-to-west', VPC_A, [22]), probe, AbortSignal.abort());

    // Assess
    await expect(run).rejects.toBeInstanceOf(CanaryError);
    expect(calls).toHaveLength(0);
  });

  it('turns an unexpected probe failure into a CanaryError naming the link, after the other probes end', async () => {
    // Prepare
    const ended: number[] = [];
    const probe: Probe = async (target) => {
      if (target.port === 22) throw new TypeError('socket exploded');
      await new Promise(setImmediate);
      ended.push(target.port);
      return connected(1);
    };

    // Act
    const run = runLinkCanary(link('home-to-west', VPC_A, [22, 443], 2), probe);

    // Assess
    await expect(run).rejects.toThrow(
      new CanaryError('canary for link home-to-west could not complete: TypeError: socket exploded'),
    );
    expect(ended).toEqual([443, 443]);
  });
});

describe("runLinkCanary staggers a silent target's attempts within the timeout", () => {
  /** A probe whose attempts stay in flight until the test settles them. */
  function heldProbe() {
    const held: { options: ProbeOptions; settle: (attempt: ProbeAttempt) => void }[] = [];
    const probe: Probe = (_target, options) =>
      new Promise((resolve) => {
        held.push({ options, settle: resolve });
      });
    return { probe, held };
  }

  /** A delay that records what it was asked and ends at once. */
  function instantDelay() {
    const asked: number[] = [];
    const delay: Delay = async (ms) => {
      asked.push(ms);
      await new Promise(setImmediate);
    };
    return { delay, asked };
  }

  it('starts the next attempt of a silent target a spacing after the previous one, each with the full timeout', async () => {
    // Prepare
    const { probe, held } = heldProbe();
    const { delay, asked } = instantDelay();

    // Act
    const run = runLinkCanary(link('home-to-west', VPC_A, [22], 3, 2000), probe, undefined, delay);
    while (held.length < 3) await new Promise(setImmediate);
    const inFlightAtOnce = held.length;
    for (const attempt of held) attempt.settle(timeout);
    const report = await run;

    // Assess: all three in flight together, started 100 ms (a tenth of 2 s over two gaps) apart.
    expect(inFlightAtOnce).toBe(3);
    expect(asked).toEqual([100, 100]);
    expect(held.map((attempt) => attempt.options.timeoutMs)).toEqual([2000, 2000, 2000]);
    expect(report).toMatchObject({ success: false, lossPercent: 100 });
    expect(report.targets[0]?.attempts).toHaveLength(3);
  });

  it('starts the next attempt as soon as the previous one answers, without waiting out the spacing', async () => {
    // Prepare: a delay that never ends on its own, only when its wait is called off.
    const calledOff: boolean[] = [];
    const never: Delay = (_ms, signal) =>
      new Promise((_resolve, reject) => {
        signal.addEventListener('abort', () => {
          calledOff.push(true);
          reject(signal.reason);
        });
      });
    const { probe, calls } = scriptedProbe({ 22: [connected(5), connected(7), connected(9)] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22], 3), probe, undefined, never);

    // Assess: three attempts one after another, and each pending wait cancelled (no timer left).
    expect(calls).toHaveLength(3);
    expect(calledOff).toEqual([true, true]);
    expect(report).toMatchObject({ success: true, latencyMs: 7, lossPercent: 0 });
  });

  it('counts an attempt answered after an earlier silent one as an answer and the silent one as a loss', async () => {
    // Prepare
    const { probe, held } = heldProbe();
    const { delay } = instantDelay();

    // Act: the first attempt is still silent when the second (started a spacing later) answers.
    const run = runLinkCanary(link('home-to-west', VPC_A, [22], 2, 2000), probe, undefined, delay);
    while (held.length < 2) await new Promise(setImmediate);
    held[1]?.settle(connected(40));
    held[0]?.settle(timeout);
    const report = await run;

    // Assess: attempts reported in the order they were started.
    expect(report.targets[0]?.attempts.map((attempt) => attempt.outcome)).toEqual(['timeout', 'connected']);
    expect(report).toMatchObject({ success: true, latencyMs: 40, lossPercent: 50 });
  });

  it('starts every attempt within a tenth of the timeout, whatever the number of attempts', () => {
    for (let attempts = 1; attempts <= 10; attempts += 1) {
      for (const timeoutMs of [100, 2000, 10_000]) {
        const lastStart = (attempts - 1) * attemptSpacingMs(attempts, timeoutMs);
        expect(lastStart).toBeLessThanOrEqual(timeoutMs / 10 + 1e-9);
      }
    }
    expect(attemptSpacingMs(1, 2000)).toBe(0);
  });
});

describe('runLinkCanary judges the path k of n', () => {
  it('keeps the path up when one target among several is silent (a far host down, an SG that drops)', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [connected(10)], 443: [timeout], 3389: [refused(12)] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22, 443, 3389], 2), probe);

    // Assess: up, and the silent target still in the per-target detail.
    expect(report).toMatchObject({ success: true, targetsUp: 2, minTargetsUp: 1, lossPercent: 0 });
    expect(report.targets.map((target) => [target.port, target.status])).toEqual([
      [22, 'reachable'],
      [443, 'silent'],
      [3389, 'reachable'],
    ]);
  });

  it('reports the path down when every target is silent', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [timeout], 443: [timeout] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22, 443], 2), probe);

    // Assess
    expect(report).toMatchObject({ success: false, targetsUp: 0, lossPercent: 100, latencyMs: null });
  });

  it('reports the path down when fewer than minTargetsUp answer', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [connected(10)], 443: [timeout], 3389: [timeout] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22, 443, 3389], 1, 2000, 2), probe);

    // Assess
    expect(report).toMatchObject({ success: false, targetsUp: 1, minTargetsUp: 2 });
  });

  it('fails as a collection failure (CanaryError), not a loss, when an unresolvable name decides the verdict', async () => {
    // Prepare: the only other target is silent, so the unresolved one decides.
    const { probe } = scriptedProbe({ 22: [unresolved], 443: [timeout] });

    // Act
    const run = runLinkCanary(link('home-to-west', VPC_A, [22, 443], 2), probe);

    // Assess
    await expect(run).rejects.toBeInstanceOf(CanaryInconclusiveError);
    await expect(run).rejects.toMatchObject({ name: 'CanaryError', link: 'home-to-west' });
    await expect(run).rejects.toThrow(
      /0 of 2 targets answered \(min 1\) and 1 did not resolve, so the path is unknown \(a collection failure, not lost connectivity\): fix canary\.targets of home-to-west: 10\.20\.1\.10:22$/,
    );
  });

  it('keeps the path up when enough targets answer beside an unresolvable name', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [unresolved], 443: [connected(8)] });

    // Act
    const report = await runLinkCanary(link('home-to-west', VPC_A, [22, 443], 2), probe);

    // Assess: up, no loss counted for attempts that were never sent.
    expect(report).toMatchObject({ success: true, targetsUp: 1, lossPercent: 0 });
    expect(report.targets[0]?.status).toBe('unresolved');
  });
});

describe('runCanary', () => {
  it('keeps an inconclusive link to itself: it goes to failures, the other links still report', async () => {
    // Prepare: home-to-west probes only an unresolvable name (port 22); dr answers.
    const { probe } = scriptedProbe({ 22: [unresolved], 443: [connected(5)] });
    const links = [link('home-to-west', VPC_A, [22], 1), link('dr', VPC_A, [443], 1)];

    // Act
    const { result, failures } = await runCanary({
      vpcId: VPC_A,
      links,
      probe,
      startedAt: new Date('2026-11-26T20:29:38Z'),
    });

    // Assess: the result names the link and why (capped text), the log's detail keeps its targets.
    expect(result.links.map((each) => [each.link, each.success])).toEqual([['dr', true]]);
    const message =
      'inconclusive: 0 of 1 targets answered (min 1) and 1 did not resolve, so the path is unknown (a collection failure, not lost connectivity): fix canary.targets of home-to-west: 10.20.1.10:22';
    expect(result.failures).toEqual([{ link: 'home-to-west', error: 'CanaryError', message }]);
    expect(failures).toEqual([
      {
        link: 'home-to-west',
        error: 'CanaryError',
        message,
        targets: [expect.objectContaining({ host: '10.20.1.10', port: 22, status: 'unresolved' })],
      },
    ]);
  });

  it('caps an inconclusive message at FAILURE_MESSAGE_MAX_CHARS, the verdict and the fix first', async () => {
    // Prepare: twenty long names that do not resolve (the message would list them all).
    const ports = Array.from({ length: 20 }, (_, index) => 2000 + index);
    const { probe } = scriptedProbe(Object.fromEntries(ports.map((port) => [port, [unresolved]])));
    const longNames: CanaryLink = {
      name: 'home-to-west',
      canary: {
        vpcId: VPC_A,
        targets: ports.map((port) => ({ host: `${'h'.repeat(60)}.corp.example.com`, port })),
        attempts: 1,
        timeoutMs: 100,
      },
    };

    // Act
    const { result, failures } = await runCanary({
      vpcId: VPC_A,
      links: [longNames, link('dr', VPC_A, [443], 1)],
      probe,
      startedAt: new Date(),
    });

    // Assess
    const message = result.failures?.[0]?.message ?? '';
    expect(message).toHaveLength(FAILURE_MESSAGE_MAX_CHARS);
    expect(message).toMatch(
      /^inconclusive: 0 of 20 targets answered \(min 1\) and 20 did not resolve.*fix canary\.targets of home-to-west: h+.*\[truncated\]$/,
    );
    expect(failures[0]?.targets).toHaveLength(20);
  });

  it('fails the run (its invocation is the collection failure AWS/Lambda Errors counts) when no link could be judged', async () => {
    // Prepare: both links of the VPC probe only unresolvable names.
    const { probe } = scriptedProbe({ 22: [unresolved], 443: [unresolved] });
    const links = [link('home-to-west', VPC_A, [22], 1), link('dr', VPC_A, [443], 1)];

    // Act
    const run = runCanary({ vpcId: VPC_A, links, probe, startedAt: new Date() });

    // Assess: a CanaryError (the ASL's contract) naming the VPC and why each link failed.
    await expect(run).rejects.toMatchObject({ name: 'CanaryError' });
    await expect(run).rejects.not.toBeInstanceOf(CanaryInconclusiveError);
    await expect(run).rejects.toThrow(
      new RegExp(
        `canary for VPC ${VPC_A} judged none of its 2 link\\(s\\): home-to-west: inconclusive: .*; dr: inconclusive: `,
      ),
    );
  });

  it("still fails the whole run on an abort (the deadline is every link's)", async () => {
    // Prepare
    const controller = new AbortController();
    const probe: Probe = async () => {
      controller.abort(new Error('deadline'));
      return connected(1);
    };
    const links = [link('home-to-west', VPC_A, [22], 2), link('dr', VPC_A, [443], 2)];

    // Act
    const run = runCanary({ vpcId: VPC_A, links, probe, signal: controller.signal, startedAt: new Date() });

    // Assess
    await expect(run).rejects.toBeInstanceOf(CanaryError);
    await expect(run).rejects.not.toBeInstanceOf(CanaryInconclusiveError);
  });

  it('reports every link of the run with the VPC and the start time', async () => {
    // Prepare
    const { probe } = scriptedProbe({ 22: [connected(5)], 443: [timeout] });
    const links = [link('home-to-west', VPC_A, [22], 1), link('dr', VPC_A, [443], 1)];

    // Act
    const { result, details } = await runCanary({
      vpcId: VPC_A,
      links,
      probe,
      startedAt: new Date('2026-11-26T20:29:38Z'),
    });

    // Assess: the result carries each link's figures, not its targets; the details keep them.
    expect(result.links).toEqual([
      {
        link: 'home-to-west',
        success: true,
        targetsUp: 1,
        targetsTotal: 1,
        minTargetsUp: 1,
        latencyMs: 5,
        minMs: 5,
        maxMs: 5,
        lossPercent: 0,
      },
      {
        link: 'dr',
        success: false,
        targetsUp: 0,
        targetsTotal: 1,
        minTargetsUp: 1,
        latencyMs: null,
        minMs: null,
        maxMs: null,
        lossPercent: 100,
      },
    ]);
    expect(details.map((each) => each.targets.map((target) => [target.port, target.status]))).toEqual([
      [[22, 'reachable']],
      [[443, 'silent']],
    ]);
    expect(result.vpcId).toBe(VPC_A);
    expect(result.probedAt).toBe('2026-11-26T20:29:38.000Z');
    expect(result.links.map((each) => [each.link, each.success])).toEqual([
      ['home-to-west', true],
      ['dr', false],
    ]);
    expect(result.failures).toEqual([]);
  });
});
