/**
 * The sandbox evaluates the Monitor's execution alarms from infra/alarm-specs.ts; the stack builds
 * them in infra/constructs/monitor.ts. This keeps the two the same alarm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { monitorExecutionAlarmSpecs } from '#infra/alarm-specs.ts';
import { loadConfig } from '#infra/load-config.ts';
import type { VpnGuardStack } from '#infra/vpn-guard-stack.ts';
import { EXAMPLE_CONFIG, logicalId, synthesize } from './support.ts';

let stack: VpnGuardStack;
let alarms: Record<string, { Properties: Record<string, unknown> }>;
const config = loadConfig(EXAMPLE_CONFIG);

beforeAll(() => {
  const synthesized = synthesize(EXAMPLE_CONFIG);
  stack = synthesized.stack;
  alarms = synthesized.template.findResources('AWS::CloudWatch::Alarm');
});

describe('Monitor execution alarm specs', () => {
  it('match the alarms the stack deploys on the Monitor machine', () => {
    const machine = { Ref: logicalId(stack.monitor.stateMachine) };
    for (const spec of monitorExecutionAlarmSpecs(config, 'arn')) {
      const deployed = Object.values(alarms).find((a) => a.Properties.AlarmName === spec.alarmName);
      expect(deployed, spec.alarmName).toBeDefined();
      expect(deployed?.Properties).toMatchObject({
        AlarmDescription: spec.description,
        Namespace: spec.namespace,
        MetricName: spec.metricName,
        Dimensions: [{ Name: 'StateMachineArn', Value: machine }],
        Statistic: spec.statistic,
        Period: spec.periodSeconds,
        EvaluationPeriods: spec.evaluationPeriods,
        DatapointsToAlarm: spec.datapointsToAlarm,
        ComparisonOperator: spec.comparison,
        Threshold: spec.threshold,
        TreatMissingData: spec.treatMissingData,
      });
    }
  });
});
