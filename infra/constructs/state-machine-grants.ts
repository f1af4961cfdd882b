/** What the state machines' roles may do beyond what CDK adds for logging and tracing. */
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { GuardFunction } from './guard-function.ts';

/**
 * lambda:InvokeFunction on exactly these functions (unqualified ARNs: the ASL invokes no alias or
 * version, so no `:*` grant is needed).
 */
export function invokeStatement(functions: Iterable<GuardFunction>): PolicyStatement {
  return new PolicyStatement({
    sid: 'InvokeTaskFunctions',
    actions: ['lambda:InvokeFunction'],
    resources: [...new Set([...functions].map((fn) => fn.functionArn))],
  });
}

/** Why a state machine role's `Resource: *` statements (added by CDK) cannot be scoped. */
export const stateMachineWildcardReasons = [
  'logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, ' +
    'PutResourcePolicy, DescribeResourcePolicies and DescribeLogGroups (added by CDK for Step Functions logging) ' +
    'support no resource-level permissions.',
  'xray:PutTraceSegments, PutTelemetryRecords, GetSamplingRules and GetSamplingTargets (added by CDK for tracing) ' +
    'support no resource-level permissions.',
] as const;
