/**
 * Every role may make exactly the AWS calls docs/contracts.md lists for it, on the named resources,
 * and no mutating action is allowed on "*".
 */
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '#infra/load-config.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import {
  actionsOf,
  arnOf,
  defined,
  logicalId,
  MULTI_LINK_CONFIG,
  resourcesOf,
  type Statement,
  stackArn,
  statementsOfRole,
  synthesize,
} from './support.ts';

let stack: VpnGuardStack;
let template: Template;
const config = loadConfig(MULTI_LINK_CONFIG);

beforeAll(() => {
  ({ stack, template } = synthesize(MULTI_LINK_CONFIG));
});

/** Baseline every function role has: its own log group, and X-Ray for active tracing. */
const LAMBDA_BASELINE = [
  'logs:CreateLogStream',
  'logs:PutLogEvents',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
];

function statementsOf(role: IConstruct): Statement[] {
  return statementsOfRole(template, logicalId(role));
}

/** The statements of a role beyond the Lambda baseline (logs to its own group, X-Ray). */
function ownStatements(role: IConstruct): Statement[] {
  return statementsOf(role).filter(
    (statement) => !actionsOf(statement).every((action) => LAMBDA_BASELINE.includes(action)),
  );
}

function actionSet(role: IConstruct): string[] {
  return [...new Set(ownStatements(role).flatMap(actionsOf))].sort();
}

function statementFor(role: IConstruct, action: string): Statement {
  const found = ownStatements(role).filter((statement) => actionsOf(statement).includes(action));
  expect(found, `${action} in exactly one statement`).toHaveLength(1);
  return defined(found[0], `a statement with ${action}`);
}

/** Actions that may be granted on Resource "*": read-only calls without resource-level permissions. */
const ALLOWED_ON_ANY_RESOURCE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DescribeInstances',
  'ec2:DescribeAddresses',
  'ec2:DescribeRouteTables',
  'autoscaling:DescribeAutoScalingGroups',
  // Composite alarms are returned only to a DescribeAlarms permission scoped to "*" (API_DescribeAlarms).
  'cloudwatch:DescribeAlarms',
  'autoscaling:DescribeLifecycleHooks',
  'autoscaling:DescribeInstanceRefreshes',
  'autoscaling:DescribeScalingActivities',
  'ssm:DescribeInstanceInformation',
  // Only with a condition (checked below).
  'ec2:DescribeVpnConnections',
]);

describe('no role', () => {
  it('allows any action but reads (and a conditioned DescribeVpnConnections) on Resource "*"', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const onAnyResource = policies
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
      .filter((statement) => resourcesOf(statement).includes('*'));
    expect(onAnyResource.length).toBeGreaterThan(0);
    for (const statement of onAnyResource) {
      for (const action of actionsOf(statement)) {
        expect(ALLOWED_ON_ANY_RESOURCE.has(action), `${action} on "*"`).toBe(true);
      }
    }
  });

  it('uses a wildcard action', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const actions = policies.flatMap((policy) =>
      (policy.Properties.PolicyDocument.Statement as Statement[]).flatMap(actionsOf),
    );
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
  });
});

describe('check-tunnel', () => {
  it('may only DescribeVpnConnections, and only in the VPN Regions of the links', () => {
    const role = stack.checkTunnel.role;
    expect(actionSet(role)).toEqual(['ec2:DescribeVpnConnections']);
    expect(statementFor(role, 'ec2:DescribeVpnConnections').Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': ['us-west-2', 'eu-west-1'] },
    });
  });

  it('writes logs only to its own log group', () => {
    const logs = statementsOf(stack.checkTunnel.role).find((statement) =>
      actionsOf(statement).includes('logs:PutLogEvents'),
    );
    expect(logs?.Resource).toEqual(arnOf(stack.checkTunnel.logGroup));
  });
});

describe('publish-metric', () => {
  it('calls no CloudWatch API: its metrics are embedded metric format in its own log group', () => {
    const role = stack.publishMetric.role;
    expect(actionSet(role).filter((action) => action.startsWith('cloudwatch:'))).toEqual([]);
    const logs = statementsOf(role).find((statement) => actionsOf(statement).includes('logs:PutLogEvents'));
    expect(logs?.Resource).toEqual(arnOf(stack.publishMetric.logGroup));
  });
});

describe('ping-canary', () => {
  it('has only the Lambda VPC networking permissions, creating ENIs only in its subnets and security group', () => {
    const canary = defined(
      stack.canaries.find((c) => c.vpcId === 'vpc-0aaaaaaaaaaaaaaaa'),
      'the canary of vpc-0aaaaaaaaaaaaaaaa',
    );
    const role = canary.fn.role;
    expect(actionSet(role)).toEqual(
      [
        'ec2:AssignPrivateIpAddresses',
        'ec2:CreateNetworkInterface',
        'ec2:DeleteNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:UnassignPrivateIpAddresses',
      ].sort(),
    );
    expect(resourcesOf(statementFor(role, 'ec2:CreateNetworkInterface'))).toEqual([
      stackArn('ec2', 'network-interface/*'),
      stackArn('ec2', 'subnet/subnet-0aaaaaaaaaaaaaaaa'),
      stackArn('ec2', 'subnet/subnet-0bbbbbbbbbbbbbbbb'),
      {
        'Fn::Join': [
          '',
          [
            'arn:',
            { Ref: 'AWS::Partition' },
            ':ec2:',
            { Ref: 'AWS::Region' },
            ':',
            { Ref: 'AWS::AccountId' },
            ':security-group/',
            { 'Fn::GetAtt': [logicalId(canary.securityGroup), 'GroupId'] },
          ],
        ],
      },
    ]);
    for (const action of [
      'ec2:DeleteNetworkInterface',
      'ec2:AssignPrivateIpAddresses',
      'ec2:UnassignPrivateIpAddresses',
    ]) {
      expect(statementFor(role, action).Resource).toEqual(stackArn('ec2', 'network-interface/*'));
    }
  });
});

describe('start-remediation', () => {
  it('may only read alarms, keep the incident items of the lock table and start the Remediation machine', () => {
    const role = stack.remediation.startRemediation.role;
    expect(actionSet(role)).toEqual([
      'cloudwatch:DescribeAlarms',
      'dynamodb:BatchGetItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'states:StartExecution',
    ]);
    expect(statementFor(role, 'dynamodb:PutItem').Resource).toEqual(arnOf(stack.remediation.lockTable));
    // The Outage alarms are metric(-math) alarms, so DescribeAlarms is scoped to them (only a
    // composite alarm needs a grant on "*").
    expect(statementFor(role, 'cloudwatch:DescribeAlarms').Resource).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':cloudwatch:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:alarm:${config.namespace}-*-Outage`,
        ],
      ],
    });
    for (const link of config.links) {
      expect(
        template.toJSON().Resources[logicalId(defined(stack.linkAlarms.get(link.name), link.name).outage)]
          .Type,
      ).toBe('AWS::CloudWatch::Alarm');
    }
    expect(statementFor(role, 'states:StartExecution').Resource).toEqual({
      Ref: logicalId(stack.remediation.stateMachine),
    });
  });
});

describe('remediation-guard', () => {
  it('may only get, put, update and delete items of the lock table', () => {
    const role = stack.remediation.remediationGuard.role;
    expect(actionSet(role)).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);
    expect(statementFor(role, 'dynamodb:GetItem').Resource).toEqual(arnOf(stack.remediation.lockTable));
  });
});

describe('notify', () => {
  it("may only publish to the alarm topic (using its key), keep the lock table's incident items, read the Remediation machine's execution histories and record an undelivered end in the watch's queue", () => {
    const role = stack.remediation.notify.role;
    expect(actionSet(role)).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:GenerateDataKey',
      'sns:Publish',
      'sqs:SendMessage',
      'states:GetExecutionHistory',
    ]);
    expect(statementFor(role, 'sqs:SendMessage').Resource).toEqual(
      arnOf(stack.remediationWatch.undeliveredQueue),
    );
    expect(statementFor(role, 'dynamodb:DeleteItem').Resource).toEqual(arnOf(stack.remediation.lockTable));
    expect(JSON.stringify(statementFor(role, 'states:GetExecutionHistory').Resource)).toContain(
      ':execution:',
    );
    expect(statementFor(role, 'sns:Publish').Resource).toEqual({ Ref: logicalId(stack.alarmTopic.topic) });
    expect(statementFor(role, 'kms:Decrypt').Resource).toEqual(
      arnOf(defined(stack.alarmTopic.key, 'the topic key')),
    );
  });
});

describe('gateway', () => {
  const role = () => stack.remediation.gateway.role;

  it('may make exactly the calls of the remediation loop (ModifyInstanceAttribute no longer)', () => {
    expect(actionSet(role())).toEqual(
      [
        'autoscaling:DescribeAutoScalingGroups',
        'autoscaling:DescribeInstanceRefreshes',
        'autoscaling:DescribeLifecycleHooks',
        'autoscaling:DescribeScalingActivities',
        'autoscaling:TerminateInstanceInAutoScalingGroup',
        'ec2:AssociateAddress',
        'ec2:CreateRoute',
        'ec2:DescribeAddresses',
        'ec2:DescribeInstances',
        'ec2:DescribeRouteTables',
        'ec2:DescribeVpnConnections',
        'ec2:GetVpnTunnelReplacementStatus',
        'ec2:ModifyNetworkInterfaceAttribute',
        'ec2:ReplaceRoute',
        // The first link configures gateway.restartCommand.
        'ssm:DescribeInstanceInformation',
        'ssm:SendCommand',
      ].sort(),
    );
  });

  it("reads AWS's tunnel maintenance only on the links' own VPN connections, in their Regions", () => {
    const arns = resourcesOf(statementFor(role(), 'ec2:GetVpnTunnelReplacementStatus')).map((arn) =>
      JSON.stringify(arn),
    );
    expect(arns).toHaveLength(4);
    for (const [region, id] of [
      ['us-west-2', 'vpn-0aaaaaaaaaaaaaaaa'],
      ['eu-west-1', 'vpn-0cccccccccccccccc'],
      ['us-west-2', 'vpn-0dddddddddddddddd'],
      ['us-west-2', 'vpn-0eeeeeeeeeeeeeeee'],
    ]) {
      expect(
        arns.some((arn) => arn.includes(`:ec2:${region}:`) && arn.includes(`:vpn-connection/${id}`)),
        id,
      ).toBe(true);
    }
    expect(statementFor(role(), 'ec2:DescribeVpnConnections').Condition).toEqual({
      StringEquals: { 'aws:RequestedRegion': ['us-west-2', 'eu-west-1'] },
    });
  });

  it('runs the restart command only through AWS-RunShellScript on instances tagged with a group that configures it', () => {
    const statements = statementsOf(role()).filter((s) => actionsOf(s).includes('ssm:SendCommand'));
    expect(statements).toHaveLength(2);
    expect(JSON.stringify(statements[0]?.Resource)).toContain('document/AWS-RunShellScript');
    expect(statements[0]?.Condition).toBeUndefined();
    expect(statements[1]?.Resource).toEqual(stackArn('ec2', 'instance/*'));
    expect(statements[1]?.Condition).toEqual({
      StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': ['vpn-gateway-west'] },
    });
  });

  it('terminates instances only in the configured Auto Scaling groups, by group name', () => {
    expect(resourcesOf(statementFor(role(), 'autoscaling:TerminateInstanceInAutoScalingGroup'))).toEqual(
      ['vpn-gateway-west', 'vpn-gateway-eu', 'vpn-gateway-dr'].map((name) =>
        stackArn('autoscaling', `autoScalingGroup:*:autoScalingGroupName/${name}`),
      ),
    );
  });

  it('turns the source/dest check off per network interface (ModifyInstanceAttribute refuses multi-ENI instances)', () => {
    const statement = statementFor(role(), 'ec2:ModifyNetworkInterfaceAttribute');
    expect(actionsOf(statement)).toEqual(['ec2:ModifyNetworkInterfaceAttribute']);
    expect(statement.Resource).toEqual(stackArn('ec2', 'network-interface/*'));
  });

  it("associates only the links' own Elastic IPs (with network interfaces of this account and Region)", () => {
    expect(resourcesOf(statementFor(role(), 'ec2:AssociateAddress'))).toEqual([
      stackArn('ec2', 'elastic-ip/eipalloc-0aaaaaaaaaaaaaaaa'),
      stackArn('ec2', 'elastic-ip/eipalloc-0cccccccccccccccc'),
      stackArn('ec2', 'elastic-ip/eipalloc-0dddddddddddddddd'),
      stackArn('ec2', 'network-interface/*'),
    ]);
  });

  it('replaces and creates routes only in the configured route tables', () => {
    const statement = statementFor(role(), 'ec2:ReplaceRoute');
    expect(actionsOf(statement).sort()).toEqual(['ec2:CreateRoute', 'ec2:ReplaceRoute']);
    expect(resourcesOf(statement)).toEqual(
      ['rtb-0aaaaaaaaaaaaaaaa', 'rtb-0bbbbbbbbbbbbbbbb', 'rtb-0dddddddddddddddd'].map((id) =>
        stackArn('ec2', `route-table/${id}`),
      ),
    );
  });
});

describe('state machines', () => {
  it('the Monitor may invoke check-tunnel, every canary, publish-metric and start-remediation, and nothing else', () => {
    const invoke = statementsOf(stack.monitor.stateMachine.role).filter((statement) =>
      actionsOf(statement).includes('lambda:InvokeFunction'),
    );
    expect(invoke).toHaveLength(1);
    expect(resourcesOf(defined(invoke[0], 'the invoke statement'))).toEqual([
      arnOf(stack.checkTunnel.function),
      arnOf(stack.publishMetric.function),
      arnOf(stack.remediation.startRemediation.function),
      ...stack.canaries.map((canary) => arnOf(canary.fn.function)),
    ]);
    expect(stack.canaries).toHaveLength(2);
  });

  it('the Remediation machine may invoke its task functions and the canaries (re-probes), and nothing else', () => {
    const invoke = statementsOf(stack.remediation.stateMachine.role).filter((statement) =>
      actionsOf(statement).includes('lambda:InvokeFunction'),
    );
    expect(invoke).toHaveLength(1);
    expect(resourcesOf(defined(invoke[0], 'the invoke statement'))).toEqual([
      arnOf(stack.remediation.remediationGuard.function),
      arnOf(stack.remediation.gateway.function),
      arnOf(stack.checkTunnel.function),
      arnOf(stack.publishMetric.function),
      arnOf(stack.remediation.notify.function),
      ...stack.canaries.map((canary) => arnOf(canary.fn.function)),
    ]);
  });

  it('neither machine role has any other non-logging, non-tracing permission', () => {
    for (const machine of [stack.monitor.stateMachine, stack.remediation.stateMachine]) {
      const actions = statementsOf(machine.role).flatMap(actionsOf);
      expect(actions.filter((action) => !/^(logs|xray):/.test(action))).toEqual(['lambda:InvokeFunction']);
    }
  });
});
