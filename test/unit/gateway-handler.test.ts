/**
 * The gateway handler as Lambda runs it: the exact Auto Scaling and EC2 calls of each step (aws-sdk-
 * client-mock), idempotent re-runs, dry runs with zero mutating calls, route failures reported.
 */

import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  AssociateAddressCommand,
  CreateRouteCommand,
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeRouteTablesCommand,
  DescribeVpnConnectionsCommand,
  EC2Client,
  GetVpnTunnelReplacementStatusCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
} from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler } from '#functions/gateway/handler.ts';
import { localLambdaContext } from '#sandbox/local-sfn.ts';
import {
  AwsThrottledError,
  AwsTransientError,
  GatewayStateError,
  GatewayUpdateError,
} from '#shared/errors.ts';
import { twoLinkConfig } from '../fixtures/config.ts';
import { gatewayGroup, gatewayInstance } from '../fixtures/gateway.ts';

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const ssm = mockClient(SSMClient);
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
const SUBNET = 'subnet-0a1b2c3d4e5f60718';
const SUBNET_B = 'subnet-0b1c2d3e4f5a60718';
const VPC = 'vpc-0a1b2c3d4e5f60718';
const VPN = 'vpn-0a1b2c3d4e5f60718';
const base = { executionId: 'arn:aws:states:us-east-1:111111111111:execution:r:x', link: 'home-to-west' };
const MUTATING = [
  TerminateInstanceInAutoScalingGroupCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
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
    ssm.reset();
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(twoLinkConfig()));
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllEnvs();
  });

  /** Everything observe reads, as a healthy gateway would answer (tests override what they break). */
  function scriptObserve(): void {
    asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
    asg.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
    asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
    asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
    ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(OLD, OLD_ENI, false));
    ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
    ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, null));
    ec2
      .on(DescribeRouteTablesCommand, {
        Filters: [{ Name: 'association.subnet-id', Values: [SUBNET, SUBNET_B] }],
      })
      .resolves({
        RouteTables: [
          { RouteTableId: RTB_A, Associations: [{ SubnetId: SUBNET }, { SubnetId: SUBNET_B }], Routes: [] },
        ],
      });
    ec2
      .on(DescribeRouteTablesCommand, {
        Filters: [
          { Name: 'vpc-id', Values: [VPC] },
          { Name: 'association.main', Values: ['true'] },
        ],
      })
      .resolves({
        RouteTables: [{ RouteTableId: 'rtb-0main0000000000', Associations: [{ Main: true }], Routes: [] }],
      });
    ec2.on(DescribeVpnConnectionsCommand).resolves({
      VpnConnections: [
        {
          VpnConnectionId: VPN,
          VgwTelemetry: [{ OutsideIpAddress: '198.51.100.1' }, { OutsideIpAddress: '198.51.100.2' }],
        },
      ],
    });
    ec2.on(GetVpnTunnelReplacementStatusCommand).resolves({ MaintenanceDetails: {} });
  }

  describe('observe', () => {
    it('reads the group, every instance, the Elastic IP, the routes, the canary subnets and AWS maintenance, changing nothing', async () => {
      // Prepare
      scriptObserve();
      // Act
      const snapshot = await invoke({ action: 'observe', ...base });
      // Assess
      expect(asg.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual([
        { AutoScalingGroupNames: ['vpn-gateway-home'] },
      ]);
      expect(ec2.commandCalls(DescribeInstancesCommand).map((c) => c.args[0].input)).toEqual([
        { InstanceIds: [OLD] },
      ]);
      expect(ec2.commandCalls(GetVpnTunnelReplacementStatusCommand).map((c) => c.args[0].input)).toEqual([
        { VpnConnectionId: VPN, VpnTunnelOutsideIpAddress: '198.51.100.1' },
        { VpnConnectionId: VPN, VpnTunnelOutsideIpAddress: '198.51.100.2' },
      ]);
      expect(snapshot).toMatchObject({
        takenAt: NOW.toISOString(),
        instanceId: OLD,
        suspendedProcesses: [],
        elasticIp: {
          allocationId: EIP,
          publicIp: '203.0.113.10',
          instanceId: OLD,
          networkInterfaceId: OLD_ENI,
        },
        instances: [
          {
            instanceId: OLD,
            inGroup: true,
            lifecycleState: 'InService',
            state: 'running',
            networkInterfaces: [
              { networkInterfaceId: 'eni-0secondary000000000', deviceIndex: 1 },
              { networkInterfaceId: OLD_ENI, deviceIndex: 0, sourceDestCheck: false },
            ],
          },
        ],
        routes: [
          { routeTableId: RTB_A, destinationCidrBlock: '10.20.0.0/16', target: OLD_ENI, state: 'blackhole' },
          { routeTableId: RTB_B, destinationCidrBlock: '10.20.0.0/16', target: null, state: null },
        ],
        canarySubnets: [
          { subnetId: SUBNET, routeTableId: RTB_A, association: 'explicit', configured: true },
          { subnetId: SUBNET_B, routeTableId: RTB_A, association: 'explicit', configured: true },
        ],
        maintenance: { state: 'none' },
      });
      expect(mutatingCalls()).toBe(0);
      // No restart command configured: SSM is not asked.
      expect(ssm.calls()).toHaveLength(0);
    });

    it("falls back to the VPC's main route table for a canary subnet without an explicit association", async () => {
      scriptObserve();
      ec2
        .on(DescribeRouteTablesCommand, {
          Filters: [{ Name: 'association.subnet-id', Values: [SUBNET, SUBNET_B] }],
        })
        .resolves({
          RouteTables: [{ RouteTableId: RTB_B, Associations: [{ SubnetId: SUBNET }], Routes: [] }],
        });
      const snapshot = await invoke({ action: 'observe', ...base });
      expect(snapshot.canarySubnets).toEqual([
        { subnetId: SUBNET, routeTableId: RTB_B, association: 'explicit', configured: true },
        { subnetId: SUBNET_B, routeTableId: 'rtb-0main0000000000', association: 'main', configured: false },
      ]);
    });

    it('records suspended processes, launch hooks, a running refresh and pending AWS maintenance', async () => {
      scriptObserve();
      asg.on(DescribeAutoScalingGroupsCommand).resolves({
        AutoScalingGroups: [
          {
            ...(gatewayGroup([OLD, 'InService']).AutoScalingGroups?.[0] as object),
            SuspendedProcesses: [{ ProcessName: 'Launch', SuspensionReason: 'User suspended' }],
          } as never,
        ],
      });
      asg.on(DescribeLifecycleHooksCommand).resolves({
        LifecycleHooks: [
          {
            LifecycleHookName: 'tunnels-up',
            LifecycleTransition: 'autoscaling:EC2_INSTANCE_LAUNCHING',
            HeartbeatTimeout: 900,
          },
          {
            LifecycleHookName: 'drain',
            LifecycleTransition: 'autoscaling:EC2_INSTANCE_TERMINATING',
            HeartbeatTimeout: 60,
          },
        ],
      });
      asg
        .on(DescribeInstanceRefreshesCommand)
        .resolves({ InstanceRefreshes: [{ InstanceRefreshId: 'ir-1', Status: 'InProgress' }] });
      ec2.on(GetVpnTunnelReplacementStatusCommand).resolves({
        MaintenanceDetails: {
          PendingMaintenance: 'Pending',
          MaintenanceAutoAppliedAfter: new Date('2026-11-26T13:00:00Z'),
        },
      });
      const snapshot = await invoke({ action: 'observe', ...base });
      expect(snapshot).toMatchObject({
        suspendedProcesses: ['Launch'],
        launchHooks: [{ name: 'tunnels-up', heartbeatTimeoutSeconds: 900 }],
        refreshInProgress: 'instance refresh ir-1 InProgress',
        maintenance: { state: 'pending' },
      });
    });

    it('records AWS maintenance as unknown when its API fails, rather than failing the poll', async () => {
      scriptObserve();
      ec2.on(DescribeVpnConnectionsCommand).rejects(awsError('UnauthorizedOperation', 'not authorized'));
      const snapshot = await invoke({ action: 'observe', ...base });
      expect(snapshot.maintenance).toMatchObject({ state: 'unknown' });
    });

    it('asks SSM which instances it manages when the link has a restart command', async () => {
      const config = twoLinkConfig();
      (config.links[0] as { gateway: { restartCommand?: string } }).gateway.restartCommand =
        'systemctl restart ipsec';
      vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
      scriptObserve();
      ssm.on(DescribeInstanceInformationCommand).resolves({
        InstanceInformationList: [{ InstanceId: OLD, PingStatus: 'Online' }],
      });
      const snapshot = await invoke({ action: 'observe', ...base });
      expect(ssm.commandCalls(DescribeInstanceInformationCommand).map((c) => c.args[0].input)).toEqual([
        { Filters: [{ Key: 'InstanceIds', Values: [OLD] }] },
      ]);
      expect(snapshot.instances).toMatchObject([{ instanceId: OLD, ssmManaged: true }]);
    });

    it('fails before any change when the configured group does not exist', async () => {
      scriptObserve();
      asg.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [] });
      await expect(invoke({ action: 'observe', ...base })).rejects.toThrow(
        new GatewayStateError(
          'Auto Scaling group vpn-gateway-home does not exist (check gateway.autoScalingGroupName)',
        ),
      );
    });

    it('fails naming a configured route table AWS does not know', async () => {
      scriptObserve();
      ec2
        .on(DescribeRouteTablesCommand, { RouteTableIds: [RTB_A, RTB_B] })
        .rejects(awsError('InvalidRouteTableID.NotFound', `The routeTable ID '${RTB_B}' does not exist`));
      await expect(invoke({ action: 'observe', ...base })).rejects.toMatchObject({
        name: 'GatewayStateError',
        message: expect.stringContaining(
          `InvalidRouteTableID.NotFound: The routeTable ID '${RTB_B}' does not exist`,
        ),
      });
    });

    it('turns EC2 throttling into AwsThrottledError and a 5xx into AwsTransientError', async () => {
      scriptObserve();
      ec2.on(DescribeInstancesCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
      await expect(invoke({ action: 'observe', ...base })).rejects.toBeInstanceOf(AwsThrottledError);
      ec2
        .on(DescribeInstancesCommand)
        .rejects(
          Object.assign(awsError('InternalError', 'An internal error has occurred'), { $fault: 'server' }),
        );
      await expect(invoke({ action: 'observe', ...base })).rejects.toBeInstanceOf(AwsTransientError);
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

    it('reports a termination refused while a scaling activity runs as transient (retried), any other as GatewayUpdateError', async () => {
      asg.on(DescribeAutoScalingGroupsCommand).resolves(gatewayGroup([OLD, 'InService']));
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .rejects(awsError('ScalingActivityInProgress', 'Scaling activity in progress'));
      await expect(
        invoke({ action: 'replace', ...base, dryRun: false, oldInstanceId: OLD }),
      ).rejects.toBeInstanceOf(AwsTransientError);
      asg
        .on(TerminateInstanceInAutoScalingGroupCommand)
        .rejects(awsError('ValidationError', 'The process Terminate is suspended'));
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

  describe('configure', () => {
    it('turns the source/dest check off on the interface and moves the Elastic IP to the primary ENI', async () => {
      // Prepare
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, true));
      ec2.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
      ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-2' });
      // Act
      const output = await invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW });
      // Assess
      expect(ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input)).toEqual([
        { NetworkInterfaceId: NEW_ENI, SourceDestCheck: { Value: false } },
      ]);
      expect(ec2.commandCalls(ModifyInstanceAttributeCommand)).toHaveLength(0);
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

    it('on a multi-ENI gateway, turns the check off on both forwarding interfaces and puts the Elastic IP on its own', async () => {
      const config = twoLinkConfig();
      (config.links[0] as { gateway: { elasticIpDeviceIndex: number } }).gateway.elasticIpDeviceIndex = 1;
      vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, true));
      ec2.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
      ec2.on(AssociateAddressCommand).resolves({ AssociationId: 'eipassoc-2' });
      const output = await invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW });
      expect(
        ec2
          .commandCalls(ModifyNetworkInterfaceAttributeCommand)
          .map((c) => c.args[0].input.NetworkInterfaceId),
      ).toEqual(['eni-0secondary000000000', NEW_ENI]);
      expect(
        ec2.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input.NetworkInterfaceId),
      ).toEqual(['eni-0secondary000000000']);
      expect(output).toMatchObject({
        networkInterfaceId: NEW_ENI,
        elasticIpInterfaceId: 'eni-0secondary000000000',
      });
    });

    it('in a dry run, sends each write with DryRun and reports allowed or the missing permission, changing nothing', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(NEW, NEW_ENI, true));
      ec2
        .on(ModifyNetworkInterfaceAttributeCommand)
        .rejects(awsError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.'));
      ec2
        .on(AssociateAddressCommand)
        .rejects(awsError('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
      const output = await invoke({ action: 'configure', ...base, dryRun: true, instanceId: NEW });
      expect(
        ec2.commandCalls(ModifyNetworkInterfaceAttributeCommand).map((c) => c.args[0].input.DryRun),
      ).toEqual([true]);
      expect(ec2.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input.DryRun)).toEqual([true]);
      expect(output).toMatchObject({
        sourceDestCheck: { action: 'would-disable' },
        elasticIp: { action: 'would-associate', after: { networkInterfaceId: NEW_ENI } },
        permissions: [
          { action: 'ec2:ModifyNetworkInterfaceAttribute', resource: NEW_ENI, result: 'allowed' },
          {
            action: 'ec2:AssociateAddress',
            result: 'denied',
            detail: expect.stringContaining('missing permission ec2:AssociateAddress'),
          },
        ],
      });
    });

    it("plans a dry run's replacement against the current gateway", async () => {
      ec2.on(DescribeAddressesCommand).resolves(address(OLD, OLD_ENI));
      ec2.on(DescribeInstancesCommand).resolves(gatewayInstance(OLD, OLD_ENI, false));
      ec2
        .on(ModifyNetworkInterfaceAttributeCommand)
        .rejects(awsError('DryRunOperation', 'would have succeeded'));
      ec2.on(AssociateAddressCommand).rejects(awsError('DryRunOperation', 'would have succeeded'));
      const output = await invoke({
        action: 'configure',
        ...base,
        dryRun: true,
        instanceId: null,
        currentInstanceId: OLD,
      });
      expect(output).toMatchObject({
        instanceId: null,
        networkInterfaceId: null,
        probeInterfaceId: OLD_ENI,
        sourceDestCheck: { action: 'would-disable' },
        elasticIp: { action: 'would-associate' },
      });
      expect((output.permissions as { result: string }[]).map((p) => p.result)).toEqual([
        'allowed',
        'allowed',
      ]);
    });

    it('refuses a real run without an instance to configure, or on an instance that is not running', async () => {
      ec2.on(DescribeAddressesCommand).resolves(address());
      ec2.on(DescribeInstancesCommand).resolves({
        Reservations: [
          { Instances: [{ InstanceId: NEW, State: { Name: 'stopped' }, NetworkInterfaces: [] }] },
        ],
      });
      await expect(invoke({ action: 'configure', ...base, dryRun: false, instanceId: NEW })).rejects.toThrow(
        `configure: instance ${NEW} is stopped, not running`,
      );
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

    it('plans every change towards the replacement in a dry run, checking each with DryRun on the current interface', async () => {
      ec2.on(DescribeRouteTablesCommand).resolves(routeTables(blackholed, null));
      ec2.on(ReplaceRouteCommand).rejects(awsError('DryRunOperation', 'would have succeeded'));
      ec2.on(CreateRouteCommand).rejects(awsError('UnauthorizedOperation', 'not authorized'));
      const output = await invoke({
        action: 'repoint',
        ...base,
        dryRun: true,
        networkInterfaceId: null,
        probeInterfaceId: OLD_ENI,
      });
      expect(output).toMatchObject({
        networkInterfaceId: '(replacement ENI)',
        routes: [{ action: 'replace' }, { action: 'create' }],
        notes: expect.arrayContaining(['Routes: would change 2 of 2 configured route(s)']),
        permissions: [
          { action: 'ec2:ReplaceRoute', result: 'allowed' },
          { action: 'ec2:CreateRoute', result: 'denied' },
        ],
      });
      expect(ec2.commandCalls(ReplaceRouteCommand).map((c) => c.args[0].input)).toEqual([
        {
          RouteTableId: RTB_A,
          DestinationCidrBlock: '10.20.0.0/16',
          NetworkInterfaceId: OLD_ENI,
          DryRun: true,
        },
      ]);
    });
  });

  describe('restart-ipsec', () => {
    const withRestart = () => {
      const config = twoLinkConfig();
      (config.links[0] as { gateway: { restartCommand?: string } }).gateway.restartCommand =
        'systemctl restart ipsec';
      vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(config));
    };

    it('runs the configured command on the gateway through SSM AWS-RunShellScript', async () => {
      withRestart();
      ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-1' } });
      const output = await invoke({ action: 'restart-ipsec', ...base, dryRun: false, instanceId: OLD });
      expect(ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input)).toEqual([
        expect.objectContaining({
          DocumentName: 'AWS-RunShellScript',
          InstanceIds: [OLD],
          Parameters: { commands: ['systemctl restart ipsec'] },
        }),
      ]);
      expect(output).toMatchObject({ instanceId: OLD, commandId: 'cmd-1', action: 'sent' });
    });

    it('sends nothing in a dry run and reports the permission as unverified (SSM has no DryRun)', async () => {
      withRestart();
      const output = await invoke({ action: 'restart-ipsec', ...base, dryRun: true, instanceId: OLD });
      expect(ssm.calls()).toHaveLength(0);
      expect(output).toMatchObject({
        action: 'would-send',
        permissions: [{ action: 'ssm:SendCommand', result: 'unverified' }],
      });
    });

    it('refuses when the link has no restart command', async () => {
      await expect(
        invoke({ action: 'restart-ipsec', ...base, dryRun: false, instanceId: OLD }),
      ).rejects.toBeInstanceOf(GatewayStateError);
    });
  });

  it('rejects a link that is not configured', async () => {
    await expect(invoke({ action: 'observe', ...base, link: 'nowhere' })).rejects.toMatchObject({
      name: 'InvalidInputError',
    });
  });
});
