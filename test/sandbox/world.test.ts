import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient, DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import {
  AssociateAddressCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpnConnectionsCommand,
  EC2Client,
} from '@aws-sdk/client-ec2';
import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { describe, expect, it } from 'vitest';
import { HOME_REGION, TOPIC_ARN } from '#sandbox/world/world.ts';
import { type MetricName, metricDimensionsFor } from '#shared/metric-names.ts';
import { EIP, GROUP, LINK, quietWorlds, TABLES, VPN_REGION } from './support.ts';

const quietWorld = quietWorlds();

const ec2 = (region = HOME_REGION) => new EC2Client({ region });
const asg = () => new AutoScalingClient({ region: HOME_REGION });

async function gatewayInstance(): Promise<string> {
  const out = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
  const id = out.AutoScalingGroups?.[0]?.Instances?.find((i) => i.LifecycleState === 'InService')?.InstanceId;
  if (!id) throw new Error('no InService gateway');
  return id;
}

describe('sandbox world: EC2 and Auto Scaling', () => {
  it('turns routes to a terminated gateway into blackholes and releases its Elastic IP', async () => {
    // Prepare
    const w = await quietWorld();
    const before = await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: TABLES }));
    expect(
      before.RouteTables?.flatMap((t) => t.Routes ?? [])
        .filter((r) => r.NetworkInterfaceId)
        .map((r) => r.State),
    ).toEqual(['active', 'active']);
    // Act
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(60);
    // Assess
    const after = await ec2().send(new DescribeRouteTablesCommand({ RouteTableIds: TABLES }));
    const owned = after.RouteTables?.flatMap((t) => t.Routes ?? []).filter(
      (r) => r.DestinationCidrBlock === '10.20.0.0/16',
    );
    expect(owned?.map((r) => r.State)).toEqual(['blackhole', 'blackhole']);
    const foreign = after.RouteTables?.flatMap((t) => t.Routes ?? []).filter(
      (r) => r.DestinationCidrBlock === '0.0.0.0/0',
    );
    expect(foreign?.map((r) => r.State)).toEqual(['active', 'active']);
    const address = await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    expect(address.Addresses?.[0]?.AssociationId).toBeUndefined();
  });

  it('moves the Elastic IP only with AllowReassociation, taking it from the old instance', async () => {
    const w = await quietWorld();
    const old = await gatewayInstance();
    await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: old,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    await w.advance(200);
    // The old instance is gone, so make a second running instance hold the address first.
    const fresh = (await gatewayInstance()) as string;
    const eni = w.ec2.instances.get(fresh)?.eniId;
    await ec2().send(new AssociateAddressCommand({ AllocationId: EIP, NetworkInterfaceId: eni }));
    const other = w.ec2.launchInstance({
      region: HOME_REGION,
      vpcId: 'vpc-0a1b2c3d4e5f60718',
      subnetId: 'subnet-0a1b2c3d4e5f60718',
      availabilityZone: 'us-east-1a',
      tags: {},
      state: 'running',
    });
    await expect(
      ec2().send(new AssociateAddressCommand({ AllocationId: EIP, InstanceId: other.instanceId })),
    ).rejects.toMatchObject({
      name: 'Resource.AlreadyAssociated',
    });
    await ec2().send(
      new AssociateAddressCommand({
        AllocationId: EIP,
        InstanceId: other.instanceId,
        AllowReassociation: true,
      }),
    );
    const view = await ec2().send(new DescribeAddressesCommand({ AllocationIds: [EIP] }));
    expect(view.Addresses?.[0]?.InstanceId).toBe(other.instanceId);
    const previous = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [fresh] }));
    expect(previous.Reservations?.[0]?.Instances?.[0]?.PublicIpAddress).toBeUndefined();
  });

  it('replaces a terminated group member with a new id, Pending until its boot delay, then InService', async () => {
    const w = await quietWorld();
    const old = await gatewayInstance();
    const out = await asg().send(
      new TerminateInstanceInAutoScalingGroupCommand({
        InstanceId: old,
        ShouldDecrementDesiredCapacity: false,
      }),
    );
    expect(out.Activity?.StatusCode).toBe('InProgress');
    await w.advance(20);
    const during = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
    const pending = during.AutoScalingGroups?.[0]?.Instances?.find((i) => i.InstanceId !== old);
    expect(pending?.LifecycleState).toBe('Pending');
    await w.advance(w.timing.asg.bootSeconds);
    const after = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
    expect(after.AutoScalingGroups?.[0]?.Instances?.map((i) => [i.InstanceId, i.LifecycleState])).toEqual([
      [pending?.InstanceId, 'InService'],
    ]);
    expect(pending?.InstanceId).not.toBe(old);
    const terminated = await ec2().send(new DescribeInstancesCommand({ InstanceIds: [old] }));
    expect(terminated.Reservations?.[0]?.Instances?.[0]?.State?.Name).toBe('terminated');
  });

  it('lets the group replace an instance EC2 killed at its next health check, whatever its grace period', async () => {
    // Prepare: the grace period applies to new instances only (health-check-grace-period.html).
    const w = await quietWorld({ timing: { asg: { healthCheckGracePeriodSeconds: 3600 } } });
    const old = await gatewayInstance();
    // Act
    w.inject({ type: 'gateway-instance-dies', link: LINK });
    await w.advance(w.timing.asg.healthCheckIntervalSeconds + w.timing.asg.launchDelaySeconds + 1);
    // Assess
    const after = await asg().send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: [GROUP] }));
    const instances = after.AutoScalingGroups?.[0]?.Instances ?? [];
    expect(instances.find((i) => i.InstanceId === old)?.LifecycleState ?? 'gone').not.toBe('InService');
    expect(w.replacements(LINK)).toHaveLength(1);
    expect(instances.map((i) => i.InstanceId)).toContain(w.replacements(LINK)[0]);
  });

  it('refuses a terminate that does not say whether to decrement, with AWS ValidationError', async () => {
    await quietWorld();
    const old = await gatewayInstance();
    await expect(
      asg().send(new TerminateInstanceInAutoScalingGroupCommand({ InstanceId: old } as never)),
    ).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('answers InvalidInstanceID.NotFound for an instance that never existed', async () => {
    await quietWorld();
    await expect(
      ec2().send(new DescribeInstancesCommand({ InstanceIds: ['i-0123456789abcdef0'] })),
    ).rejects.toMatchObject({
      name: 'InvalidInstanceID.NotFound',
    });
  });

  it('keeps each VPN in its own Region: region B sees it, the home Region does not', async () => {
    await quietWorld();
    const west = await ec2(VPN_REGION).send(new DescribeVpnConnectionsCommand({}));
    const home = await ec2(HOME_REGION).send(new DescribeVpnConnectionsCommand({}));
    expect(west.VpnConnections?.map((c) => c.VgwTelemetry?.map((t) => t.Status))).toEqual([['UP', 'UP']]);
    expect(home.VpnConnections).toEqual([]);
  });

  it('reports tunnels DOWN after dead-peer detection, with LastStatusChange, and UP after convergence on a new gateway', async () => {
    const w = await quietWorld();
    const read = async () =>
      (await ec2(VPN_REGION).send(new DescribeVpnConnectionsCommand({}))).VpnConnections?.[0]?.VgwTelemetry ??
      [];
    w.inject({ type: 'ipsec-dies', link: LINK });
    await w.advance(w.timing.tunnelDownSeconds - 1);
    expect((await read()).map((t) => t.Status)).toEqual(['UP', 'UP']);
    await w.advance(1);
    const down = await read();
    expect(down.map((t) => t.Status)).toEqual(['DOWN', 'DOWN']);
    expect(down[0]?.LastStatusChange?.getTime()).toBe(w.clock.now());
    const instance = w.ec2.holderOf(EIP);
    if (instance) instance.ipsec = 'up';
    w.changed();
    await w.advance(w.timing.tunnelUpSeconds + w.timing.tunnelUpStaggerSeconds);
    expect((await read()).map((t) => t.Status)).toEqual(['UP', 'UP']);
  });
});

describe('sandbox world: loud failures and throttling', () => {
  it('fails loudly on a command the world does not model, and records it as a world error', async () => {
    const w = await quietWorld();
    await expect(ec2().send(new DescribeSubnetsCommand({}))).rejects.toMatchObject({
      name: 'UnmodelledCommandError',
    });
    expect(w.errors.map((e) => e.name)).toEqual(['UnmodelledCommandError']);
  });

  it('fails loudly on a filter the world does not model', async () => {
    await quietWorld();
    await expect(
      ec2().send(new DescribeInstancesCommand({ Filters: [{ Name: 'image-id', Values: ['ami-1'] }] })),
    ).rejects.toMatchObject({
      name: 'UnmodelledCommandError',
    });
  });

  // These two look at the fault itself, so their clients make one attempt: the SDK's own retries
  // (standard mode) are the subject of sdk-retry.test.ts.
  const once = { maxAttempts: 1 };

  it('throttles one service in one Region for a period, with the service own error name', async () => {
    const ec2 = (region: string) => new EC2Client({ region, ...once });
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'ec2', region: 'vpn', link: LINK, for: 120 });
    await expect(ec2(VPN_REGION).send(new DescribeVpnConnectionsCommand({}))).rejects.toMatchObject({
      name: 'RequestLimitExceeded',
    });
    await expect(
      ec2(HOME_REGION).send(new DescribeRouteTablesCommand({ RouteTableIds: TABLES })),
    ).resolves.toBeDefined();
    await w.advance(120);
    await expect(ec2(VPN_REGION).send(new DescribeVpnConnectionsCommand({}))).resolves.toBeDefined();
    expect(w.calls.filter({ error: 'RequestLimitExceeded' })).toHaveLength(1);
  });

  it('throttles Auto Scaling and CloudWatch with Throttling and counts only the next N calls', async () => {
    const asg = () => new AutoScalingClient({ region: HOME_REGION, ...once });
    const w = await quietWorld();
    w.inject({ type: 'api-throttled', service: 'autoscaling', calls: 1 });
    await expect(asg().send(new DescribeAutoScalingGroupsCommand({}))).rejects.toMatchObject({
      name: 'Throttling',
    });
    await expect(asg().send(new DescribeAutoScalingGroupsCommand({}))).resolves.toBeDefined();
  });
});

describe('sandbox world: CloudWatch, SNS and Step Functions', () => {
  it("describes a link's metric alarms, the metric-math Outage with its queries among them, and no composite", async () => {
    await quietWorld();
    const cw = new CloudWatchClient({ region: HOME_REGION });
    const plain = await cw.send(new DescribeAlarmsCommand({ AlarmNamePrefix: 'VpnGuard-home-to-west-' }));
    expect(plain.MetricAlarms?.map((a) => a.AlarmName?.split('-').at(-1))).toEqual(['LatencyHigh', 'Outage']);
    const outage = plain.MetricAlarms?.find((a) => a.AlarmName === 'VpnGuard-home-to-west-Outage');
    expect(outage?.MetricName).toBeUndefined();
    expect(outage?.Metrics?.map((m) => [m.Id, m.ReturnData, m.MetricStat?.Metric?.MetricName])).toEqual([
      ['outage', true, undefined],
      ['tunnels', false, 'TunnelsUp'],
      ['canary', false, 'CanarySuccess'],
    ]);
    expect(plain.CompositeAlarms).toEqual([]);
    const composite = await cw.send(
      new DescribeAlarmsCommand({ AlarmNamePrefix: 'VpnGuard-', AlarmTypes: ['CompositeAlarm'] }),
    );
    expect(composite.CompositeAlarms).toEqual([]);
  });

  it('alarms Outage on the canary path down in 2 of 3 minutes (value 2), keeping its transition time when tunnels join (value 3)', async () => {
    const w = await quietWorld({ alarms: true, historyMinutes: 10 });
    const cw = new CloudWatchClient({ region: HOME_REGION });
    const westLink = w.config.links.find((link) => link.name === LINK);
    if (!westLink) throw new Error(`no link ${LINK}`);
    // Each metric with the one dimension the contract gives it (the tunnel collection's is its Region).
    const put = (metric: MetricName, value: number) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: 'VpnGuard',
          MetricData: [
            {
              MetricName: metric,
              Dimensions: Object.entries(metricDimensionsFor(metric, westLink)).map(([Name, Value]) => ({
                Name,
                Value,
              })),
              Value: value,
            },
          ],
        }),
      );
    const tick = async (canary: number, tunnels: number) => {
      await put('TunnelCheckSuccess', 1);
      await put('CanarySuccess', canary);
      await put('TunnelsUp', tunnels);
      await w.advance(60);
    };
    await tick(0, 2);
    await tick(0, 2);
    const outage = () =>
      w.cloudwatch.describeAlarms({ AlarmNames: ['VpnGuard-home-to-west-Outage'] }).MetricAlarms?.[0];
    expect(outage()?.StateValue).toBe('ALARM');
    expect(outage()?.StateReason).toMatch(/\[0, 2, 2\]/);
    const enteredAt = outage()?.StateTransitionedTimestamp?.getTime();
    await tick(0, 0);
    await tick(0, 0);
    expect(outage()?.StateValue).toBe('ALARM');
    expect(outage()?.StateTransitionedTimestamp?.getTime()).toBe(enteredAt);
    expect(
      w.sns.messages.filter((m) => m.alarm?.name.endsWith('-Outage')).map((m) => m.alarm?.state),
    ).toEqual(['ALARM']);
  });

  it('needs a default body for MessageStructure json, as SNS does', async () => {
    await quietWorld();
    const sns = new SNSClient({ region: HOME_REGION });
    await expect(
      sns.send(
        new PublishCommand({
          TopicArn: TOPIC_ARN,
          MessageStructure: 'json',
          Message: JSON.stringify({ email: 'x' }),
        }),
      ),
    ).rejects.toMatchObject({
      name: 'InvalidParameter',
    });
    await expect(
      sns.send(
        new PublishCommand({
          TopicArn: TOPIC_ARN,
          MessageStructure: 'json',
          Message: JSON.stringify({ default: 'x', sms: 'y' }),
        }),
      ),
    ).resolves.toMatchObject({
      MessageId: expect.any(String),
    });
  });

  it('returns the running execution for the same name and input, and ExecutionAlreadyExists for other input', async () => {
    const w = await quietWorld();
    const sfn = new SFNClient({ region: HOME_REGION });
    const stateMachineArn = w.sfn.machine('remediation').arn;
    const input = JSON.stringify({ link: LINK, trigger: 'drill', dryRun: true });
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-episode', input }));
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-episode', input }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'same-episode', input: '{}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    expect(w.remediations()).toHaveLength(1);
  });
});
