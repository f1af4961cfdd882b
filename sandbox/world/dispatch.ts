/**
 * The world's side of the SDK seam (mocks.ts): every AWS call is recorded, authorized against the
 * deployed IAM policies of its caller (sandbox/iam), checked against the command faults, and served by the service model of its command. A command the world does not
 * model fails with UnmodelledCommandError and is recorded as a world error: it never pretends to
 * succeed. A mutating call that succeeded makes the world re-derive its links.
 */
import { awsError, type Service, UnmodelledCommandError, WorldError } from './aws-errors.ts';
import { callerContext, MUTATING_COMMANDS } from './calls.ts';
import type { WorldContext } from './context.ts';
import { dryRunOperation } from './ec2.ts';
import type { FaultInjector } from './fault-injection.ts';
import { HOME_REGION } from './settings.ts';

export class AwsDispatcher {
  constructor(
    private readonly world: WorldContext,
    private readonly faults: FaultInjector,
    private readonly disposed: () => boolean,
  ) {}

  /** Records the call, applies the command faults, serves it; what the SDK client's `send` returns. */
  async dispatch(service: Service, command: string, region: string, input: unknown): Promise<unknown> {
    if (this.disposed()) throw new WorldError(`${service} ${command} called after the world was disposed`);
    const dryRun = service === 'ec2' && (input as { DryRun?: unknown } | undefined)?.DryRun === true;
    const record = this.world.calls.record({
      at: this.world.clock.now(),
      service,
      region,
      command,
      input: structuredClone(input),
      // A dry run changes nothing, whatever the command.
      mutating: MUTATING_COMMANDS.has(command) && !dryRun,
      ...(dryRun ? { dryRun } : {}),
    });
    try {
      // IAM first (docs/notes/iam.md): a denied call changes nothing and meets no fault; an allowed
      // EC2 DryRun then reaches the model, which answers DryRunOperation.
      this.world.iam.authorizeCall(service, command, region, input, record.caller);
      this.faults.check(service, command, region, input);
      const output = this.serve(service, command, region, input);
      // The EC2 writes answer a dry run themselves after validating their input; a read validated
      // its input by being served, and answers the same.
      if (dryRun) throw dryRunOperation();
      if (record.mutating) this.world.changed();
      // "Applied, response lost": it took effect, and the caller sees an error anyway.
      this.faults.checkResponse(service, command, region, input, record.mutating);
      return output;
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
      record.error = { name, message };
      if (error instanceof UnmodelledCommandError) this.world.fail(error);
      throw error;
    }
  }

  private serve(service: Service, command: string, region: string, input: unknown): unknown {
    const { asg, cloudwatch, dynamodb, ec2, sfn, sns, ssm } = this.world;
    // biome-ignore lint/suspicious/noExplicitAny: each command's input is typed by its model method
    const i = input as any;
    // CloudWatch, DynamoDB, SNS and Step Functions hold VPN Guard's resources in the home Region only.
    const home = () => {
      if (region !== HOME_REGION) {
        throw awsError(
          service,
          service === 'dynamodb' ? 'ResourceNotFoundException' : 'NotFound',
          `no VPN Guard resources in ${region}`,
        );
      }
    };
    switch (`${service}:${command}`) {
      case 'ec2:DescribeVpnConnections':
        return ec2.describeVpnConnections(region, i);
      case 'ec2:GetVpnTunnelReplacementStatus':
        return ec2.getVpnTunnelReplacementStatus(region, i);
      case 'ec2:DescribeInstances':
        return ec2.describeInstances(region, i);
      case 'ec2:DescribeNetworkInterfaces':
        return ec2.describeNetworkInterfaces(region, i);
      case 'ec2:ModifyNetworkInterfaceAttribute':
        ec2.modifyNetworkInterfaceAttribute(region, i);
        return {};
      case 'ec2:DisassociateAddress':
        ec2.disassociateAddress(region, i);
        return {};
      case 'ec2:DescribeAddresses':
        return ec2.describeAddresses(region, i);
      case 'ec2:DescribeRouteTables':
        return ec2.describeRouteTables(region, i);
      case 'ec2:ModifyInstanceAttribute':
        ec2.modifyInstanceAttribute(region, i);
        return {};
      case 'ec2:AssociateAddress':
        return ec2.associateAddress(region, i);
      case 'ec2:ReplaceRoute':
        ec2.replaceRoute(region, i);
        return {};
      case 'ec2:CreateRoute':
        ec2.createRoute(region, i);
        return { Return: true };
      case 'autoscaling:DescribeAutoScalingGroups':
        return asg.describeAutoScalingGroups(region, i);
      case 'autoscaling:TerminateInstanceInAutoScalingGroup':
        return asg.terminateInstanceInAutoScalingGroup(region, i);
      case 'autoscaling:DescribeLifecycleHooks':
        return asg.describeLifecycleHooks(region, i);
      case 'autoscaling:DescribeInstanceRefreshes':
        return asg.describeInstanceRefreshes(region, i);
      case 'autoscaling:DescribeScalingActivities':
        return asg.describeScalingActivities(region, i);
      case 'autoscaling:CompleteLifecycleAction':
        return asg.completeLifecycleAction(region, i);
      case 'autoscaling:RecordLifecycleActionHeartbeat':
        return asg.recordLifecycleActionHeartbeat(region, i);
      case 'ssm:DescribeInstanceInformation':
        return ssm.describeInstanceInformation(region, i);
      case 'ssm:SendCommand':
        return ssm.sendCommand(region, i);
      case 'ssm:GetCommandInvocation':
        return ssm.getCommandInvocation(region, i);
      case 'cloudwatch:PutMetricData':
        home();
        cloudwatch.putMetricData(i);
        return {};
      case 'cloudwatch:DescribeAlarms':
        home();
        return cloudwatch.describeAlarms(i);
      case 'dynamodb:GetItem':
        home();
        return dynamodb.getItem(i);
      case 'dynamodb:BatchGetItem':
        home();
        return dynamodb.batchGetItem(i);
      case 'dynamodb:PutItem':
        home();
        return dynamodb.putItem(i);
      case 'dynamodb:UpdateItem':
        home();
        return dynamodb.updateItem(i);
      case 'dynamodb:DeleteItem':
        home();
        return dynamodb.deleteItem(i);
      case 'sns:Publish': {
        home();
        const caller = callerContext.getStore();
        const { output, message } = sns.publish(i, caller?.functionId ?? 'unknown');
        if (caller) {
          message.invocationId = caller.invocationId;
          if (caller.executionName) message.executionName = caller.executionName;
        }
        return output;
      }
      case 'sfn:StartExecution': {
        home();
        const caller = callerContext.getStore();
        return sfn.startExecution(i, caller?.functionId ?? 'unknown');
      }
      case 'sfn:StopExecution':
        home();
        return sfn.stopExecution(i, this.world.clock.now());
      case 'sfn:GetExecutionHistory':
        home();
        return sfn.getExecutionHistory(i);
      default:
        throw new UnmodelledCommandError(`the sandbox world does not model ${service} ${command}`);
    }
  }
}
