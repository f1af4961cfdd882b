/**
 * The remediation watch: the execution-status rule on the Remediation machine's own FAILED,
 * TIMED_OUT and ABORTED, targeting notify; its timed-out and aborted alarms; SMS subscriptions that
 * receive only pager messages.
 */

import { readFileSync } from 'node:fs';
import type { Template } from 'aws-cdk-lib/assertions';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { PAGER_FILTER_POLICY } from '#shared/audience.ts';
import { arnOf, logicalId, MULTI_LINK_CONFIG, synthesize, writeTempConfig } from './support.ts';

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

describe('the Remediation execution alarms', () => {
  it.each([
    ['ExecutionsTimedOut', 'AcmeVpn-RemediationExecutionsTimedOut'],
    ['ExecutionsAborted', 'AcmeVpn-RemediationExecutionsAborted'],
  ])('%s alarms on the first one in 5 minutes and notifies the topic', (metricName, alarmName) => {
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: alarmName,
      Namespace: 'AWS/States',
      MetricName: metricName,
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.remediation.stateMachine) } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalId(stack.alarmTopic.topic) }],
    });
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
