/**
 * A deployment of three links in two canary VPCs and two VPN Regions, with per-link alarm tuning,
 * a link with remediation off and the dashboard off (test/infra/fixtures/multi-link.json).
 */
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { linkAlarmName } from '#shared/alarm-names.ts';
import { logicalId, MULTI_LINK_CONFIG, synthesize } from './support.ts';

let stack: VpnGuardStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize(MULTI_LINK_CONFIG, { context: { stackName: 'AcmeVpnGuard' } }));
});

describe('canaries', () => {
  it('deploys one ping-canary per distinct canary VPC, each in its VPC with CANARY_VPC_ID', () => {
    const inVpc = Object.values(template.findResources('AWS::Lambda::Function')).filter(
      (fn) => fn.Properties.VpcConfig !== undefined,
    );
    expect(inVpc.map((fn) => fn.Properties.Environment.Variables.CANARY_VPC_ID).sort()).toEqual([
      'vpc-0aaaaaaaaaaaaaaaa',
      'vpc-0dddddddddddddddd',
    ]);
    const shared = inVpc.find(
      (fn) => fn.Properties.Environment.Variables.CANARY_VPC_ID === 'vpc-0aaaaaaaaaaaaaaaa',
    );
    expect(shared?.Properties.VpcConfig.SubnetIds).toEqual([
      'subnet-0aaaaaaaaaaaaaaaa',
      'subnet-0bbbbbbbbbbbbbbbb',
    ]);
  });

  it("opens egress only to each VPC's links' remote CIDRs on their target ports, TCP, no ingress", () => {
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup'));
    expect(groups).toHaveLength(2);
    const egressOf = (vpcId: string) =>
      groups
        .find((group) => group.Properties.VpcId === vpcId)
        ?.Properties.SecurityGroupEgress.map(
          (rule: { IpProtocol: string; CidrIp: string; FromPort: number; ToPort: number }) =>
            `${rule.IpProtocol} ${rule.CidrIp} ${rule.FromPort}-${rule.ToPort}`,
        )
        .sort();
    expect(egressOf('vpc-0aaaaaaaaaaaaaaaa')).toEqual(
      [
        'tcp 10.20.0.0/16 22-22',
        'tcp 10.20.0.0/16 443-443',
        'tcp 10.21.0.0/16 22-22',
        'tcp 10.21.0.0/16 443-443',
        'tcp 10.30.0.0/16 22-22',
      ].sort(),
    );
    expect(egressOf('vpc-0dddddddddddddddd')).toEqual(['tcp 172.16.0.0/12 5432-5432']);
    for (const group of groups) expect(group.Properties.SecurityGroupIngress).toBeUndefined();
  });

  it('passes each canary group, with its links, to the Monitor on every tick', () => {
    expect(stack.monitor.input.canaryGroups.map(({ vpcId, links }) => ({ vpcId, links }))).toEqual([
      { vpcId: 'vpc-0aaaaaaaaaaaaaaaa', links: ['home-to-west', 'home-to-eu'] },
      { vpcId: 'vpc-0dddddddddddddddd', links: ['dr-1'] },
    ]);
    template.hasResourceProperties('AWS::Scheduler::Schedule', { ScheduleExpression: 'rate(2 minutes)' });
  });
});

describe('alarms', () => {
  it("use the link's own tuning when it has one, the deployment's otherwise", () => {
    // The Outage alarm: the link's tuning, its own minTunnelsUp in the expression.
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: linkAlarmName('AcmeVpn', 'home-to-west', 'Outage'),
      EvaluationPeriods: 5,
      DatapointsToAlarm: 4,
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'outage',
          Expression: Match.stringLikeRegexp('^IF\\(FILL\\(tunnels, 2\\) < 2, 1, 0\\)'),
        }),
        Match.objectLike({ Id: 'tunnels', MetricStat: Match.objectLike({ Period: 300 }) }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: linkAlarmName('AcmeVpn', 'dr-1', 'Outage'),
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      Metrics: Match.arrayWith([
        Match.objectLike({
          Id: 'outage',
          Expression: Match.stringLikeRegexp('^IF\\(FILL\\(tunnels, 3\\) < 3, 1, 0\\)'),
        }),
        Match.objectLike({ Id: 'canary', MetricStat: Match.objectLike({ Period: 120 }) }),
      ]),
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: linkAlarmName('AcmeVpn', 'home-to-west', 'LatencyHigh'),
      Threshold: 150,
    });
  });

  it('give every link Outage and LatencyHigh, and the deployment one MonitorSilent', () => {
    template.resourceCountIs('AWS::CloudWatch::CompositeAlarm', 0);
    // 3 links × 2 alarms + MonitorSilent + 2 Monitor execution alarms + RemediationEndUndelivered.
    template.resourceCountIs('AWS::CloudWatch::Alarm', 3 * 2 + 1 + 2 + 1);
  });

  it("the alarm rule listens to every link's Outage alarm", () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        detail: {
          alarmName: ['AcmeVpn-home-to-west-Outage', 'AcmeVpn-home-to-eu-Outage', 'AcmeVpn-dr-1-Outage'],
          state: { value: ['ALARM'] },
        },
      },
    });
  });
});

describe('remediation', () => {
  it('times out after (12 + 8 + 20) minutes and the lock lives 300 s longer', () => {
    const [machine] = Object.values(
      template.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineType: 'STANDARD' },
      }),
    );
    expect(JSON.parse(machine?.Properties.DefinitionString).TimeoutSeconds).toBe(2400);
    const guard =
      template.findResources('AWS::Lambda::Function')[logicalId(stack.remediation.remediationGuard.function)];
    expect(guard?.Properties.Environment.Variables.LOCK_TTL_SECONDS).toBe('2700');
  });

  it('maps every canary VPC to its function for the guard, in the Remediation definition', () => {
    const [machine] = Object.values(
      template.findResources('AWS::StepFunctions::StateMachine', {
        Properties: { StateMachineType: 'STANDARD' },
      }),
    );
    const joined = machine?.Properties.DefinitionSubstitutions.CanaryFunctions['Fn::Join'][1] as unknown[];
    const text = joined.map((part) => (typeof part === 'string' ? part : 'ARN')).join('');
    expect(text).toBe('vpc-0aaaaaaaaaaaaaaaa=ARN,vpc-0dddddddddddddddd=ARN');
  });
});

describe('observability off and naming', () => {
  it('creates no dashboard and no DashboardUrl output when the dashboard is off', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('DashboardUrl');
  });

  it('lists every link in LinkNames and takes the stack name from context', () => {
    expect(template.toJSON().Outputs.LinkNames.Value).toBe('home-to-west,home-to-eu,dr-1');
    expect(stack.stackName).toBe('AcmeVpnGuard');
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: {
        'Fn::Join': [
          '',
          [
            '/aws/vendedlogs/states/AcmeVpnGuard-Remediation-',
            { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
          ],
        ],
      },
      RetentionInDays: 90,
    });
  });

  it('subscribes every configured email and no phone', () => {
    template.resourceCountIs('AWS::SNS::Subscription', 2);
  });
});
