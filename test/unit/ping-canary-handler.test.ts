/**
 * The ping-canary handler as Lambda runs it: env config, input parsing, link selection by VPC,
 * probing real listeners on loopback (the stand-ins for the far side of the VPN).
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Context } from 'aws-lambda';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCanaryHandler, handler } from '#functions/ping-canary/handler.ts';
import type { CanaryResult, LinkCanaryDetail } from '#functions/ping-canary/types.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { logger } from '#shared/powertools.ts';

const VPC_A = 'vpc-0a1b2c3d4e5f60718';
const VPC_B = 'vpc-0b1c2d3e4f5a60718';

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'ping-canary',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:111111111111:function:ping-canary',
  memoryLimitInMB: '256',
  awsRequestId: 'handler-test',
  logGroupName: '/aws/lambda/ping-canary',
  logStreamName: 'local',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

describe('the ping-canary handler', () => {
  let listener: Server;
  let openPort = 0;
  let closedPort = 0;
  let config = '';

  beforeAll(async () => {
    listener = createServer((connection) => connection.destroy());
    openPort = await listen(listener);
    const spare = createServer();
    closedPort = await listen(spare);
    await new Promise((resolve) => spare.close(resolve));

    // The shipped example with its link moved onto loopback targets, plus links in two VPCs.
    const example = JSON.parse(readFileSync(new URL('../../config/example.json', import.meta.url), 'utf8'));
    const west = example.links[0];
    const onLoopback = (vpcId: string, ports: number[]) => ({
      ...west.canary,
      vpcId,
      targets: ports.map((port) => ({ host: '127.0.0.1', port })),
      attempts: 2,
      timeoutMs: 1000,
    });
    // Each link with its own gateway group, Elastic IP, route and VPN (links may not share them).
    const own = (n: number) => ({
      gateway: {
        ...west.gateway,
        autoScalingGroupName: `vpn-gateway-${n}`,
        elasticIpAllocationId: `eipalloc-0a1b2c3d4e5f6000${n}`,
        remoteCidrs: [`10.${20 + n}.0.0/16`],
      },
      vpn: { ...west.vpn, vpnConnectionIds: [`vpn-0a1b2c3d4e5f6000${n}`] },
    });
    example.links = [
      { ...west, ...own(0), name: 'home-to-west', canary: onLoopback(VPC_A, [openPort, closedPort]) },
      { ...west, ...own(1), name: 'home-to-east', canary: onLoopback(VPC_B, [openPort]) },
      { ...west, ...own(2), name: 'dr', canary: onLoopback(VPC_A, [openPort]) },
    ];
    config = JSON.stringify(example);
  });

  beforeEach(() => {
    vi.stubEnv('VPN_GUARD_CONFIG', config);
    vi.stubEnv('CANARY_VPC_ID', VPC_A);
  });

  afterEach(() => {
    vi.unstubAllEnvs();
  });

  afterAll(async () => {
    await new Promise((resolve) => listener?.close(resolve));
  });

  it('probes every link of its own VPC, and only those, when no link is named', async () => {
    // Act
    const result = (await handler({ executionId: 'arn:aws:states:local:exec' }, context)) as CanaryResult;

    // Assess
    expect(result.vpcId).toBe(VPC_A);
    expect(result.links.map((link) => [link.link, link.success, link.lossPercent])).toEqual([
      ['home-to-west', true, 0],
      ['dr', true, 0],
    ]);
    // Figures only (the per-target attempts are in the log): both targets answered.
    expect(result.links[0]).toEqual({
      link: 'home-to-west',
      success: true,
      targetsUp: 2,
      targetsTotal: 2,
      minTargetsUp: 1,
      latencyMs: expect.any(Number),
      minMs: expect.any(Number),
      maxMs: expect.any(Number),
      lossPercent: 0,
    });
    expect(JSON.stringify(result)).not.toContain('attempts');
  });

  it('logs every target and attempt of each link (the detail the result no longer carries)', async () => {
    // Prepare
    const info = vi.spyOn(logger, 'info');

    // Act
    await handler({ links: ['home-to-west'] }, context);

    // Assess
    const logged = info.mock.calls.find(([message]) => message === 'canary')?.[1] as
      | { report: LinkCanaryDetail }
      | undefined;
    expect(logged?.report).toMatchObject({ link: 'home-to-west', targetsUp: 2, targetsTotal: 2 });
    expect(logged?.report.targets.map((target) => target.attempts.map((a) => a.outcome))).toEqual([
      ['connected', 'connected'],
      ['refused', 'refused'],
    ]);
    info.mockRestore();
  });

  it('probes only the links named in the input', async () => {
    // Act
    const result = (await handler({ links: ['dr'] }, context)) as CanaryResult;

    // Assess
    expect(result.links.map((link) => link.link)).toEqual(['dr']);
  });

  it('rejects an unknown link as invalid input', async () => {
    // Act
    const invocation = handler({ links: ['home-to-north'] }, context);

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('rejects a link whose canary lives in another VPC as invalid input', async () => {
    // Act
    const invocation = handler({ links: ['home-to-west', 'home-to-east'] }, context);

    // Assess
    // Plain text (its Cause sits in the Monitor's state): the quotes become single ones.
    await expect(invocation).rejects.toThrow(/link 'home-to-east' has its canary in vpc-0b1c2d3e4f5a60718/);
    await expect(invocation).rejects.toBeInstanceOf(InvalidInputError);
    await expect(invocation).rejects.toMatchObject({ stack: 'InvalidInputError' });
  });

  it('rejects an empty list of links as invalid input rather than probing nothing', async () => {
    // Act
    const invocation = handler({ links: [] }, context);

    // Assess
    await expect(invocation).rejects.toBeInstanceOf(InvalidInputError);
  });

  it('fails naming CANARY_VPC_ID when the function was deployed without it', async () => {
    // Prepare
    vi.stubEnv('CANARY_VPC_ID', '');

    // Act
    const invocation = handler({}, context);

    // Assess
    await expect(invocation).rejects.toThrow(/CANARY_VPC_ID is not set/);
  });

  it('serves another VPC from the same process when built over that environment', async () => {
    // Prepare
    const otherVpc = createCanaryHandler({ VPN_GUARD_CONFIG: config, CANARY_VPC_ID: VPC_B });

    // Act
    const result = (await otherVpc({}, context)) as CanaryResult;

    // Assess
    expect(result.vpcId).toBe(VPC_B);
    expect(result.links.map((link) => link.link)).toEqual(['home-to-east']);
  });
});

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) =>
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      if (typeof address === 'object' && address) resolve(address.port);
      else reject(new Error('listener has no TCP port'));
    }),
  );
}
