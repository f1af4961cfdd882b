/**
 * The remediation loop's decision, pure: a table of observations and loop states, each with the
 * rung and action an operator wants, then the loop over several decisions (verify, second fault,
 * escalation, deadline).
 */
import { describe, expect, it } from 'vitest';
import { type DecideRequest, decide, type LoopState } from '#functions/gateway/decide.ts';
import type { Observation, ObservedInstance } from '#functions/gateway/types.ts';
import type { Config } from '#shared/config.ts';
import { twoLinkConfig } from '../fixtures/config.ts';

const config: Config = twoLinkConfig();
const link =
  config.links[0] ??
  (() => {
    throw new Error('no link');
  })();
const settings = config.remediation;
const T0 = Date.parse('2026-11-26T12:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const OLD = 'i-0a1b2c3d4e5f60718';
const NEW = 'i-0f9e8d7c6b5a49382';
const FOREIGN = 'i-0ffffffffffffffff';
const ENI = (id: string, n = 0) => `eni-${id.slice(2)}${n}`;

function instance(id: string, patch: Partial<ObservedInstance> = {}): ObservedInstance {
  return {
    instanceId: id,
    inGroup: true,
    lifecycleState: 'InService',
    healthStatus: 'Healthy',
    state: 'running',
    launchTime: id === NEW ? '2026-11-26T11:59:00.000Z' : '2026-11-01T00:00:00.000Z',
    networkInterfaces: [
      { networkInterfaceId: ENI(id), deviceIndex: 0, sourceDestCheck: false, privateIpAddress: '10.0.1.5' },
    ],
    ssmManaged: null,
    ...patch,
  };
}

/** A healthy observation of `gateway` holding the Elastic IP and every route; `patch` breaks it. */
function observation(
  gateway: ObservedInstance | null,
  patch: Partial<Observation> = {},
  others: ObservedInstance[] = [],
): Observation {
  const eni = gateway ? ENI(gateway.instanceId) : null;
  return {
    takenAt: at(0).toISOString(),
    autoScalingGroupName: link.gateway.autoScalingGroupName,
    desiredCapacity: 1,
    suspendedProcesses: [],
    launchHooks: [],
    refreshInProgress: null,
    activityInProgress: null,
    lastTerminatedInstanceId: null,
    instances: [...(gateway ? [gateway] : []), ...others],
    instanceId: gateway?.instanceId ?? null,
    elasticIp: {
      allocationId: link.gateway.elasticIpAllocationId,
      publicIp: '203.0.113.10',
      associationId: eni ? 'eipassoc-1' : null,
      instanceId: gateway?.instanceId ?? null,
      networkInterfaceId: eni,
    },
    routes: link.gateway.routeTableIds.map((routeTableId) => ({
      routeTableId,
      destinationCidrBlock: link.gateway.remoteCidrs[0] ?? '',
      target: eni,
      networkInterfaceId: eni,
      state: 'active',
    })),
    canarySubnets: link.canary.subnetIds.map((subnetId) => ({
      subnetId,
      routeTableId: link.gateway.routeTableIds[0] ?? null,
      association: 'explicit' as const,
      configured: true,
    })),
    maintenance: { state: 'none', tunnels: [], detail: 'none' },
    notes: [],
    ...patch,
  };
}

type Health = 'down' | 'canary-only' | 'good' | 'unknown';
function probe(health: Health): DecideRequest['probe'] {
  const up = health === 'good' || health === 'canary-only';
  const tunnels =
    health === 'unknown'
      ? { ok: false as const, error: 'TunnelCheckError', cause: 'throttled' }
      : {
          ok: true as const,
          result: {
            links: [
              {
                link: link.name,
                ok: true,
                tunnelsUp: up ? 2 : 0,
                tunnelsTotal: 2,
                minTunnelsUp: 1,
                healthy: up,
              },
            ],
          },
        };
  const pass = health === 'good';
  const canary = {
    ok: true as const,
    result: {
      links: [
        {
          link: link.name,
          success: pass,
          targetsUp: pass ? 1 : 0,
          targetsTotal: 1,
          minTargetsUp: 1,
          latencyMs: pass ? 40 : null,
          lossPercent: pass ? 0 : 100,
        },
      ],
    },
  };
  return { tunnels, canary };
}

function request(o: Observation, health: Health, patch: Partial<DecideRequest> = {}): DecideRequest {
  return {
    link,
    settings,
    trigger: 'alarm',
    dryRun: false,
    startedAt: at(-60).toISOString(),
    observation: o,
    probe: probe(health),
    sampled: true,
    loop: { iteration: 0, rung: null, rungs: [] },
    now: at(0),
    ...patch,
  };
}

const withLink = (patch: Partial<typeof link.gateway>) => ({
  ...link,
  gateway: { ...link.gateway, ...patch },
});

describe('decide: the first rung for each situation', () => {
  const healthy = instance(OLD);
  const cases: {
    name: string;
    req: DecideRequest;
    action: LoopState['action'];
    rung: LoopState['rung'];
    target?: string | null;
    cause?: string;
  }[] = [
    {
      name: 'Elastic IP disassociated from a running healthy gateway: repair in place',
      req: request(
        observation(healthy, {
          elasticIp: {
            ...observation(healthy).elasticIp,
            instanceId: null,
            networkInterfaceId: null,
            associationId: null,
          },
        }),
        'down',
      ),
      action: 'configure',
      rung: 'repair',
      target: OLD,
    },
    {
      name: 'a route hijacked to another target: repair in place',
      req: request(
        observation(healthy, {
          routes: observation(healthy).routes.map((r, i) =>
            i === 0 ? { ...r, target: 'vgw-1', networkInterfaceId: null } : r,
          ),
        }),
        'canary-only',
      ),
      action: 'configure',
      rung: 'repair',
      target: OLD,
    },
    {
      name: 'source/dest check back on: repair in place',
      req: request(
        observation(
          instance(OLD, {
            networkInterfaces: [
              { networkInterfaceId: ENI(OLD), deviceIndex: 0, sourceDestCheck: true, privateIpAddress: null },
            ],
          }),
        ),
        'canary-only',
      ),
      action: 'configure',
      rung: 'repair',
      target: OLD,
    },
    {
      name: 'the group already launched a replacement (old one gone, new Pending): adopt and wait, never terminate',
      req: request(
        observation(null, {}, [instance(NEW, { lifecycleState: 'Pending', state: 'pending' })]),
        'down',
      ),
      action: 'wait-replacement',
      rung: 'adopt',
      target: NEW,
    },
    {
      name: 'the group replacement is already InService: adopt and configure it',
      req: request(observation(null, {}, [instance(NEW)]), 'down'),
      action: 'configure',
      rung: 'adopt',
      target: NEW,
    },
    {
      name: 'a healthy gateway without drift, SSM-managed, restart command configured: restart IPsec',
      req: request(observation(instance(OLD, { ssmManaged: true })), 'down', {
        link: withLink({ restartCommand: 'systemctl restart ipsec' }),
      }),
      action: 'restart-ipsec',
      rung: 'restart-ipsec',
      target: OLD,
    },
    {
      name: 'a restart command but the instance is not SSM-managed: no restart, sampling towards a replacement',
      req: request(observation(instance(OLD, { ssmManaged: false })), 'down', {
        link: withLink({ restartCommand: 'systemctl restart ipsec' }),
      }),
      action: 'verify',
      rung: null,
      target: OLD,
    },
    {
      name: 'tunnels down on a running gateway without drift and no restart: more failing samples before replacing',
      req: request(observation(healthy), 'down'),
      action: 'verify',
      rung: null,
      target: OLD,
    },
    {
      name: 'tunnels UP and only the canary failing: confirm again before replacing',
      req: request(observation(healthy), 'canary-only'),
      action: 'verify',
      rung: null,
    },
    {
      name: 'a stopped gateway the group has not noticed yet: replace it',
      req: request(observation(instance(OLD, { state: 'stopped' })), 'down'),
      action: 'replace',
      rung: 'replace',
      target: OLD,
    },
    {
      name: 'a drill on a healthy link: replace (the drill rehearses the failover)',
      req: request(observation(healthy), 'good', { trigger: 'drill' }),
      action: 'replace',
      rung: 'replace',
      target: OLD,
    },
    {
      name: 'Launch suspended: page and change nothing',
      req: request(observation(healthy, { suspendedProcesses: ['Launch'] }), 'down'),
      action: 'page',
      rung: 'page',
      cause: 'Launch suspended on group',
    },
    {
      name: 'the Elastic IP held by an instance outside the group: page naming it',
      req: request(
        observation(
          healthy,
          {
            elasticIp: {
              ...observation(healthy).elasticIp,
              instanceId: FOREIGN,
              networkInterfaceId: ENI(FOREIGN),
            },
          },
          [instance(FOREIGN, { inGroup: false, lifecycleState: null, healthStatus: null })],
        ),
        'down',
      ),
      action: 'page',
      rung: 'page',
      cause: `held by ${FOREIGN} outside the group`,
    },
    {
      name: 'AWS tunnel maintenance in progress: page',
      req: request(
        observation(healthy, {
          maintenance: {
            state: 'pending',
            detail: '',
            tunnels: [
              {
                vpnConnectionId: 'vpn-1',
                outsideIp: '198.51.100.1',
                status: 'DOWN',
                pendingMaintenance: 'Pending',
                autoAppliedAfter: at(7 * 86_400).toISOString(),
                lastApplied: null,
              },
            ],
          },
        }),
        'down',
      ),
      action: 'page',
      rung: 'page',
      cause: 'AWS tunnel maintenance in progress on vpn-1',
    },
    {
      name: 'a canary subnet on an unconfigured route table: page naming subnet and table',
      req: request(
        observation(healthy, {
          canarySubnets: [
            { subnetId: 'subnet-0aaa', routeTableId: 'rtb-0fff', association: 'main', configured: false },
          ],
        }),
        'down',
      ),
      action: 'page',
      rung: 'page',
      cause: 'canary subnet subnet-0aaa uses rtb-0fff',
    },
    {
      name: 'a launch hook longer than the replacement deadline while a replacement is needed: page',
      req: request(
        observation(null, { launchHooks: [{ name: 'wait-for-tunnels', heartbeatTimeoutSeconds: 3600 }] }, [
          instance(NEW, { lifecycleState: 'Pending:Wait', state: 'running' }),
        ]),
        'down',
      ),
      action: 'page',
      rung: 'page',
      cause: 'launch lifecycle hook wait-for-tunnels',
    },
    {
      name: 'a gateway without an interface at the configured device index: page naming the field',
      req: request(observation(healthy), 'down', { link: withLink({ routeDeviceIndex: 1 }) }),
      action: 'page',
      rung: 'page',
      cause: 'gateway.routeDeviceIndex 1',
    },
    {
      name: 'an instance refresh in progress when a replacement is needed: page naming it, terminate nothing',
      req: request(
        observation(instance(OLD, { state: 'stopped' }), {
          refreshInProgress: 'instance refresh r-1 InProgress',
        }),
        'down',
      ),
      action: 'page',
      rung: 'page',
      cause: 'instance refresh r-1 InProgress',
    },
    {
      name: 'a scaling activity in progress when a replacement is needed: wait for it, do not terminate',
      req: request(
        observation(instance(OLD, { state: 'stopped' }), {
          activityInProgress: 'scaling activity a-1 InProgress',
        }),
        'down',
      ),
      action: 'wait-replacement',
      rung: null,
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      // Act
      const next = decide(c.req);
      // Assess
      expect({ action: next.action, rung: next.rung }).toEqual({ action: c.action, rung: c.rung });
      if (c.target !== undefined) expect(next.targetInstanceId).toBe(c.target);
      if (c.cause) expect(next.cause).toContain(c.cause);
      if (c.action === 'page') expect(next.attempt).toBe('withdrawn');
    });
  }

  it('in a dry run, reports the page it would make as the plan instead of failing', () => {
    const next = decide(
      request(observation(instance(OLD), { suspendedProcesses: ['Terminate'] }), 'down', { dryRun: true }),
    );
    expect(next.action).toBe('recovered');
    expect(next.notes.join('\n')).toContain(
      'a real run would page a human: Auto Scaling process Terminate suspended',
    );
  });
});

/** Runs decisions one after another, as the ASL does, feeding each loop state to the next. */
function chain(
  steps: { o: Observation; health: Health; t: number; sampled?: boolean }[],
  patch: Partial<DecideRequest> = {},
): LoopState[] {
  const states: LoopState[] = [];
  let loop: DecideRequest['loop'] = { iteration: 0, rung: null, rungs: [] };
  for (const s of steps) {
    const next = decide(request(s.o, s.health, { ...patch, loop, now: at(s.t), sampled: s.sampled ?? true }));
    states.push(next);
    loop = next;
  }
  return states;
}

describe('decide: the loop over several samples', () => {
  it('verifies a repair with verifySamples consecutive good samples, zero terminations', () => {
    const drifted = observation(instance(OLD), {
      elasticIp: { ...observation(instance(OLD)).elasticIp, instanceId: null, networkInterfaceId: null },
    });
    const fixed = observation(instance(OLD));
    const states = chain([
      { o: drifted, health: 'down', t: 0 },
      { o: fixed, health: 'down', t: 15 },
      { o: fixed, health: 'good', t: 30 },
      { o: fixed, health: 'good', t: 45 },
    ]);
    expect(states.map((s) => s.action)).toEqual(['configure', 'verify', 'verify', 'recovered']);
    expect(states.at(-1)?.rungs).toEqual(['repair']);
    expect(states.at(-1)?.rung).toBe('repair');
    expect(states.at(-1)?.timeToRecoverSeconds).toBe(105);
  });

  it('an unreadable tunnel API with a passing canary still counts as a good sample', () => {
    const fixed = observation(instance(OLD));
    const drifted = observation(instance(OLD), {
      routes: fixed.routes.map((r) => ({ ...r, state: 'blackhole' })),
    });
    const states = chain([
      { o: drifted, health: 'down', t: 0 },
      { o: fixed, health: 'unknown', t: 15 },
      { o: fixed, health: 'good', t: 30 },
      { o: fixed, health: 'good', t: 45 },
    ]);
    // The unknown sample neither counts nor resets: two good samples verify.
    expect(states.map((s) => s.action)).toEqual(['configure', 'verify', 'verify', 'recovered']);
  });

  it('re-enters the ladder at once when the Elastic IP moves again during verify (second fault)', () => {
    const fixed = observation(instance(OLD));
    const drifted = observation(instance(OLD), {
      elasticIp: { ...fixed.elasticIp, instanceId: null, networkInterfaceId: null },
    });
    const states = chain([
      { o: drifted, health: 'down', t: 0 },
      { o: fixed, health: 'good', t: 15 },
      { o: drifted, health: 'down', t: 30 },
    ]);
    expect(states.map((s) => s.action)).toEqual(['configure', 'verify', 'configure']);
    expect(states.at(-1)?.notes.join('\n')).toContain('Second fault');
    expect(states.at(-1)?.rungs).toEqual(['repair', 'repair']);
  });

  it('escalates a repair that does not verify in its window to a replacement', () => {
    const fixed = observation(instance(OLD));
    const drifted = observation(instance(OLD), {
      elasticIp: { ...fixed.elasticIp, instanceId: null, networkInterfaceId: null },
    });
    const states = chain([
      { o: drifted, health: 'down', t: 0 },
      { o: fixed, health: 'down', t: 30 },
      { o: fixed, health: 'down', t: 60 },
      { o: fixed, health: 'down', t: 90 },
      { o: fixed, health: 'down', t: 110 },
      { o: fixed, health: 'down', t: 125 },
    ]);
    expect(states.map((s) => s.action)).toEqual([
      'configure',
      'verify',
      'verify',
      'verify',
      'verify',
      'replace',
    ]);
    expect(states.at(-1)?.rungs).toEqual(['repair', 'replace']);
    expect(states.at(-1)?.failedRungs).toEqual(['repair']);
  });

  it('escalates a restart that does not verify to a replacement', () => {
    const gw = instance(OLD, { ssmManaged: true });
    const states = chain(
      [
        { o: observation(gw), health: 'down', t: 0 },
        { o: observation(gw), health: 'down', t: 30 },
        { o: observation(gw), health: 'down', t: 60 },
        { o: observation(gw), health: 'down', t: 90 },
        { o: observation(gw), health: 'down', t: 110 },
        { o: observation(gw), health: 'down', t: 130 },
      ],
      { link: withLink({ restartCommand: 'systemctl restart ipsec' }) },
    );
    expect(states.map((s) => s.action)).toEqual([
      'restart-ipsec',
      'verify',
      'verify',
      'verify',
      'verify',
      'replace',
    ]);
    expect(states.at(-1)?.rungs).toEqual(['restart-ipsec', 'replace']);
  });

  it('replaces a running gateway without drift only after six failing samples (tunnels down, or only the canary)', () => {
    const o = observation(instance(OLD));
    for (const health of ['canary-only', 'down'] as const) {
      const states = chain([0, 15, 30, 45, 60, 75].map((t) => ({ o, health, t })));
      expect(
        states.map((s) => s.action),
        health,
      ).toEqual(['verify', 'verify', 'verify', 'verify', 'verify', 'replace']);
    }
  });

  it('reports recovered by itself when good samples arrive before any rung acted', () => {
    const o = observation(instance(OLD));
    const states = chain([
      { o, health: 'down', t: 0 },
      { o, health: 'good', t: 15 },
      { o, health: 'good', t: 30 },
    ]);
    expect(states.map((s) => s.action)).toEqual(['verify', 'verify', 'recovered-by-itself']);
    expect(states.at(-1)?.rungs).toEqual([]);
  });

  it('waits for the replacement after a termination, then configures it and verifies', () => {
    const gw = instance(OLD, { state: 'stopped' });
    const terminating = instance(OLD, { lifecycleState: 'Terminating', state: 'shutting-down' });
    const pending = instance(NEW, { lifecycleState: 'Pending', state: 'pending' });
    const states = chain([
      { o: observation(gw), health: 'down', t: 0 },
      { o: observation(null, {}, [terminating, pending]), health: 'down', t: 15, sampled: false },
      { o: observation(null, {}, [instance(NEW)]), health: 'down', t: 120, sampled: false },
      { o: observation(instance(NEW)), health: 'good', t: 150 },
      { o: observation(instance(NEW)), health: 'good', t: 165 },
    ]);
    expect(states.map((s) => s.action)).toEqual([
      'replace',
      'wait-replacement',
      'configure',
      'verify',
      'recovered',
    ]);
    expect(states[2]?.targetInstanceId).toBe(NEW);
    expect(states.at(-1)?.rungs).toEqual(['replace']);
  });

  it('names the dead replacement in the cause when the deadline passes', () => {
    const dead = instance(NEW, { lifecycleState: 'Terminating', state: 'shutting-down' });
    const states = chain([
      {
        o: observation(null, {}, [instance(NEW, { lifecycleState: 'Pending', state: 'pending' })]),
        health: 'down',
        t: 0,
      },
      { o: observation(null, {}, [dead]), health: 'down', t: 30, sampled: false },
      { o: observation(null, {}, [dead]), health: 'down', t: 16 * 60, sampled: false },
    ]);
    expect(states[1]?.notes.join('\n')).toContain(`replacement ${NEW} is shutting-down`);
    expect(states.at(-1)?.action).toBe('page');
    expect(states.at(-1)?.error).toBe('DeadlineExceededError');
    expect(states.at(-1)?.cause).toContain(`${NEW} is shutting-down`);
    expect(states.at(-1)?.attempt).toBe('completed');
  });

  it('treats a failed observation as "not yet" and pages only once the deadline is gone', () => {
    const failedPoll = { Error: 'AwsThrottledError', Cause: 'Rate exceeded' };
    const first = decide(
      request(
        observation(null, {}, [instance(NEW, { lifecycleState: 'Pending', state: 'pending' })]),
        'down',
      ),
    );
    const second = decide(
      request(observation(null), 'down', {
        observation: failedPoll,
        loop: first,
        now: at(30),
        sampled: false,
      }),
    );
    expect(second.action).toBe('wait-replacement');
    const late = decide(
      request(observation(null), 'down', {
        observation: failedPoll,
        loop: second,
        now: at(20 * 60),
        sampled: false,
      }),
    );
    expect(late.action).toBe('page');
    expect(late.cause).toContain('the last observation failed');
  });

  it('pages when the Elastic IP moves to an instance outside the group during verify', () => {
    const fixed = observation(instance(OLD));
    const drifted = observation(instance(OLD), {
      elasticIp: { ...fixed.elasticIp, instanceId: null, networkInterfaceId: null },
    });
    const stolen = observation(
      instance(OLD),
      { elasticIp: { ...fixed.elasticIp, instanceId: FOREIGN, networkInterfaceId: ENI(FOREIGN) } },
      [instance(FOREIGN, { inGroup: false })],
    );
    const states = chain([
      { o: drifted, health: 'down', t: 0 },
      { o: stolen, health: 'down', t: 15 },
    ]);
    expect(states.at(-1)?.action).toBe('page');
    expect(states.at(-1)?.cause).toContain(`held by ${FOREIGN} outside the group`);
    expect(states.at(-1)?.attempt).toBe('completed');
  });
});
