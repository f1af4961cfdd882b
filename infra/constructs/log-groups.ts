/**
 * Log group properties that keep the stack redeployable.
 *
 * A log group with a fixed name and the default `Retain` policy outlives a failed first create
 * (CloudFormation rolls the stack back but keeps the group) and a `cdk destroy`; the next deploy
 * then fails with "already exists" (../shared/aws-facts.md section 10). So:
 *
 * - every group is `RETAIN_ON_UPDATE_OR_DELETE` (CloudFormation `RetainExceptOnCreate`, AWS What's
 *   New, 31 Jul 2023: https://aws.amazon.com/about-aws/whats-new/2023/07/aws-cloudformation-deletion-policies-dev-test-cycle/):
 *   a group created by a create that failed is deleted with the rollback, and on a real delete or
 *   replacement the logs are kept for whoever investigates;
 * - a state machine's group keeps the `/aws/vendedlogs/states/` prefix (Step Functions' advice, so
 *   the CloudWatch Logs resource policy does not outgrow its size limit:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/cw-logs.html) and ends with the stack's
 *   own id (the UUID in the `AWS::StackId` ARN). That UUID is new for every stack CloudFormation
 *   creates and constant across its updates, so a group kept after a `cdk destroy` never blocks
 *   the next deploy and an update never renames the group.
 */
import { Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Every VPN Guard log group: created by a failed create → deleted; otherwise kept. */
export const LOG_GROUP_REMOVAL_POLICY = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/**
 * Name and removal policy of a state machine's log group:
 * `/aws/vendedlogs/states/<stack name>-<machine>-<stack UUID>`.
 */
export function stateMachineLogGroupProps(
  scope: IConstruct,
  machine: 'Monitor' | 'Remediation',
): { readonly logGroupName: string; readonly removalPolicy: RemovalPolicy } {
  const stack = Stack.of(scope);
  // arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>: the third '/'-field is the UUID.
  const stackUuid = Fn.select(2, Fn.split('/', stack.stackId));
  return {
    logGroupName: `/aws/vendedlogs/states/${stack.stackName}-${machine}-${stackUuid}`,
    removalPolicy: LOG_GROUP_REMOVAL_POLICY,
  };
}
