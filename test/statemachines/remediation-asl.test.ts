/**
 * The Remediation ASL: its structural promises (validated after substitution, as Step Functions
 * would see it), then smoke runs of the real file with aws-local-stepfunctions over the real
 * remediation-guard, gateway and notify handlers (AWS answered by aws-sdk-client-mock, scripted
 * per call). check-tunnel, ping-canary and publish-metric are stand-ins here: the sandbox's scenario
 * tests run the whole product end to end.
 */

import { createRequire } from 'node:module';
import {
  AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeInstanceRefreshesCommand,
  DescribeLifecycleHooksCommand,
  DescribeScalingActivitiesCommand,
  TerminateInstanceInAutoScalingGroupCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  ConditionalCheckFailedException,
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
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
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { handler as gateway } from '#functions/gateway/handler.ts';
import { handler as notify } from '#functions/notify/handler.ts';
import type { RemediationReport } from '#functions/notify/report.ts';
import { handler as guard } from '#functions/remediation-guard/handler.ts';
import { localFunctionArn, STATE_MACHINES, substituteAsl } from '#infra/asl.ts';
import { allStates, type LocalLambda, type LocalRunResult, runLocalExecution } from '#sandbox/local-sfn.ts';
import type { Config } from '#shared/config.ts';
import { twoLinkConfig } from '../fixtures/config.ts';
import { gatewayGroup, gatewayInstance } from '../fixtures/gateway.ts';

const validateAsl = createRequire(import.meta.url)('asl-validator') as (definition: unknown) => {
  isValid: boolean;
  errors: unknown[];
};

const CANARY_ARN = localFunctionArn('ping-canary-vpc-0a1b2c3d4e5f60718');
const ARNS = {
  RemediationGuardFunctionArn: localFunctionArn('remediation-guard'),
  GatewayFunctionArn: localFunctionArn('gateway'),
  CheckTunnelFunctionArn: localFunctionArn('check-tunnel'),
  PublishMetricFunctionArn: localFunctionArn('publish-metric'),
  NotifyFunctionArn: localFunctionArn('notify'),
  // vpcId=functionArn pairs, as the stack substitutes them.
  CanaryFunctions: `vpc-0a1b2c3d4e5f60718=${CANARY_ARN},vpc-0bbbbbbbbbbbbbbbb=${CANARY_ARN}`,
};
const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation';
const MUTATING = [
  TerminateInstanceInAutoScalingGroupCommand,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  AssociateAddressCommand,
  ReplaceRouteCommand,
  CreateRouteCommand,
  PutItemCommand,
  UpdateItemCommand,
  DeleteItemCommand,
] as const;

interface AslState {
  Type: string;
  Resource?: string;
  Seconds?: number;
  SecondsPath?: string;
  Retry?: {
    ErrorEquals: string[];
    IntervalSeconds?: number;
    BackoffRate?: number;
    MaxAttempts?: number;
    MaxDelaySeconds?: number;
  }[];
  Catch?: { ErrorEquals: string[]; Next: string }[];
  Parameters?: Record<string, unknown>;
  Branches?: { States: Record<string, AslState> }[];
}

const definition = (): { StartAt: string; TimeoutSeconds: number; States: Record<string, AslState> } =>
  JSON.parse(substituteAsl('remediation', ARNS));

const asg = mockClient(AutoScalingClient);
const ec2 = mockClient(EC2Client);
const dynamo = mockClient(DynamoDBClient);
const sns = mockClient(SNSClient);

/** Stand-ins for the functions other issues own: the link is down until the gateway is replaced. */
function probes(healthy: () => boolean) {
  const checkTunnel: LocalLambda = async () => ({
    checkedAt: new Date().toISOString(),
    links: [
      {
        link: 'home-to-west',
        region: 'us-west-2',
        ok: true,
        tunnelsUp: healthy() ? 2 : 0,
        tunnelsTotal: 2,
        minTunnelsUp: 1,
        healthy: healthy(),
        latencyMs: 40,
        connections: [],
      },
    ],
  });
  const canary: LocalLambda = async () => ({
    vpcId: 'vpc-0a1b2c3d4e5f60718',
    probedAt: new Date().toISOString(),
    links: [
      {
        link: 'home-to-west',
        success: healthy(),
        targetsUp: healthy() ? 1 : 0,
        targetsTotal: 1,
        minTargetsUp: 1,
        latencyMs: healthy() ? 70 : null,
        minMs: null,
        maxMs: null,
        lossPercent: healthy() ? 0 : 100,
      },
    ],
  });
  return { checkTunnel, canary };
}

const metricCalls: unknown[] = [];

async function run(
  config: Config,
  input: unknown,
  healthy: () => boolean = () => false,
): Promise<LocalRunResult> {
  // Waits pass at once here (no simulated clock): a confirmation window would spin in real time.
  const local = { ...config, remediation: { ...config.remediation, confirmSeconds: 0 } };
  vi.stubEnv('VPN_GUARD_CONFIG', JSON.stringify(local));
  vi.stubEnv('LOCK_TABLE_NAME', 'vpn-guard-locks');
  vi.stubEnv('LOCK_TTL_SECONDS', '2400');
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:111111111111:vpn-guard-alarms');
  const { checkTunnel, canary } = probes(healthy);
  return runLocalExecution({
    definition: substituteAsl('remediation', ARNS),
    functions: {
      [ARNS.RemediationGuardFunctionArn]: guard as LocalLambda,
      [ARNS.GatewayFunctionArn]: gateway as LocalLambda,
      [ARNS.NotifyFunctionArn]: notify as LocalLambda,
      [ARNS.CheckTunnelFunctionArn]: checkTunnel,
      [ARNS.PublishMetricFunctionArn]: async (event) => {
        metricCalls.push(event);
        return { datums: [], calls: 1, collectionComplete: true };
      },
      [CANARY_ARN]: canary,
    },
    input,
    executionName: 'home-to-west-drill-20261126T202938',
    stateMachineArn: STATE_MACHINE_ARN,
  });
}

const OLD = 'i-0a1b2c3d4e5f60718';
const NEW = 'i-0f9e8d7c6b5a49382';
const OLD_ENI = 'eni-0a1b2c3d4e5f60718';
const NEW_ENI = 'eni-0f9e8d7c6b5a49382';
const TABLES = ['rtb-0a1b2c3d4e5f60718', 'rtb-0b1c2d3e4f5a60718'];
const SUBNETS = ['subnet-0a1b2c3d4e5f60718', 'subnet-0b1c2d3e4f5a60718'];

/**
 * A gateway whose tunnels are down (routes blackholed, the Elastic IP on the old instance); the
 * group replaces it when asked: from the termination on, NEW is its InService instance.
 */
function scriptGateway(old: { state: string } = { state: 'running' }): () => boolean {
  let terminated = false;
  asg
    .on(DescribeAutoScalingGroupsCommand)
    .callsFake(async () =>
      terminated ? gatewayGroup([NEW, 'InService']) : gatewayGroup([OLD, 'InService']),
    );
  asg.on(DescribeLifecycleHooksCommand).resolves({ LifecycleHooks: [] });
  asg.on(DescribeInstanceRefreshesCommand).resolves({ InstanceRefreshes: [] });
  asg.on(DescribeScalingActivitiesCommand).resolves({ Activities: [] });
  asg.on(TerminateInstanceInAutoScalingGroupCommand).callsFake(async () => {
    terminated = true;
    return {
      Activity: {
        ActivityId: 'act-1',
        AutoScalingGroupName: 'vpn-gateway-home',
        Cause: 'terminated by VPN Guard',
        StartTime: new Date(),
        StatusCode: 'InProgress',
      },
    };
  });
  ec2.on(DescribeInstancesCommand).callsFake(async (input: { InstanceIds?: string[] }) => ({
    Reservations: (input.InstanceIds ?? []).flatMap((id) =>
      id === OLD
        ? (gatewayInstance(OLD, OLD_ENI, false).Reservations ?? []).map((r) => ({
            ...r,
            Instances: r.Instances?.map((i) => ({ ...i, State: { Name: old.state as 'running' } })),
          }))
        : id === NEW
          ? (gatewayInstance(NEW, NEW_ENI, !associated).Reservations ?? [])
          : [],
    ),
  }));
  let associated = false;
  ec2.on(DescribeAddressesCommand).callsFake(async () => ({
    Addresses: [
      {
        AllocationId: 'eipalloc-0a1b2c3d4e5f60718',
        PublicIp: '203.0.113.10',
        InstanceId: associated ? NEW : OLD,
        NetworkInterfaceId: associated ? NEW_ENI : OLD_ENI,
        AssociationId: 'eipassoc-1',
      },
    ],
  }));
  ec2.on(DescribeRouteTablesCommand).callsFake(async (input: { RouteTableIds?: string[] }) => ({
    RouteTables: (input.RouteTableIds ?? TABLES).map((RouteTableId) => ({
      RouteTableId,
      // Both canary subnets use the first configured table.
      Associations: input.RouteTableIds ? [] : [{ SubnetId: SUBNETS[0] }, { SubnetId: SUBNETS[1] }],
      Routes: [
        {
          DestinationCidrBlock: '10.0.0.0/16',
          GatewayId: 'local',
          State: 'active',
          Origin: 'CreateRouteTable',
        },
        repointed
          ? {
              DestinationCidrBlock: '10.20.0.0/16',
              NetworkInterfaceId: NEW_ENI,
              State: 'active',
              Origin: 'CreateRoute',
            }
          : {
              DestinationCidrBlock: '10.20.0.0/16',
              InstanceId: OLD,
              NetworkInterfaceId: OLD_ENI,
              State: 'blackhole',
              Origin: 'CreateRoute',
            },
      ],
    })),
  }));
  ec2.on(DescribeVpnConnectionsCommand).resolves({
    VpnConnections: [
      {
        VpnConnectionId: 'vpn-0a1b2c3d4e5f60718',
        VgwTelemetry: [{ OutsideIpAddress: '198.51.100.1', Status: 'DOWN' }],
      },
    ],
  });
  ec2.on(GetVpnTunnelReplacementStatusCommand).resolves({ MaintenanceDetails: {} });
  ec2.on(ModifyNetworkInterfaceAttributeCommand).resolves({});
  ec2.on(AssociateAddressCommand).callsFake(async () => {
    associated = true;
    return { AssociationId: 'eipassoc-2' };
  });
  let repointed = false;
  ec2.on(ReplaceRouteCommand).callsFake(async () => {
    repointed = true;
    return {};
  });
  // The link works once every route is on the new instance's interface.
  return () => repointed;
}

describe('the Remediation state machine definition', () => {
  it('is valid ASL once its placeholders are substituted, and uses every key of its STATE_MACHINES entry', () => {
    // Prepare
    const keys = [...STATE_MACHINES.remediation.keys];
    // Act
    const result = validateAsl(definition());
    // Assess
    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
    expect(Object.keys(ARNS).sort()).toEqual(keys.sort());
  });

  it('starts at ValidateInput, whose only way out on error is a Fail state', () => {
    const machine = definition();
    const validate = machine.States.ValidateInput;
    expect(machine.StartAt).toBe('ValidateInput');
    expect(validate?.Catch).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'RejectInput' }]);
    expect(machine.States.RejectInput?.Type).toBe('Fail');
    expect(machine.TimeoutSeconds).toBeGreaterThan(0);
  });

  it('retries Lambda service errors with capped backoff on every Task, and throttling and 5xx on every Task that calls AWS', () => {
    const tasks = allStates(definition()).filter(([, state]) => state.Type === 'Task') as [
      string,
      AslState,
    ][];
    expect(tasks.length).toBeGreaterThan(15);
    for (const [name, state] of tasks) {
      const errors = (state.Retry ?? []).flatMap((retrier) => retrier.ErrorEquals);
      expect(errors, name).toEqual(
        expect.arrayContaining([
          'Lambda.ServiceException',
          'Lambda.AWSLambdaException',
          'Lambda.SdkClientException',
          'Lambda.TooManyRequestsException',
        ]),
      );
      // The pure steps (validation, confirmation, decisions) call no AWS API.
      const pure = [
        'ValidateInput',
        'ConfirmUnhealthy',
        'DecideRung',
        'DecideAfterWaiting',
        'VerifyRecovery',
      ];
      if (!pure.includes(name) && !name.startsWith('PingCanary')) {
        expect(errors, name).toEqual(expect.arrayContaining(['AwsThrottledError', 'AwsTransientError']));
      }
      for (const retrier of state.Retry ?? []) {
        expect(retrier.BackoffRate, name).toBeGreaterThan(1);
        expect(retrier.IntervalSeconds, name).toBeGreaterThan(0);
        expect(retrier.MaxAttempts, name).toBeGreaterThan(1);
        expect(retrier.MaxDelaySeconds, name).toBeGreaterThan(0);
      }
    }
  });

  it('catches every failure of every Task and Parallel, and sends each to a Pass that records the failed state', () => {
    const machine = definition();
    const catching = allStates(machine).filter(([, s]) => s.Type === 'Task' || s.Type === 'Parallel') as [
      string,
      AslState,
    ][];
    for (const [name, state] of catching) {
      expect(
        state.Catch?.map((c) => c.ErrorEquals),
        name,
      ).toEqual([['States.ALL']]);
    }
    const mutating = [
      'AcquireLock',
      'CheckBudget',
      'ReplaceInstance',
      'ConfigureInstance',
      'RepointRoutes',
      'RestartIpsec',
    ];
    for (const name of mutating) {
      const next = machine.States[name]?.Catch?.[0]?.Next ?? '';
      expect(next, name).toBe(`${name}Failed`);
      expect(machine.States[next], name).toMatchObject({
        Type: 'Pass',
        Result: { failedState: name },
        Next: 'NotifyFailure',
      });
    }
    // After a verified recovery, bookkeeping never turns the outcome into a failure.
    expect(machine.States.PublishRemediationMetrics?.Catch?.[0]?.Next).toBe('Notify');
    expect(machine.States.Notify?.Catch?.[0]?.Next).toBe('ReportUnnotified');
    expect(machine.States.ReleaseLock?.Catch?.[0]?.Next).toBe('Done');
    // In the loop, a failed poll is "not yet": its error goes to the decision.
    expect(machine.States.ObserveGateway?.Catch?.[0]?.Next).toBe('VerifyRecovery');
    expect(machine.States.AwaitReplacement?.Catch?.[0]?.Next).toBe('DecideAfterWaiting');
    expect(machine.States.RemediationFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
  });

  it('waits with fixed Seconds only, so the sandbox can simulate every Wait', () => {
    const waits = allStates(definition()).filter(([, s]) => s.Type === 'Wait') as [string, AslState][];
    expect(waits.map(([name]) => name).sort()).toEqual([
      'WaitForRecovery',
      'WaitForReplacement',
      'WaitToConfirm',
    ]);
    for (const [, state] of waits) {
      expect(Number.isInteger(state.Seconds)).toBe(true);
      expect(state.SecondsPath).toBeUndefined();
    }
  });

  it('invokes every Task through lambda:invoke with the execution id and a substituted function, the canary by the ARN ValidateInput resolved', () => {
    const tasks = allStates(definition()).filter(([, s]) => s.Type === 'Task') as [string, AslState][];
    const known = new Set(Object.values(ARNS));
    for (const [name, state] of tasks) {
      expect(state.Resource, name).toBe('arn:aws:states:::lambda:invoke');
      const parameters = state.Parameters ?? {};
      const payload = parameters.Payload as Record<string, unknown>;
      expect(payload['executionId.$'], name).toBe('$$.Execution.Id');
      if (name.startsWith('PingCanary'))
        expect(parameters['FunctionName.$'], name).toBe('$.canaryFunctionArn');
      else expect(known.has(String(parameters.FunctionName)), name).toBe(true);
    }
  });
});

describe('the Remediation state machine, run locally over the real handlers', () => {
  beforeEach(() => {
    asg.reset();
    ec2.reset();
    dynamo.reset();
    sns.reset();
    metricCalls.length = 0;
    dynamo.on(GetItemCommand).resolves({});
    dynamo.on(PutItemCommand).resolves({});
    dynamo.on(UpdateItemCommand).resolves({});
    dynamo.on(DeleteItemCommand).resolves({});
    sns.on(PublishCommand).resolves({ MessageId: 'msg-1' });
  });
  afterEach(() => vi.unstubAllEnvs());

  it('fails at ValidateInput with InvalidInputError naming the unknown link, with zero AWS calls', async () => {
    // Act
    const result = await run(twoLinkConfig(), { link: 'nowhere', trigger: 'drill' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(result.cause).toMatch(
      /"nowhere" is not a configured link; configured links: home-to-west, home-to-eu/,
    );
    expect(result.path).toEqual(['ValidateInput', 'RejectInput']);
    expect(asg.calls().length + ec2.calls().length + dynamo.calls().length + sns.calls().length).toBe(0);
  });

  it('fails at ValidateInput when the input is not even an object, still touching nothing', async () => {
    const result = await run(twoLinkConfig(), 'home-to-west');
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('InvalidInputError');
    expect(asg.calls().length + ec2.calls().length + dynamo.calls().length + sns.calls().length).toBe(0);
  });

  it('replaces the gateway on a drill, re-points both blackholed routes and reports the recovery as its output', async () => {
    // Prepare
    const replaced = scriptGateway();
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'drill' }, replaced);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path).toEqual(
      expect.arrayContaining([
        'AcquireLock',
        'CheckBudget',
        'DescribeGateway',
        'ReplaceInstance',
        'AwaitReplacement',
        'WaitForReplacement',
        'ConfigureInstance',
        'RepointRoutes',
        'VerifyRecovery',
        'PublishRemediationMetrics',
        'ReleaseLock',
        'Notify',
        'Done',
      ]),
    );
    expect(result.path).not.toContain('ConfirmUnhealthy');
    const report = result.output as RemediationReport;
    expect(report).toMatchObject({
      outcome: 'recovered',
      link: 'home-to-west',
      trigger: 'drill',
      dryRun: false,
      executionName: 'home-to-west-drill-20261126T202938',
      oldInstanceId: OLD,
      newInstanceId: NEW,
      elasticIp: '203.0.113.10',
      plan: [],
      reason: 'failover drill',
      notification: { messageId: 'msg-1' },
    });
    expect(
      report.routes.map((route) => [route.routeTableId, route.action, route.to.networkInterfaceId]),
    ).toEqual(TABLES.map((table) => [table, 'replace', NEW_ENI]));
    expect(report.timeToRecoverSeconds).toBeGreaterThanOrEqual(0);
    expect(asg.commandCalls(TerminateInstanceInAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: OLD, ShouldDecrementDesiredCapacity: false },
    ]);
    expect(ec2.commandCalls(AssociateAddressCommand).map((c) => c.args[0].input)).toEqual([
      { AllocationId: 'eipalloc-0a1b2c3d4e5f60718', NetworkInterfaceId: NEW_ENI, AllowReassociation: true },
    ]);
    expect(metricCalls).toEqual([
      expect.objectContaining({
        kind: 'remediation',
        link: 'home-to-west',
        outcome: 'recovered',
        failedState: null,
      }),
    ]);
    // A drill announces itself once: its start is logged, its end is the page.
    expect(sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject)).toEqual([
      '[VpnGuard] home-to-west drill started: remediation started',
      expect.stringMatching(/^\[VpnGuard\] home-to-west recovered in /),
    ]);
  });

  it('re-probes the link on an alarm, replaces a stopped gateway when the probes confirm the failure, and reports recovered', async () => {
    // Prepare: the instance stopped; its group has not noticed yet.
    const replaced = scriptGateway({ state: 'stopped' });
    // Act
    const result = await run(
      twoLinkConfig(),
      {
        link: 'home-to-west',
        trigger: 'alarm',
        reason: 'Unhealthy alarm in ALARM since 2026-11-26T20:29:00Z',
      },
      replaced,
    );
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path.slice(0, 13)).toEqual([
      'ValidateInput',
      'AcquireLock',
      'IsLockAcquired',
      'CheckBudget',
      'IsWithinBudget',
      'ProbeLinkBeforeReplacing',
      'CheckTunnelBeforeReplacing',
      'PingCanaryBeforeReplacing',
      'IsConfirmationNeeded',
      'ConfirmUnhealthy',
      'IsStillUnhealthy',
      'NotifyStarted',
      'DescribeGateway',
    ]);
    expect(result.output).toMatchObject({
      outcome: 'recovered',
      trigger: 'alarm',
      newInstanceId: NEW,
      rung: 'replace',
      rungs: ['replace'],
    });
    expect(result.path).toEqual(
      expect.arrayContaining(['DecideRung', 'ReplaceInstance', 'DecideAfterWaiting']),
    );
  });

  it('changes nothing when the link works again by the time an alarm run re-probes it', async () => {
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'alarm' }, () => true);
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path.slice(-5)).toEqual([
      'ConfirmUnhealthy',
      'IsStillUnhealthy',
      'NotifyRecoveredByItself',
      'ReleaseLockAfterSelfRecovery',
      'Done',
    ]);
    expect((result.output as RemediationReport).outcome).toBe('recovered-by-itself');
    expect(asg.calls().length + ec2.calls().length).toBe(0);
    expect(dynamo.commandCalls(DeleteItemCommand)).toHaveLength(1);
  });

  it('changes nothing during the cooldown of an alarm run and says until when', async () => {
    // Prepare
    const justNow = new Date(Date.now() - 60_000).toISOString();
    dynamo.on(GetItemCommand, { Key: { pk: { S: 'budget#home-to-west' } } }).resolves({
      Item: {
        pk: { S: 'budget#home-to-west' },
        attempts: { M: { earlier: { S: justNow } } },
        lastCompletedAt: { S: justNow },
        version: { N: '2' },
      },
    });
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'alarm' });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    expect(result.path.slice(-4)).toEqual([
      'IsWithinBudget',
      'NotifySkippedCooldown',
      'ReleaseLockAfterSkip',
      'Done',
    ]);
    expect((result.output as RemediationReport).outcome).toBe('skipped-cooldown');
    // The budget is untouched (notify's incident bookkeeping may write the incident item).
    expect(
      dynamo
        .commandCalls(UpdateItemCommand)
        .filter((call) => call.args[0].input.Key?.pk?.S?.startsWith('budget#')),
    ).toHaveLength(0);
    expect(asg.calls().length + ec2.calls().length).toBe(0);
  });

  it('walks every step in a dry run, reads everything, changes nothing and outputs the plan', async () => {
    // Prepare
    scriptGateway();
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'drill', dryRun: true });
    // Assess
    expect(result.status, result.cause).toBe('SUCCEEDED');
    // Nothing changes in EC2 or Auto Scaling (DryRun calls only ask), nor on the lock and budget items
    // (notify may record its own claims on the incident).
    const gatewayWrites = [asg, ec2].flatMap((client) =>
      client
        .calls()
        .filter((call) => MUTATING.some((command) => call.args[0] instanceof command))
        .filter((call) => (call.args[0].input as { DryRun?: boolean }).DryRun !== true),
    );
    expect(gatewayWrites).toEqual([]);
    const guardWrites = [PutItemCommand, UpdateItemCommand, DeleteItemCommand]
      .flatMap((command) => dynamo.commandCalls(command as typeof PutItemCommand))
      .filter((call) => /"(lock|budget)#/.test(JSON.stringify(call.args[0].input)));
    expect(guardWrites).toEqual([]);
    expect(metricCalls).toEqual([]);
    expect(result.path.filter((state) => state === 'AwaitReplacement')).toHaveLength(1);
    expect(result.path.filter((state) => state === 'VerifyRecovery')).toHaveLength(1);
    const report = result.output as RemediationReport;
    expect(report.outcome).toBe('dry-run-plan');
    expect(report.routes.map((route) => route.action)).toEqual(['replace', 'replace']);
    expect(report.plan).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Lock: free; a real run would acquire it/),
        expect.stringMatching(/^Replace: would terminate i-0a1b2c3d4e5f60718/),
        expect.stringMatching(/^Route rtb-0a1b2c3d4e5f60718 10\.20\.0\.0\/16: would re-point/),
      ]),
    );
    expect(report.notification.subject).toBe('[VpnGuard] home-to-west dry run: 5 changes planned');
  });

  it('stops when another execution holds the lock, notifies skipped-locked and leaves that lock alone', async () => {
    // Prepare
    dynamo.on(PutItemCommand).rejects(
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: {},
        Item: {
          pk: { S: 'lock#home-to-west' },
          holder: { S: `${STATE_MACHINE_ARN}:other` },
          expiresAt: { N: '4102444800' },
        },
      }),
    );
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'alarm' });
    // Assess
    expect(result.status).toBe('SUCCEEDED');
    expect(result.path).toEqual([
      'ValidateInput',
      'AcquireLock',
      'IsLockAcquired',
      'NotifySkippedLocked',
      'Done',
    ]);
    expect((result.output as RemediationReport).outcome).toBe('skipped-locked');
    expect(dynamo.commandCalls(DeleteItemCommand)).toHaveLength(0);
  });

  it('fails with the route error after notifying the failed state and releasing the lock', async () => {
    // Prepare
    scriptGateway();
    ec2
      .on(ReplaceRouteCommand)
      .rejects(Object.assign(new Error('The routeTable ID is malformed'), { name: 'InvalidParameterValue' }));
    // Act
    const result = await run(twoLinkConfig(), { link: 'home-to-west', trigger: 'drill' });
    // Assess
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('GatewayUpdateError');
    expect(result.cause).toMatch(
      /rtb-0a1b2c3d4e5f60718 10\.20\.0\.0\/16 \(ReplaceRoute\): InvalidParameterValue/,
    );
    expect(result.path.slice(-7)).toEqual([
      'RepointRoutes',
      'RepointRoutesFailed',
      'NotifyFailure',
      'ShouldPublishFailureMetrics',
      'PublishFailureMetrics',
      'ReleaseLockAfterFailure',
      'RemediationFailed',
    ]);
    const subjects = sns.commandCalls(PublishCommand).map((c) => c.args[0].input.Subject);
    expect(subjects).toEqual([
      '[VpnGuard] home-to-west drill started: remediation started',
      '[VpnGuard] home-to-west remediation FAILED at RepointRoutes',
    ]);
    expect(metricCalls).toEqual([
      expect.objectContaining({ outcome: 'failed', failedState: 'RepointRoutes' }),
    ]);
    expect(dynamo.commandCalls(DeleteItemCommand)).toHaveLength(1);
  });
});
