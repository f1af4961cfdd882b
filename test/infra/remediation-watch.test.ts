/**
 * The remediation watch: the execution-status rule on the Remediation machine's own FAILED,
 * TIMED_OUT and ABORTED, targeting notify; the one queue of the ends whose page was not delivered
 * (the rule's DLQ and notify's on-failure destination) and its alarm; SMS subscriptions that
 * receive only pager messages.
 */

import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { remediationEndUndeliveredSpec } from '#infra/alarm-specs.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { PAGER_FILTER_POLICY } from '#shared/audience.ts';
import { parseConfig } from '#shared/config.ts';
import {
  actionsOf,
  arnOf,
  logicalId,
  MULTI_LINK_CONFIG,
  resourcesOf,
  statementsOfRole,
  synthesize,
  writeTempConfig,
} from './support.ts';

let stack: VpnGuardStack;
let template: Template;

beforeAll(() => {
  ({ stack, template } = synthesize(MULTI_LINK_CONFIG));
});

describe('the execution-status rule', () => {
  it("matches only the Remediation machine's FAILED, TIMED_OUT and ABORTED status changes and targets notify", () => {
    // Assess
    const rules = template.findResources('AWS::Events::Rule', {
      Properties: { EventPattern: { source: ['aws.states'] } },
    });
    const [rule] = Object.values(rules);
    expect(Object.keys(rules)).toHaveLength(1);
    expect(rule?.Properties.EventPattern).toEqual({
      source: ['aws.states'],
      'detail-type': ['Step Functions Execution Status Change'],
      detail: {
        status: ['FAILED', 'TIMED_OUT', 'ABORTED'],
        stateMachineArn: [{ Ref: logicalId(stack.remediation.stateMachine) }],
      },
    });
    const [target] = rule?.Properties.Targets ?? [];
    expect(target.Arn).toEqual(arnOf(stack.remediation.notify.function));
    expect(target.DeadLetterConfig).toBeDefined();
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 4 });
  });

  it('lets only EventBridge rules invoke notify', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: arnOf(stack.remediation.notify.function),
      Principal: 'events.amazonaws.com',
    });
  });

  it('gives notify and start-remediation the lock table name', () => {
    for (const fn of [stack.remediation.notify.function, stack.remediation.startRemediation.function]) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: Match.absent(),
        Environment: {
          Variables: Match.objectLike({ LOCK_TABLE_NAME: { Ref: logicalId(stack.remediation.lockTable) } }),
        },
        Role: arnOf(fn.role ?? stack.remediation.notify.role),
      });
    }
  });
});

describe('the ends whose page was not delivered', () => {
  const queueArn = () => arnOf(stack.remediationWatch.undeliveredQueue);

  it("one queue is the status rule target's dead-letter queue and notify's asynchronous on-failure destination", () => {
    // Assess
    const [rule] = Object.values(
      template.findResources('AWS::Events::Rule', {
        Properties: { EventPattern: { source: ['aws.states'] } },
      }),
    );
    expect(rule?.Properties.Targets[0].DeadLetterConfig).toEqual({ Arn: queueArn() });
    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 1);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: logicalId(stack.remediation.notify.function) },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 3600,
      DestinationConfig: { OnFailure: { Destination: queueArn() } },
    });
  });

  it('notify may send to that queue (sqs:SendMessage only, on it only), and EventBridge only for the status rule', () => {
    // Assess
    const sends = statementsOfRole(template, logicalId(stack.remediation.notify.role)).filter((statement) =>
      actionsOf(statement).some((action) => action.startsWith('sqs:')),
    );
    expect(sends).toEqual([
      { Sid: 'RecordUndeliveredEnd', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: queueArn() },
    ]);
    expect(resourcesOf(defined(sends[0]))).toEqual([queueArn()]);
    template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId(stack.remediationWatch.undeliveredQueue) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'events.amazonaws.com' },
            Action: 'sqs:SendMessage',
            Condition: { ArnEquals: { 'aws:SourceArn': arnOf(stack.remediationWatch.statusRule) } },
          }),
        ]),
      },
    });
  });

  it("the status rule is notify's only asynchronous invoker, so every message in the queue is a Remediation end", () => {
    // Assess
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: arnOf(stack.remediation.notify.function) },
      }),
    );
    expect(permissions.map((p) => [p.Properties.Principal, p.Properties.SourceArn])).toEqual([
      ['events.amazonaws.com', arnOf(stack.remediationWatch.statusRule)],
    ]);
  });

  it('RemediationEndUndelivered is exactly its spec: the queue holds a message, Maximum ≥ 1 in a minute, to the topic', () => {
    // Prepare
    const spec = remediationEndUndeliveredSpec(
      parseConfig(JSON.parse(readFileSync(MULTI_LINK_CONFIG, 'utf8')), 'test'),
      'queue',
    );
    // Assess
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'AcmeVpn-RemediationEndUndelivered',
      AlarmDescription: spec.description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(stack.remediationWatch.undeliveredQueue), 'QueueName'] },
        },
      ],
      Statistic: spec.statistic,
      Period: spec.periodSeconds,
      EvaluationPeriods: spec.evaluationPeriods,
      DatapointsToAlarm: spec.datapointsToAlarm,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      TreatMissingData: spec.treatMissingData,
      AlarmActions: [{ Ref: logicalId(stack.alarmTopic.topic) }],
      OKActions: [{ Ref: logicalId(stack.alarmTopic.topic) }],
    });
  });

  it("no alarm on the Remediation machine's own AWS/States metrics: the status rule pages every such end once", () => {
    // Assess
    const onRemediation = Object.values(template.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) =>
        alarm.Properties.Namespace === 'AWS/States' &&
        JSON.stringify(alarm.Properties.Dimensions).includes(logicalId(stack.remediation.stateMachine)),
    );
    expect(onRemediation).toEqual([]);
  });
});

describe('the SMS subscriptions', () => {
  it('receive only pager messages; e-mail subscriptions everything', () => {
    // Prepare
    const raw = JSON.parse(readFileSync(MULTI_LINK_CONFIG, 'utf8'));
    raw.notifications = { emails: ['ops@example.com'], smsNumbers: ['+15555550100'] };
    const { template: withPhones } = synthesize(writeTempConfig(raw));
    // Assess
    const subscriptions = Object.values(withPhones.findResources('AWS::SNS::Subscription'));
    const sms = subscriptions.filter((s) => s.Properties.Protocol === 'sms');
    const email = subscriptions.filter((s) => s.Properties.Protocol === 'email');
    expect(sms).toHaveLength(1);
    expect(email).toHaveLength(1);
    expect(sms[0]?.Properties.FilterPolicy).toEqual(PAGER_FILTER_POLICY);
    expect(email[0]?.Properties.FilterPolicy).toBeUndefined();
  });
});

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('expected a value');
  return value;
}
