/**
 * The gateway handler as Lambda runs it: the exact Auto Scaling and EC2 calls of each step (aws-sdk-
 * client-mock), idempotent re-runs, dry runs with zero mutating calls, route failures reported.
 */

import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  EC2Client,
  ModifyInstanceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/gateway/handler.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import {
  AwsThrottledError,
  DeadlineExceededError,
  GatewayStateError,
  GatewayUpdateError,
} from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';
import { gatewayGroup, gatewayInstance } from '../fixtures/gateway.ts';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const context = localLambdaContext('arn:aws:lambda:us-east-1:111111111111:function:vpn-guard-gateway');
const invoke = (event: unknown) => handler(event, context) as unknown as Promise<Record<string, unknown>>;

const NOW = new Date('2026-11-26T12:00:00.000Z');
const OLD = 'i-0a1b2c3d4e5f60718';
const NEW = 'i-0f9e8d7c6b5a49382';
const OLD_ENI = 'eni-0a1b2c3d4e5f60718';
const NEW_ENI = 'eni-0f9e8d7c6b5a49382';
const EIP = 'eipalloc-0a1b2c3d4e5f60718';
const RTB_A = 'rtb-0a1b2c3d4e5f60718';
const RTB_B = 'rtb-0b1c2d3e4f5a60718';
const base = { executionId: 'arn:aws:states:us-east-1:111111111111:execution:r:x', link: 'home-to-west' };
const MUTATING = [
  TerminateInstanceInAutoScalingGroupCommand,
  ModifyInstanceAttributeCommand,
  AssociateAddressCommand,
  ReplaceRouteCommand,
  CreateRouteCommand,
] as const;

const activity = {
  ActivityId: 'act-1',
  AutoScalingGroupName: 'vpn-gateway-home',
  Cause: 'terminated by VPN Guard',
  StartTime: NOW,
  StatusCode: 'InProgress' as const,
};
const awsError = (name: string, message: string) => Object.assign(new Error(message), { name });

const address = (InstanceId?: string, NetworkInterfaceId?: string) => ({
  Addresses: [
    {
      AllocationId: EIP,
      PublicIp: '203.0.113.10',
      InstanceId,
      NetworkInterfaceId,
      AssociationId: InstanceId ? 'eipassoc-1' : undefined,
    },
  ],
});
const routeTables = (a: Record<string, unknown> | null, b: Record<string, unknown> | null) => ({
  RouteTables: [
    {
      RouteTableId: RTB_A,
      Routes: [
        { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local', State: 'active' },
        ...(a ? [a] : []),
      ],
    },
    { RouteTableId: RTB_B, Routes: b ? [b] : [] },
  ],
});
const blackholed = {
  DestinationCidrBlock: '10.20.0.0/16',
  InstanceId: OLD,
  NetworkInterfaceId: OLD_ENI,
  State: 'blackhole',
  Origin: 'CreateRoute',
};
const onNew = {
  DestinationCidrBlock: '10.20.0.0/16',
  InstanceId: NEW,
  NetworkInterfaceId: NEW_ENI,
  State: 'active',
  Origin: 'CreateRoute',
};

function mutatingCalls(): number {
  return (
    asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).length +
    MUTATING.slice(1).reduce(
      (n, command) => n + ec2.commandCalls(command as typeof ReplaceRouteCommand).length,
      0,
    )
  );
}

describe('the gateway handler', () => {
  beforeEach(() => {
    asg.reset();
    ec2.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  describe('describe', () => {
    it('reads the group, its InService instance, the Elastic IP and the configured route tables', async () => {
      // Prepare
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(OLD, OLD_ENI, false));
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, null));
      // Act
      const snapshot = await invoke({ action: 'describe', ...base });
      // Assess
      expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([
        { AutoScalingGroupNames: ['vpn-gateway-home'] },
      ]);
      expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
        { InstanceIds: [OLD] },
      ]);
      expect(ec2.commandCalls(DescribeAddressesCommand).map((c) => c.args[0].input)).toEqual([
        { AllocationIds: [EIP] },
      ]);
      expect(ec2.commandCalls(DescribeRouteTablesCommand).map((c) => c.args[0].input)).toEqual([
        { RouteTableIds: [RTB_A, RTB_B] },
      ]);
      expect(snapshot).toMatchObject({
        takenAt: NOW.toISOString(),
        instanceId: OLD,
        networkInterfaceId: OLD_ENI,
        sourceDestCheck: false,
        elasticIp: {
          allocationId: EIP,
          publicIp: '203.0.113.10',
          instanceId: OLD,
          networkInterfaceId: OLD_ENI,
          associationId: 'eipassoc-1',
        },
        routes: [
          { routeTableId: RTB_A, destinationCidrBlock: '10.20.0.0/16', target: OLD_ENI, state: 'blackhole' },
          { routeTableId: RTB_B, destinationCidrBlock: '10.20.0.0/16', target: null, state: null },
        ],
      });
      expect(mutatingCalls()).toBe(0);
    });

    it('fails before any change when the configured group does not exist', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(null, null));
      await expect(invoke({ action: 'describe', ...base })).rejects.toThrow(
        new GatewayStateError(
          'Auto Scaling group vpn-gateway-home does not exist (check gateway.autoScalingGroupName)',
        ),
      );
    });

    it('fails naming a configured route table AWS does not know', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(OLD, OLD_ENI, false));
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2
        .on(DescribeRouteTablesCommand)
        .rejects(awsError('InvalidRouteTableID.NotFound', `The routeTable ID '${RTB_B}' does not exist`));
      await expect(invoke({ action: 'describe', ...base })).rejects.toMatchObject({
        name: 'GatewayStateError',
        message: expect.stringContaining(
          `InvalidRouteTableID.NotFound: The routeTable ID '${RTB_B}' does not exist`,
        ),
      });
    });

    it('turns EC2 throttling into AwsThrottledError', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      ec2.on(DescribeInstancesCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(null, null));
      await expect(invoke({ action: 'describe', ...base })).rejects.toBeInstanceOf(AwsThrottledError);
    });
  });

  describe('replace', () => {
    it('terminates the old instance in its group without decrementing the desired capacity', async () => {
      // Prepare
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      asg.on(TerminateInstanceInAutoScalingGroupCommand).resolves({ Activity: activity });
      // Act
      const output = await invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD });
      // Assess
      expect(
        asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input),
      ).toEqual([{ InstanceId: OLD, ShouldDecrementDesiredCapacity: false }]);
      expect(output).toMatchObject({
        requestedAt: NOW.toISOString(),
        oldInstanceId: OLD,
        action: 'terminated',
        before: { lifecycleState: 'InService' },
        after: { lifecycleState: 'Terminating' },
        activityId: 'act-1',
      });
    });

    it('is a no-op when re-run after the instance started terminating or left the group', async () => {
      asg
        .on(DescribeAutoScalingGroupsCommand)
        .resolvesOnce(gatewayGroup([OLD, 'Terminating']))
        .resolves(gatewayGroup([NEW, 'Pending']));
      expect(await invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD })).toMatchObject({
        action: 'already-terminating',
      });
      expect(await invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD })).toMatchObject({
        action: 'already-gone',
      });
      expect(mutatingCalls()).toBe(0);
    });

    it('treats an instance Auto Scaling no longer knows as gone', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .rejects(
          awsError(
            'ValidationError',
            `Instance Id not found - No managed instance found for instance ID: ${OLD}`,
          ),
        );
      expect(await invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD })).toMatchObject({
        action: 'already-gone',
      });
    });

    it('reports a refused termination as GatewayUpdateError', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .rejects(awsError('ScalingActivityInProgress', 'Scaling activity in progress'));
      await expect(
        invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD }),
      ).rejects.toBeInstanceOf(GatewayUpdateError);
    });

    it('only reads in a dry run, and makes no call when the group had no gateway to remove', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      expect(await invoke({ action: 'replace', ...base, dryRun: true, oldInstanceId: OLD })).toMatchObject({
        action: 'would-terminate',
      });
      expect(await invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: null })).toMatchObject({
        action: 'nothing-to-terminate',
      });
      expect(asg.calls()).toHaveLength(1);
      expect(mutatingCalls()).toBe(0);
    });
  });

  describe('await-replacement', () => {
    const since = '2026-11-26T11:55:00.000Z';

    it('is done once an InService instance other than the old one exists', async () => {
      asg
        .on(DescribeAutoScalingGroupsCommand)
        .resolves(gatewayGroup([OLD, 'Terminated'], [NEW, 'InService']));
      const output = await invoke({
        action: 'await-replacement',
        ...base,
        dryRun: false,
        oldInstanceId: OLD,
        since,
      });
      expect(output).toMatchObject({
        done: true,
        newInstanceId: NEW,
        deadlineAt: '2026-11-26T12:05:00.000Z',
      });
    });

    it('keeps waiting while the replacement is pending', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'Terminating'], [NEW, 'Pending']));
      const output = await invoke({
        action: 'await-replacement',
        ...base,
        dryRun: false,
        oldInstanceId: OLD,
        since,
      });
      expect(output).toMatchObject({ done: false, newInstanceId: null });
    });

    it('throws DeadlineExceededError replacementTimeoutMinutes after the termination', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([NEW, 'Pending']));
      const call = invoke({
        action: 'await-replacement',
        ...base,
        dryRun: false,
        oldInstanceId: OLD,
        since: '2026-11-26T11:50:00.000Z',
      });
      await expect(call).rejects.toThrow(DeadlineExceededError);
    });

    it('reads once and finishes in a dry run', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      const output = await invoke({
        action: 'await-replacement',
        ...base,
        dryRun: true,
        oldInstanceId: OLD,
        since: '2026-11-26T10:00:00.000Z',
      });
      expect(output).toMatchObject({ done: true, newInstanceId: null });
    });
  });

  describe('configure', () => {
    it('turns the source/dest check off and moves the Elastic IP to the primary ENI', async () => {
      // Prepare
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, true));
      ec2.on(ModifyInstanceAttributeCommand).resolves({});
      ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-2' });
      // Act
      const output = await invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW });
      // Assess
      expect(ec2.commandCalls(ModifyInstanceAttributeCommand).map((c) => c.args[0].input)).toEqual([
        { InstanceId: NEW, SourceDestCheck: { Value: false } },
      ]);
      expect(ec2.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input)).toEqual([
        { AllocationId: EIP, NetworkInterfaceId: NEW_ENI, AllowReassociation: true },
      ]);
      expect(output).toMatchObject({
        instanceId: NEW,
        networkInterfaceId: NEW_ENI,
        sourceDestCheck: { before: true, after: false, action: 'disabled' },
        elasticIp: {
          publicIp: '203.0.113.10',
          before: { instanceId: null, networkInterfaceId: null },
          after: { instanceId: NEW, networkInterfaceId: NEW_ENI },
          action: 'associated',
          associationId: 'eipassoc-2',
        },
      });
    });

    it('changes nothing when re-run on an instance already configured', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address(NEW, NEW_ENI));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, false));
      const output = await invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW });
      expect(output).toMatchObject({
        sourceDestCheck: { action: 'unchanged' },
        elasticIp: { action: 'unchanged' },
      });
      expect(mutatingCalls()).toBe(0);
    });

    it('takes the Elastic IP from the old instance', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, false));
      ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-3' });
      const output = await invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW });
      expect(output).toMatchObject({
        elasticIp: { before: { instanceId: OLD, networkInterfaceId: OLD_ENI }, action: 'associated' },
      });
    });

    it('reports what it would do in a dry run, with or without a replacement, and changes nothing', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, true));
      expect(await invoke({ action: 'configure', ...base, dryRun: true, instanceId: null })).toMatchObject({
        instanceId: null,
        sourceDestCheck: { action: 'would-disable' },
        elasticIp: { action: 'would-associate' },
      });
      expect(await invoke({ action: 'configure', ...base, dryRun: true, instanceId: NEW })).toMatchObject({
        sourceDestCheck: { action: 'would-disable' },
        elasticIp: { action: 'would-associate', after: { networkInterfaceId: NEW_ENI } },
      });
      expect(mutatingCalls()).toBe(0);
    });

    it('refuses a real run without an instance to configure', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address());
      await expect(
        invoke({ action: 'configure', ...base, dryRun: false, instanceId: null }),
      ).rejects.toBeInstanceOf(GatewayStateError);
    });
  });

  describe('repoint', () => {
    it('replaces existing routes and creates missing ones, all with the ENI as target', async () => {
      // Prepare
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, null));
      ec2.on(ReplaceRouteCommand).resolves({});
      ec2.on(CreateRouteCommand).resolves({ Return: true });
      // Act
      const output = await invoke({ action: 'repoint', ...base, dryRun: false, networkInterfaceId: NEW_ENI });
      // Assess
      expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input)).toEqual([
        { RouteTableId: RTB_A, DestinationCidrBlock: '10.20.0.0/16', NetworkInterfaceId: NEW_ENI },
      ]);
      expect(ec2.commandCalls(CreateRouteCommand).map((c) => c.args[0].input)).toEqual([
        { RouteTableId: RTB_B, DestinationCidrBlock: '10.20.0.0/16', NetworkInterfaceId: NEW_ENI },
      ]);
      expect(output).toMatchObject({
        networkInterfaceId: NEW_ENI,
        completedAt: NOW.toISOString(),
        routes: [
          { routeTableId: RTB_A, from: { target: OLD_ENI, state: 'blackhole' }, action: 'replace' },
          { routeTableId: RTB_B, from: null, action: 'create' },
        ],
      });
    });

    it('leaves routes already on the ENI unchanged when re-run', async () => {
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(onNew, onNew));
      const output = await invoke({ action: 'repoint', ...base, dryRun: false, networkInterfaceId: NEW_ENI });
      expect((output.routes as { action: string }[]).map((r) => r.action)).toEqual([
        'unchanged',
        'unchanged',
      ]);
      expect(mutatingCalls()).toBe(0);
    });

    it('tries every route, then names each table and CIDR that failed with the AWS error', async () => {
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, blackholed));
      ec2
        .on(ReplaceRouteCommand, { RouteTableId: RTB_A })
        .rejects(
          awsError(
            'InvalidNetworkInterfaceID.NotFound',
            `The networkInterface ID '${NEW_ENI}' does not exist`,
          ),
        );
      ec2.on(ReplaceRouteCommand, { RouteTableId: RTB_B }).resolves({});
      const call = invoke({ action: 'repoint', ...base, dryRun: false, networkInterfaceId: NEW_ENI });
      await expect(call).rejects.toThrow(
        new GatewayUpdateError(
          `1 of 2 route(s) could not be pointed to ${NEW_ENI}: ${RTB_A} 10.20.0.0/16 (ReplaceRoute): InvalidNetworkInterfaceID.NotFound: The networkInterface ID '${NEW_ENI}' does not exist; updated: ${RTB_B} 10.20.0.0/16`,
        ),
      );
      expect(ec2.commandCalls(ReplaceRouteCommand)).toHaveLength(2);
    });

    it('throws AwsThrottledError when every failure was throttling, so the whole step is retried', async () => {
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, blackholed));
      ec2.on(ReplaceRouteCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
      await expect(
        invoke({ action: 'repoint', ...base, dryRun: false, networkInterfaceId: NEW_ENI }),
      ).rejects.toBeInstanceOf(AwsThrottledError);
    });

    it('plans every change towards the replacement in a dry run and makes none', async () => {
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, null));
      const output = await invoke({ action: 'repoint', ...base, dryRun: true, networkInterfaceId: null });
      expect(output).toMatchObject({
        networkInterfaceId: '(replacement ENI)',
        routes: [{ action: 'replace' }, { action: 'create' }],
        notes: expect.arrayContaining(['Routes: would change 2 of 2 configured route(s)']),
      });
      expect(mutatingCalls()).toBe(0);
    });
  });

  it('rejects a link that is not configured', async () => {
    await expect(invoke({ action: 'describe', ...base, link: 'nowhere' })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });
});
