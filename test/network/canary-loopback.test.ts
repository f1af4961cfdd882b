/**
 * The canary against real sockets on loopback: a listener that accepts, a closed port (the kernel
 * refuses), and a listener whose full accept queue makes the kernel drop SYNs (silence).
 */
import { readFileSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type CanaryLink, runLinkCanary } from '#functions/ping-canary/canary.ts';
import { handler } from '#functions/ping-canary/handler.ts';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import type { Probe } from '#functions/ping-canary/types.ts';
import { CanaryError } from '#shared/errors.ts';
import {
  type AcceptingListener,
  closedLoopbackPort,
  type HeldListener,
  openClientSockets,
  startAcceptingListener,
  startHeldListener,
} from './support.ts';

const HOST = '127.0.0.1';
const VPC = 'vpc-0a1b2c3d4e5f60718';

describe('the canary on loopback sockets', () => {
  let accepting: AcceptingListener;
  let refusedPort: number;
  let held: HeldListener;

  beforeAll(async () => {
    accepting = await startAcceptingListener(HOST);
    refusedPort = await closedLoopbackPort();
    held = await startHeldListener({ host: HOST });
  });

  afterAll(async () => {
    vi.unstubAllEnvs();
    await held?.dispose();
    await accepting?.close();
  });

  it('connects to a listener that accepts and measures the handshake round trip', async () => {
    // Act
    const attempt = await probeTcp({ host: HOST, port: accepting.port }, { timeoutMs: 5_000 });

    // Assess
    expect(attempt.outcome).toBe('connected');
    expect(attempt.rttMs).toBeGreaterThan(0);
  });

  it('counts a refused connection as an answer, with the round trip to the refusal', async () => {
    // Act
    const attempt = await probeTcp({ host: HOST, port: refusedPort }, { timeoutMs: 5_000 });

    // Assess
    expect(attempt).toMatchObject({ outcome: 'refused', detail: 'ECONNREFUSED' });
    expect(attempt.rttMs).toBeGreaterThan(0);
  });

  it('reports a timeout without a round trip when the host never answers the SYN', async () => {
    // Act
    const attempt = await probeTcp({ host: HOST, port: held.port }, { timeoutMs: 300 });

    // Assess
    expect(attempt).toEqual({ outcome: 'timeout', rttMs: null, detail: 'no answer within 300 ms' });
  });

  it('keeps a path up with one silent target among several (k = 1), and fails it when all three must answer', async () => {
    // Prepare: one listener accepts, one port refuses, one listener never completes a handshake.
    const link = (minTargetsUp: number): CanaryLink => ({
      name: 'home-to-west',
      canary: {
        vpcId: VPC,
        targets: [
          { host: HOST, port: accepting.port },
          { host: HOST, port: refusedPort },
          { host: HOST, port: held.port },
        ],
        attempts: 2,
        timeoutMs: 300,
        minTargetsUp,
      },
    });

    // Act
    const atLeastOne = await runLinkCanary(link(1), probeTcp);
    const everyOne = await runLinkCanary(link(3), probeTcp);

    // Assess: the refusing target counts as reachable, the silent one stays in the per-target detail.
    expect(atLeastOne.targets.map((target) => [target.port, target.status, target.lossPercent])).toEqual([
      [accepting.port, 'reachable', 0],
      [refusedPort, 'reachable', 0],
      [held.port, 'silent', 100],
    ]);
    // Up: loss over the answering targets (the silent host is not the path's loss).
    expect(atLeastOne).toMatchObject({ success: true, targetsUp: 2, lossPercent: 0 });
    expect(atLeastOne.latencyMs).toBeGreaterThan(0);
    // Down: loss over every attempt sent.
    expect(everyOne).toMatchObject({ success: false, targetsUp: 2, minTargetsUp: 3, lossPercent: 33.33 });
  });

  it('ends a run aborted mid-probe with a CanaryError and leaves no socket open', async () => {
    // Prepare: timeouts far beyond the test's own limit, so only the abort can end the run.
    await accepting.idle();
    const before = openClientSockets();
    const controller = new AbortController();
    const started: number[] = [];
    const probe: Probe = (target, options) => {
      const attempt = probeTcp(target, options);
      started.push(target.port);
      // Abort once both targets have a SYN on the wire (the connect starts on the next tick).
      if (started.length === 2) setImmediate(() => controller.abort(new Error('deadline')));
      return attempt;
    };
    const link: CanaryLink = {
      name: 'home-to-west',
      canary: {
        vpcId: VPC,
        targets: [
          { host: HOST, port: held.port },
          { host: HOST, port: held.port },
        ],
        attempts: 3,
        timeoutMs: 600_000,
      },
    };

    // Act
    const outcome = runLinkCanary(link, probe, controller.signal);

    // Assess
    await expect(outcome).rejects.toBeInstanceOf(CanaryError);
    expect(started).toEqual([held.port, held.port]);
    expect(openClientSockets()).toBe(before);
  });

  it('fails a handler invoked near its deadline as a collection failure, never as lost connectivity', async () => {
    // Prepare: one link whose only target is silent, with a time budget far beyond the deadline.
    await accepting.idle();
    const before = openClientSockets();
    const example = JSON.parse(readFileSync(new URL('../../config/example.json', import.meta.url), 'utf8'));
    example.links[0].canary = {
      ...example.links[0].canary,
      vpcId: VPC,
      targets: [{ host: HOST, port: held.port }],
      attempts: 2,
      timeoutMs: 10_000,
    };
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(example));
    vi.stubEnv('CANARY_VPC_ID', VPC);

    // Act: middy aborts the signal 500 ms before the deadline it reads from the context.
    const outcome = handler({}, lambdaContext(1_000));

    // Assess: the invocation fails (middy's TimeoutError wins the race with our CanaryError); it
    // never returns a report that would read as loss.
    const error = await outcome.then(
      (result) => ({ name: 'returned', message: JSON.stringify(result) }),
      (thrown: Error) => thrown,
    );
    expect(['TimeoutError', 'CanaryError']).toContain(error.name);
    await vi.waitFor(() => expect(openClientSockets()).toBe(before), { timeout: 5_000, interval: 10 });
  });
});

function lambdaContext(remainingMs: number): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'ping-canary',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:ping-canary',
    memoryLimitInMB: '256',
    awsRequestId: 'loopback-test',
    logGroupName: '/aws/lambda/ping-canary',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
