/**
 * The stack synthesized from the shipped example config: what each resource is configured to do.
 * (Least privilege, cdk-nag, config errors and the ASL have their own files.)
 */
import { readFileSync } from 'node:fs';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { linkAlarmSpecs } from '#infra/alarm-specs.ts';
import { loadConfig } from '#infra/load-config.ts';
import { remediationTimeoutSeconds } from '#infra/state-machine-definition.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { arnOf, defined, EXAMPLE_CONFIG, logicalId, synthesize, writeTempConfig } from './support.ts';

interface TaskState {
  readonly Type: string;
  readonly TimeoutSeconds?: number;
  readonly Parameters: Record<string, unknown>;
}

/** Every Task state of an ASL definition, nested ones included. */
function taskStates(definition: { States: Record<string, Record<string, unknown>> }): [string, TaskState][] {
  return Object.entries(definition.States).flatMap(([name, state]): [string, TaskState][] => {
    const nested = [
      ...((state.Branches as { States: Record<string, Record<string, unknown>> }[] | undefined) ?? []),
      ...(state.ItemProcessor
        ? [state.ItemProcessor as { States: Record<string, Record<string, unknown>> }]
        : []),
    ].flatMap(taskStates);
    return state.Type === 'Task' ? [[name, state as unknown as TaskState], ...nested] : nested;
  });
}

let stack: VpnGuardStack;
let template: Template;
const config = loadConfig(EXAMPLE_CONFIG);
const link = defined(config.links[0], 'the example link');
const canary = () => defined(stack.canaries[0], 'the canary');
const topicRef = () => ({ Ref: logicalId(stack.alarmTopic.topic) });

beforeAll(() => {
  ({ stack, template } = synthesize(EXAMPLE_CONFIG));
});

describe('Monitor', () => {
  it('is an EXPRESS state machine logging ERROR events with execution data by default, untraced by default, its ARNs substituted', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: {
        Level: 'ERROR',
        IncludeExecutionData: true,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: arnOf(stack.monitor.node.findChild('LogGroup')) } },
        ],
      },
      // X-Ray is the config's tracing.enabled, off by default (test/infra/tracing.test.ts).
      TracingConfiguration: { Enabled: false },
      DefinitionSubstitutions: {
        CheckTunnelFunctionArn: arnOf(stack.checkTunnel.function),
        PublishMetricFunctionArn: arnOf(stack.publishMetric.function),
        StartRemediationFunctionArn: arnOf(stack.remediation.startRemediation.function),
      },
    });
  });

  it('keeps its logs for the configured retention in a vended-logs group', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          [
            '/aws/vendedlogs/states/VpnGuard-Monitor-',
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
          ],
        ],
      },
      RetentionInDays: config.observability.logRetentionDays,
    });
  });

  it('is started by EventBridge Scheduler at config.schedule with every canary group as input', () => {
    const schedules = template.findResources('AWS::Scheduler::Schedule');
    expect(Object.keys(schedules)).toHaveLength(1);
    const schedule = defined(Object.values(schedules)[0], 'the schedule');
    expect(schedule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(schedule.Properties.FlexibleTimeWindow).toEqual({ Mode: 'OFF' });
    expect(schedule.Properties.Target.Arn).toEqual({ Ref: logicalId(stack.monitor.stateMachine) });
    const input = stack.resolve(schedule.Properties.Target.Input);
    const canaryArn = '<<canary-arn>>';
    const parts = input['Fn::Join'][1] as unknown[];
    const text = parts
      .map((part) =>
        typeof part === 'string'
          ? part
          : JSON.stringify(part) === JSON.stringify(arnOf(canary().fn.function))
            ? canaryArn
            : '?',
      )
      .join('');
    expect(JSON.parse(text)).toEqual({
      canaryGroups: [{ vpcId: link.canary.vpcId, functionName: canaryArn, links: [link.name] }],
    });
  });

  it('the scheduler role may only start the Monitor machine', () => {
    const role = stack.node
      .findAll()
      .find((construct) => construct.node.id.startsWith('SchedulerRoleForTarget'));
    const roleId = logicalId(defined(role, 'the scheduler role'));
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) =>
      JSON.stringify(policy.Properties.Roles).includes(roleId),
    );
    expect(policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement)).toEqual([
      expect.objectContaining({
        Action: 'states:StartExecution',
        Resource: { Ref: logicalId(stack.monitor.stateMachine) },
      }),
    ]);
  });

  it('alarms when Monitor executions fail or time out in 3 of 5 minutes', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut']) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: `VpnGuard-Monitor${metric}`,
        Namespace: 'AWS/States',
        MetricName: metric,
        Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.monitor.stateMachine) } }],
        Statistic: 'Sum',
        Period: 60,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        TreatMissingData: 'notBreaching',
        AlarmActions: [topicRef()],
        OKActions: [topicRef()],
      });
    }
  });
});

describe('Lambda functions', () => {
  it('every function runs nodejs24.x on arm64, untraced by default, with source maps and the service name, the config not in its environment', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(functions)).toHaveLength(7);
    for (const fn of Object.values(functions)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'vpn-guard',
          },
        },
      });
      // X-Ray is the config's tracing.enabled, off by default (test/infra/tracing.test.ts).
      expect(fn.Properties.TracingConfig).toBeUndefined();
      // The config is bundled into the code (4 KB environment limit): see test/infra/bundling.test.ts.
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('VPN_GUARD_CONFIG');
      expect(JSON.stringify(fn.Properties.Environment)).not.toContain(link.name);
      expect(fn.Properties.LoggingConfig.LogGroup.Ref).toMatch(/LogGroup/);
    }
  });

  it('every function times out before the state machine Task that invokes it, so its own error is what the ASL sees', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const timeoutOf = (ref: unknown) => {
      const id = (ref as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
      return defined(functions[id], id).Properties.Timeout as number;
    };
    const canaryTimeouts = stack.canaries.map((c) => timeoutOf(arnOf(c.fn.function)));
    let checked = 0;
    for (const machine of Object.values(template.findResources('AWS::StepFunctions::StateMachine'))) {
      const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;
      const tasks = taskStates(JSON.parse(machine.Properties.DefinitionString));
      for (const [name, task] of tasks) {
        const key = /^\$\{(\w+)\}$/.exec(String(task.Parameters.FunctionName ?? ''))?.[1];
        const timeouts = key ? [timeoutOf(substitutions[key])] : canaryTimeouts;
        for (const timeout of timeouts) {
          expect(timeout, `${name}: function ${timeout} s vs Task ${task.TimeoutSeconds} s`).toBeLessThan(
            defined(task.TimeoutSeconds, `${name}.TimeoutSeconds`),
          );
          checked += 1;
        }
      }
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('every function logs to its own log group with the configured retention', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'));
    const groups = template.findResources('AWS::Logs::LogGroup');
    const used = functions.map((fn) => fn.Properties.LoggingConfig.LogGroup.Ref as string);
    expect(new Set(used).size).toBe(functions.length);
    for (const id of used) expect(groups[id]?.Properties.RetentionInDays).toBe(30);
  });

  it('no role has an AWS managed policy attached', () => {
    for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('only the canary runs in a VPC, in the configured subnets with its own security group', () => {
    const inVpc = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([, fn]) => fn.Properties.VpcConfig !== undefined,
    );
    expect(inVpc.map(([id]) => id)).toEqual([logicalId(canary().fn.function)]);
    expect(inVpc[0]?.[1].Properties.VpcConfig).toEqual({
      SubnetIds: link.canary.subnetIds,
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(canary().securityGroup), 'GroupId'] }],
    });
    expect(inVpc[0]?.[1].Properties.Environment.Variables.CANARY_VPC_ID).toBe(link.canary.vpcId);
  });

  it("the canary's security group has no ingress and egress only TCP to the remote CIDRs on the target ports", () => {
    template.hasResourceProperties('AWS::EC2::SecurityGroup', {
      VpcId: link.canary.vpcId,
      SecurityGroupEgress: [
        {
          IpProtocol: 'tcp',
          CidrIp: '10.20.0.0/16',
          FromPort: 22,
          ToPort: 22,
          Description: Match.anyValue(),
        },
      ],
      SecurityGroupIngress: Match.absent(),
    });
    expect(template.findResources('AWS::EC2::SecurityGroupIngress')).toEqual({});
    expect(template.findResources('AWS::EC2::SecurityGroupEgress')).toEqual({});
  });

  it('remediation-guard gets the lock table, a lock TTL of the machine timeout + 300 s and the canary map', () => {
    const timeout = remediationTimeoutSeconds(10, 5);
    expect(timeout).toBe(2100);
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          LOCK_TABLE_NAME: { Ref: logicalId(stack.remediation.lockTable) },
          LOCK_TTL_SECONDS: String(timeout + 300),
        }),
      },
    });
    // The canary map is substituted into the Remediation definition, not the guard's environment.
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      DefinitionSubstitutions: Match.objectLike({
        CanaryFunctions: { 'Fn::Join': ['', [`${link.canary.vpcId}=`, arnOf(canary().fn.function)]] },
      }),
    });
  });

  it('start-remediation knows the Remediation machine and notify knows the topic', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          REMEDIATION_STATE_MACHINE_ARN: { Ref: logicalId(stack.remediation.stateMachine) },
        }),
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ TOPIC_ARN: topicRef() }) },
    });
  });
});

describe('link alarms', () => {
  const common = () => ({
    Namespace: 'VpnGuard',
    Dimensions: [{ Name: 'Link', Value: link.name }],
    Period: 60,
    EvaluationPeriods: 3,
    DatapointsToAlarm: 2,
    AlarmActions: [topicRef()],
    OKActions: [topicRef()],
  });

  it('Outage: one metric-math alarm on minimum TunnelsUp and CanarySuccess, 2 of 3 minutes, a missing figure not breaching', () => {
    const alarms = defined(stack.linkAlarms.get(link.name), 'the link alarms');
    const resource = defined(
      template.findResources('AWS::CloudWatch::Alarm')[logicalId(alarms.outage)],
      'the Outage alarm',
    );
    const min = link.vpn.minTunnelsUp;
    const metric = (id: string, metricName: string) => ({
      Id: id,
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'VpnGuard',
          MetricName: metricName,
          Dimensions: [{ Name: 'Link', Value: link.name }],
        },
        Period: 60,
        Stat: 'Minimum',
      },
    });
    expect(resource.Properties).toMatchObject({
      AlarmName: linkAlarmName('VpnGuard', link.name, 'Outage'),
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
    expect(resource.Properties.Metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Id: 'outage',
          Expression: `IF(FILL(tunnels, ${min}) < ${min}, 1, 0) + IF(FILL(canary, 1) < 1, 2, 0)`,
        }),
        metric('tunnels', 'TunnelsUp'),
        metric('canary', 'CanarySuccess'),
      ]),
    );
    expect(resource.Properties.Metrics).toHaveLength(3);
  });

  it('no composite alarm and no TunnelsDown/ConnectivityLost child alarms remain (the composite cost $0.50 a link)', () => {
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    const names = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map(
      (alarm) => alarm.Properties.AlarmName as string,
    );
    expect(names.filter((name) => /TunnelsDown|ConnectivityLost|Unhealthy/.test(name))).toEqual([]);
  });

  it('LatencyHigh: CanaryLatency above latencyThresholdMs; missing data is not breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      ...common(),
      AlarmName: linkAlarmName('VpnGuard', link.name, 'LatencyHigh'),
      MetricName: 'CanaryLatency',
      Threshold: 200,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it('MonitorSilent: one for the deployment, on the Monitor starting (AWS/States ExecutionsStarted); missing data is breaching', () => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'VpnGuard-MonitorSilent',
      Namespace: 'AWS/States',
      MetricName: 'ExecutionsStarted',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.monitor.stateMachine) } }],
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'breaching',
      AlarmActions: [topicRef()],
      OKActions: [topicRef()],
    });
    const silent = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter((alarm) =>
      String(alarm.Properties.AlarmName).endsWith('MonitorSilent'),
    );
    expect(silent).toHaveLength(1);
  });

  it('every metric alarm is exactly its spec in infra/alarm-specs.ts (the one the sandbox evaluates)', () => {
    const specs = linkAlarmSpecs(config, link);
    expect(specs.metricAlarms).toHaveLength(1);
    for (const spec of specs.metricAlarms) {
      template.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: spec.alarmName,
        AlarmDescription: spec.description,
        Namespace: spec.namespace,
        MetricName: spec.metricName,
        Dimensions: Object.entries(spec.dimensions).map(([Name, Value]) => ({ Name, Value })),
        Statistic: spec.statistic,
        Period: spec.periodSeconds,
        EvaluationPeriods: spec.evaluationPeriods,
        DatapointsToAlarm: spec.datapointsToAlarm,
        ComparisonOperator: spec.comparison,
        Threshold: spec.threshold,
        TreatMissingData: spec.treatMissingData,
      });
    }
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: specs.outage.alarmName,
      AlarmDescription: specs.outage.description,
      EvaluationPeriods: specs.outage.evaluationPeriods,
      DatapointsToAlarm: specs.outage.datapointsToAlarm,
      ComparisonOperator: specs.outage.comparison,
      Threshold: specs.outage.threshold,
      TreatMissingData: specs.outage.treatMissingData,
      Metrics: Match.arrayWith([
        Match.objectLike({ Id: specs.outage.expressionId, Expression: specs.outage.expression }),
      ]),
    });
  });

  it('no alarm on RemediationFailed: notify pages a failed remediation, the Outage alarm stays in ALARM while the link is down', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.filter((alarm) => alarm.Properties.MetricName === 'RemediationFailed')).toEqual([]);
    expect(
      alarms.filter((alarm) => String(alarm.Properties.AlarmName).endsWith('-RemediationFailed')),
    ).toEqual([]);
  });
});

describe('alarm topic', () => {
  it('is encrypted with a rotating customer-managed key that CloudWatch may use', () => {
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: arnOf(defined(stack.alarmTopic.key, 'the topic key')),
    });
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
            Effect: 'Allow',
          }),
        ]),
      },
    });
  });

  it("denies publishing without TLS and lets only this account's alarms publish as CloudWatch", () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sns:Publish',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('opting out of the customer managed key (topicEncryption "none") builds no key, no SSE and no kms grant, and passes cdk-nag', () => {
    // Prepare
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    const path = writeTempConfig({
      ...raw,
      notifications: { ...raw.notifications, topicEncryption: 'none' },
    });

    // Act: Template.fromStack throws on any unacknowledged cdk-nag finding.
    const optedOut = synthesize(path);

    // Assess
    optedOut.template.resourceCountIs('AWS::KMS::Key', 0);
    const topic = Object.values(optedOut.template.findResources('AWS::SNS::Topic'))[0];
    expect(topic?.Properties.KmsMasterKeyId).toBeUndefined();
    expect(optedOut.stack.alarmTopic.key).toBeUndefined();
    const actions = Object.values(optedOut.template.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as { Action: string | string[] }[]).flatMap((st) =>
        [st.Action].flat(),
      ),
    );
    expect(actions.filter((action) => action.startsWith('kms:'))).toEqual([]);
  });

  it('subscribes the configured email address and phone number', () => {
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    template.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'sms', Endpoint: '+14155550100' });
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });
});

describe('Monitor logging option', () => {
  it('logs ALL events of every tick when monitor.executionLogLevel is ALL (for debugging)', () => {
    // Prepare
    const raw = JSON.parse(readFileSync(EXAMPLE_CONFIG, 'utf8'));
    const path = writeTempConfig({ ...raw, monitor: { executionLogLevel: 'ALL' } });
    // Act
    const { template: all } = synthesize(path);
    // Assess
    all.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'EXPRESS',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
    });
  });
});

describe('Remediation', () => {
  it('is a STANDARD state machine whose top-level TimeoutSeconds is (replacement + verify + 20) minutes', () => {
    const machine = template.findResources('AWS::StepFunctions::StateMachine', {
      Properties: { StateMachineType: 'STANDARD' },
    });
    const [resource] = Object.values(machine);
    expect(resource).toBeDefined();
    expect(JSON.parse(resource?.Properties.DefinitionString).TimeoutSeconds).toBe((10 + 5 + 20) * 60);
    expect(resource?.Properties).toMatchObject({
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: true },
      TracingConfiguration: { Enabled: false },
      DefinitionSubstitutions: {
        RemediationGuardFunctionArn: arnOf(stack.remediation.remediationGuard.function),
        GatewayFunctionArn: arnOf(stack.remediation.gateway.function),
        CheckTunnelFunctionArn: arnOf(stack.checkTunnel.function),
        PublishMetricFunctionArn: arnOf(stack.publishMetric.function),
        NotifyFunctionArn: arnOf(stack.remediation.notify.function),
      },
    });
  });

  it('locks in an on-demand, encrypted DynamoDB table with PITR and TTL on expiresAt', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      Properties: {
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        BillingMode: 'PAY_PER_REQUEST',
        SSESpecification: { SSEEnabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
      DeletionPolicy: 'Delete',
    });
  });

  it("starts on EventBridge's alarm state change of every Outage alarm into ALARM, with retries and a DLQ", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: ['VpnGuard-home-to-west-Outage'], state: { value: ['ALARM'] } },
      },
      Targets: [
        {
          Arn: arnOf(stack.remediation.startRemediation.function),
          Id: Match.anyValue(),
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 900 },
          DeadLetterConfig: { Arn: arnOf(stack.remediation.deadLetterQueue) },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(stack.remediation.startRemediation.function),
      Principal: 'events.amazonaws.com',
      SourceArn: arnOf(stack.remediation.alarmRule),
    });
  });

  it('the DLQ is encrypted and refuses requests without TLS', () => {
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('dashboard and outputs', () => {
  it('draws one dashboard with the latency threshold, collection success, alarm states and a remediation row', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const [dashboard] = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(stack.resolve(dashboard?.Properties.DashboardBody));
    for (const expected of [
      'TunnelsUp',
      'CanaryLatency',
      'CanaryLoss',
      'TunnelCheckSuccess',
      // The tunnel collection's success on the link's row (its VPN Region's); the canary
      // collection's from its VPC's function's own AWS/Lambda metrics.
      `\\"VpnRegion\\",\\"${link.vpn.region}\\"`,
      'Canary collection success rate',
      '1 - errors0 / runs0',
      '\\"AWS/Lambda\\",\\"Invocations\\",\\"FunctionName\\"',
      '\\"AWS/Lambda\\",\\"Errors\\",\\"FunctionName\\"',
      '\\"AWS/Lambda\\",\\"Duration\\",\\"FunctionName\\"',
      `canary ${link.canary.vpcId}`,
      '\\"value\\":200',
      'latencyThresholdMs',
      '\\"type\\":\\"alarm\\"',
      'RemediationStarted',
      'RemediationSucceeded',
      'RemediationFailed',
      'TimeToRecover',
    ]) {
      expect(body).toContain(expected);
    }
    expect(body).not.toContain('CanaryCheck');
    expect(body).not.toContain('\\"CanaryVpc\\"');
  });

  it('exports exactly the outputs the drill CLI reads', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(Object.keys(outputs).sort()).toEqual(
      [
        'AlarmTopicArn',
        'DashboardUrl',
        'LinkNames',
        'LockTableName',
        'MonitorStateMachineArn',
        'Namespace',
        'RemediationStateMachineArn',
      ].sort(),
    );
    expect(outputs.LinkNames?.Value).toBe('home-to-west');
    expect(outputs.Namespace?.Value).toBe('VpnGuard');
    expect(outputs.RemediationStateMachineArn?.Value).toEqual({
      Ref: logicalId(stack.remediation.stateMachine),
    });
    expect(outputs.MonitorStateMachineArn?.Value).toEqual({ Ref: logicalId(stack.monitor.stateMachine) });
    expect(outputs.AlarmTopicArn?.Value).toEqual(topicRef());
    expect(outputs.LockTableName?.Value).toEqual({ Ref: logicalId(stack.remediation.lockTable) });
    const url = JSON.stringify(outputs.DashboardUrl?.Value);
    expect(url).toContain('/cloudwatch/home?region=');
    expect(url).toContain('#dashboards:name=VpnGuard');
  });

  it('uses the stack name from context, VpnGuard by default', () => {
    expect(stack.stackName).toBe('VpnGuard');
  });
});
