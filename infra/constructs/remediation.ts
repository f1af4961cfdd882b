/**
 * Remediation: the STANDARD state machine that replaces a link's gateway instance, its lock table,
 * the functions it calls, and the two ways it is started automatically (the Monitor's branch via
 * start-remediation, and the Outage alarm's EventBridge rule).
 */
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, BillingMode, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { type EventPattern, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { linkAlarmName } from '#shared/alarm-names.ts';
import type { Config } from '#shared/config.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { aslDefinition, remediationTimeoutSeconds, type Substitutions } from '../state-machine-definition.ts';
import { GuardFunction, stackArnParts } from './guard-function.ts';
import { stateMachineLogGroupProps } from './log-groups.ts';
import { invokeStatement, stateMachineWildcardReasons } from './state-machine-grants.ts';
import { stateMachineTracing } from './tracing.ts';

export interface RemediationProps {
  readonly config: Config;
  readonly checkTunnel: GuardFunction;
  readonly publishMetric: GuardFunction;
  /** vpcId → that VPC's ping-canary (the machine re-probes with it before and after replacing). */
  readonly canaries: ReadonlyMap<string, GuardFunction>;
  readonly topic: ITopic;
  /** The topic's key, when it has one (notify needs it to publish). */
  readonly topicKey: IKey | undefined;
}

export class Remediation extends Construct {
  readonly stateMachine: StateMachine;
  readonly lockTable: Table;
  readonly remediationGuard: GuardFunction;
  readonly gateway: GuardFunction;
  readonly notify: GuardFunction;
  readonly startRemediation: GuardFunction;
  /** The first rule of {@link alarmRules}. */
  readonly alarmRule: Rule;
  /** The Unhealthy-alarm rules: one, or as many as the event pattern size limit takes. */
  readonly alarmRules: readonly Rule[];
  readonly deadLetterQueue: Queue;
  /** The machine's top-level TimeoutSeconds. */
  readonly timeoutSeconds: number;

  constructor(scope: Construct, id: string, props: RemediationProps) {
    super(scope, id);
    const { config } = props;
    const { partition, region, account } = stackArnParts(this);
    this.timeoutSeconds = remediationTimeoutSeconds(
      config.remediation.replacementTimeoutMinutes,
      config.remediation.verifyTimeoutMinutes,
    );

    // Holds only leases (expiring via TTL) and a day's attempt budget: nothing worth keeping once
    // the stack is gone, and a retained table would keep costing (PITR) with no one to read it.
    this.lockTable = new Table(this, 'LockTable', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.remediationGuard = new GuardFunction(this, 'RemediationGuard', {
      functionId: 'remediation-guard',
      config,
      description:
        'VPN Guard remediation guard: input validation, lock, cooldown and attempt budget, health verdict',
      environment: {
        LOCK_TABLE_NAME: this.lockTable.tableName,
        // A crashed run's lock expires only after the machine has surely stopped.
        LOCK_TTL_SECONDS: String(this.timeoutSeconds + 300),
      },
    });
    this.remediationGuard.addToPolicy(
      new PolicyStatement({
        sid: 'LockTableItems',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [this.lockTable.tableArn],
      }),
    );

    this.gateway = new GuardFunction(this, 'Gateway', {
      functionId: 'gateway',
      config,
      description:
        'VPN Guard gateway: describe, replace, configure and re-point the gateway instance of a link',
      // Below the ASL's 60 s Task timeout, so the function's own timeout error is what the ASL sees.
      timeout: Duration.seconds(50),
    });
    this.grantGateway(config, { partition, region, account });

    this.notify = new GuardFunction(this, 'Notify', {
      functionId: 'notify',
      config,
      description: 'VPN Guard notify: publishes the remediation report to the alarm topic',
      environment: { TOPIC_ARN: props.topic.topicArn },
    });
    this.notify.addToPolicy(
      new PolicyStatement({
        sid: 'PublishReport',
        actions: ['sns:Publish'],
        resources: [props.topic.topicArn],
      }),
    );
    if (props.topicKey) {
      this.notify.addToPolicy(
        new PolicyStatement({
          sid: 'UseTopicKey',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
          resources: [props.topicKey.keyArn],
        }),
      );
    }

    const substitutions: Substitutions<'remediation'> = {
      RemediationGuardFunctionArn: this.remediationGuard.functionArn,
      GatewayFunctionArn: this.gateway.functionArn,
      CheckTunnelFunctionArn: props.checkTunnel.functionArn,
      PublishMetricFunctionArn: props.publishMetric.functionArn,
      NotifyFunctionArn: this.notify.functionArn,
      // One ARN per canary VPC: in the definition (1 MB), not remediation-guard's environment (4 KB,
      // which held about 22). `vpcId=arn` pairs: neither contains "=" or ",", nor a JSON quote.
      CanaryFunctions: [...props.canaries].map(([vpcId, fn]) => `${vpcId}=${fn.functionArn}`).join(','),
    };
    const definition = aslDefinition('remediation', substitutions, { TimeoutSeconds: this.timeoutSeconds });
    const logGroup = new LogGroup(this, 'LogGroup', {
      ...stateMachineLogGroupProps(this, 'Remediation'),
      retention: config.observability.logRetentionDays as RetentionDays,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      comment: 'VPN Guard remediation: replace a link gateway instance and verify the link recovered',
      definitionBody: definition.body,
      definitionSubstitutions: substitutions,
      logs: { destination: logGroup, level: LogLevel.ALL, includeExecutionData: true },
      tracingEnabled: stateMachineTracing(config, this),
    });
    this.stateMachine.addToRolePolicy(
      invokeStatement([
        this.remediationGuard,
        this.gateway,
        props.checkTunnel,
        props.publishMetric,
        this.notify,
        ...props.canaries.values(),
      ]),
    );
    for (const reason of stateMachineWildcardReasons) {
      acknowledge(this.stateMachine.role, iam5('Resource', '*'), reason);
    }

    this.startRemediation = new GuardFunction(this, 'StartRemediation', {
      functionId: 'start-remediation',
      config,
      description:
        'VPN Guard start-remediation: starts the Remediation machine for links whose Outage alarm is in ALARM',
      environment: { REMEDIATION_STATE_MACHINE_ARN: this.stateMachine.stateMachineArn },
      // Below the Monitor's 15 s Task timeout.
      timeout: Duration.seconds(12),
    });
    // The Outage alarms are metric alarms, so DescribeAlarms can be scoped to them (a composite
    // alarm is returned only to a grant scoped to "*"). One pattern, not one ARN per link: the
    // role's inline policy stays small at any link count.
    const outageAlarms = `arn:${partition}:cloudwatch:${region}:${account}:alarm:${config.namespace}-*-Outage`;
    this.startRemediation.addToPolicy(
      new PolicyStatement({
        sid: 'ReadOutageAlarms',
        actions: ['cloudwatch:DescribeAlarms'],
        resources: [outageAlarms],
      }),
    );
    this.startRemediation.acknowledgeWildcard(
      'Resource',
      `arn:<AWS::Partition>:cloudwatch:<AWS::Region>:<AWS::AccountId>:alarm:${config.namespace}-*-Outage`,
      "cloudwatch:DescribeAlarms (read-only) on this deployment's Outage alarms: the pattern names them all " +
        '(<namespace>-<link>-Outage) without one ARN per link.',
    );
    this.startRemediation.addToPolicy(
      new PolicyStatement({
        sid: 'StartRemediation',
        actions: ['states:StartExecution'],
        resources: [this.stateMachine.stateMachineArn],
      }),
    );

    this.deadLetterQueue = new Queue(this, 'AlarmRuleDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the Outage-alarm rule target; a DLQ of a DLQ adds nothing.',
    );
    // EventBridge allows an event pattern of 2,048 characters by default
    // (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-quota.html), about 60 alarm
    // names: past that, the names go into as many rules as it takes. The first keeps its id.
    const alarmNames = config.links.map((link) => linkAlarmName(config.namespace, link.name, 'Outage'));
    this.alarmRules = eventPatternChunks(alarmNames, outageAlarmPattern).map(
      (names, index) =>
        new Rule(this, index === 0 ? 'UnhealthyAlarmRule' : `UnhealthyAlarmRule${index + 1}`, {
          description: 'Starts remediation when a link Outage alarm enters ALARM',
          eventPattern: outageAlarmPattern(names),
          targets: [
            new LambdaFunction(this.startRemediation.function, {
              deadLetterQueue: this.deadLetterQueue,
              retryAttempts: 4,
              maxEventAge: Duration.minutes(15),
            }),
          ],
        }),
    );
    const [first] = this.alarmRules;
    if (!first) throw new Error('the deployment has no link, so no Outage alarm rule');
    this.alarmRule = first;
  }

  /** Exactly the gateway calls of the remediation loop, each on the link's own resources where AWS allows. */
  private grantGateway(config: Config, arn: { partition: string; region: string; account: string }): void {
    const { partition, region, account } = arn;
    const ec2 = (resource: string) => `arn:${partition}:ec2:${region}:${account}:${resource}`;
    const groups = [...new Set(config.links.map((link) => link.gateway.autoScalingGroupName))];
    const gateway = this.gateway;
    gateway.addToPolicy(
      new PolicyStatement({
        sid: 'ObserveGateway',
        actions: [
          'autoscaling:DescribeAutoScalingGroups',
          'autoscaling:DescribeLifecycleHooks',
          'autoscaling:DescribeInstanceRefreshes',
          'autoscaling:DescribeScalingActivities',
          'ec2:DescribeInstances',
          'ec2:DescribeAddresses',
          'ec2:DescribeRouteTables',
        ],
        resources: ['*'],
      }),
    );
    // The tunnels' outside IPs for the maintenance lookup: only in the links' VPN Regions.
    gateway.addToPolicy(
      new PolicyStatement({
        sid: 'DescribeLinkVpnConnections',
        actions: ['ec2:DescribeVpnConnections'],
        resources: ['*'],
        conditions: {
          StringEquals: { 'aws:RequestedRegion': [...new Set(config.links.map((link) => link.vpn.region))] },
        },
      }),
    );
    gateway.acknowledgeWildcard(
      'Resource',
      '*',
      'autoscaling:DescribeAutoScalingGroups/DescribeLifecycleHooks/DescribeInstanceRefreshes/DescribeScalingActivities and ' +
        'ec2:DescribeInstances/DescribeAddresses/DescribeRouteTables/DescribeVpnConnections and ssm:DescribeInstanceInformation ' +
        'support no resource-level permissions (read-only; every mutating action is scoped).',
    );
    // AWS's own tunnel maintenance, in each link's VPN Region, on the link's connections only.
    const connections = [
      ...new Set(
        config.links.flatMap((link) =>
          link.vpn.vpnConnectionIds.map(
            (id) => `arn:${partition}:ec2:${link.vpn.region}:${account}:vpn-connection/${id}`,
          ),
        ),
      ),
    ];
    const vpnRegions = [...new Set(config.links.map((link) => link.vpn.region))];
    // Read-only: past one statement's worth of connections, the VPN Regions' connections instead,
    // so that a large deployment's role stays within IAM's policy sizes (RESOURCES_PER_STATEMENT).
    const wideMaintenanceRead = connections.length > RESOURCES_PER_STATEMENT;
    addInChunks(
      gateway,
      'ReadTunnelMaintenance',
      ['ec2:GetVpnTunnelReplacementStatus'],
      wideMaintenanceRead
        ? vpnRegions.map((vpnRegion) => `arn:${partition}:ec2:${vpnRegion}:${account}:vpn-connection/*`)
        : connections,
    );
    if (wideMaintenanceRead) {
      for (const vpnRegion of vpnRegions) {
        gateway.acknowledgeWildcard(
          'Resource',
          `arn:<AWS::Partition>:ec2:${vpnRegion}:<AWS::AccountId>:vpn-connection/*`,
          'ec2:GetVpnTunnelReplacementStatus is read-only; with more VPN connections than one statement holds, it is ' +
            "granted on the VPN Regions' connections so the role stays within IAM's policy size quotas " +
            '(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html); every write stays on exact ARNs.',
        );
      }
    }
    addInChunks(
      gateway,
      'ReplaceGatewayInstance',
      ['autoscaling:TerminateInstanceInAutoScalingGroup'],
      groups.map(
        (group) =>
          `arn:${partition}:autoscaling:${region}:${account}:autoScalingGroup:*:autoScalingGroupName/${group}`,
      ),
    );
    for (const group of groups) {
      gateway.acknowledgeWildcard(
        'Resource',
        `arn:<AWS::Partition>:autoscaling:<AWS::Region>:<AWS::AccountId>:autoScalingGroup:*:autoScalingGroupName/${group}`,
        'An Auto Scaling group ARN embeds a UUID generated at creation; the wildcard stands only for that UUID and ' +
          'the ARN is pinned by the configured group name, so only that group matches.',
      );
    }
    // Per interface: ModifyInstanceAttribute refuses an instance with several interfaces.
    gateway.addToPolicy(
      new PolicyStatement({
        sid: 'DisableSourceDestCheckOnGatewayInterfaces',
        actions: ['ec2:ModifyNetworkInterfaceAttribute'],
        resources: [ec2('network-interface/*')],
      }),
    );
    const allocations = [...new Set(config.links.map((link) => link.gateway.elasticIpAllocationId))];
    if (allocations.length <= RESOURCES_PER_STATEMENT) {
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'ReassociateElasticIp',
          actions: ['ec2:AssociateAddress'],
          resources: [...allocations.map((id) => ec2(`elastic-ip/${id}`)), ec2('network-interface/*')],
        }),
      );
    } else {
      // Many links: the allocation ids as ec2:AllocationId values (a condition key of elastic-ip for
      // AssociateAddress in the Service Authorization Reference) take a third of their ARNs' size.
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'ReassociateElasticIp',
          actions: ['ec2:AssociateAddress'],
          resources: [ec2('elastic-ip/*')],
          conditions: { StringEquals: { 'ec2:AllocationId': allocations } },
        }),
      );
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'ReassociateElasticIpInterface',
          actions: ['ec2:AssociateAddress'],
          resources: [ec2('network-interface/*')],
        }),
      );
      gateway.acknowledgeWildcard(
        'Resource',
        'arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:elastic-ip/*',
        'AssociateAddress is limited to the configured Elastic IPs by the ec2:AllocationId condition (one id per ' +
          "link), which keeps a large deployment's role within IAM's policy size quotas.",
      );
    }
    gateway.acknowledgeWildcard(
      'Resource',
      `arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:network-interface/*`,
      "The gateway's interfaces (the replacement's included) exist only after the group launches it, and EC2 offers " +
        "no condition key tying an interface to its instance's group; AssociateAddress is pinned to the exact Elastic IP " +
        'allocation, and ModifyNetworkInterfaceAttribute is called only with SourceDestCheck.',
    );
    addInChunks(
      gateway,
      'RepointRoutes',
      ['ec2:ReplaceRoute', 'ec2:CreateRoute'],
      [...new Set(config.links.flatMap((link) => link.gateway.routeTableIds))].map((table) =>
        ec2(`route-table/${table}`),
      ),
    );
    const restartGroups = [
      ...new Set(
        config.links
          .filter((link) => link.gateway.restartCommand)
          .map((link) => link.gateway.autoScalingGroupName),
      ),
    ];
    if (restartGroups.length > 0) {
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'ReadSsmManagedGateways',
          actions: ['ssm:DescribeInstanceInformation'],
          resources: ['*'],
        }),
      );
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'RestartIpsecDocument',
          actions: ['ssm:SendCommand'],
          resources: [`arn:${partition}:ssm:${region}::document/AWS-RunShellScript`],
        }),
      );
      gateway.addToPolicy(
        new PolicyStatement({
          sid: 'RestartIpsecOnGatewayInstances',
          actions: ['ssm:SendCommand'],
          resources: [ec2('instance/*')],
          conditions: { StringEquals: { 'ssm:resourceTag/aws:autoscaling:groupName': restartGroups } },
        }),
      );
      gateway.acknowledgeWildcard(
        'Resource',
        `arn:<AWS::Partition>:ec2:<AWS::Region>:<AWS::AccountId>:instance/*`,
        'The gateway instance id is unknown until the group launches it; the statement only matches instances ' +
          'tagged aws:autoscaling:groupName with a group whose link configures gateway.restartCommand.',
      );
    }
  }
}

/**
 * A statement's resources per statement when one ARN per link would make it long. IAM limits a
 * role's policies by size (10,240 characters inline, 6,144 per managed policy:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html) and CDK spreads a
 * large policy's statements over managed policies, but cannot split one statement: ARNs of
 * about 120 characters each, 15 to a statement, let CDK (which counts 150 per ARN) pack two
 * statements into one managed policy.
 */
export const RESOURCES_PER_STATEMENT = 15;

/** One statement, or (past {@link RESOURCES_PER_STATEMENT}) several: `Sid`, `Sid2`, `Sid3`... */
function addInChunks(fn: GuardFunction, sid: string, actions: string[], resources: readonly string[]): void {
  for (let start = 0; start < resources.length; start += RESOURCES_PER_STATEMENT) {
    const part = start / RESOURCES_PER_STATEMENT;
    fn.addToPolicy(
      new PolicyStatement({
        sid: part === 0 ? sid : `${sid}${part + 1}`,
        actions,
        resources: resources.slice(start, start + RESOURCES_PER_STATEMENT),
      }),
    );
  }
}

/** EventBridge's default event pattern size limit, characters (eb-quota.html, "Event pattern size"). */
export const EVENT_PATTERN_MAX_CHARS = 2048;

/** The Outage-alarm rule's pattern for some alarm names. */
function outageAlarmPattern(alarmNames: readonly string[]): EventPattern {
  return {
    source: ['aws.cloudwatch'],
    detailType: ['CloudWatch Alarm State Change'],
    detail: { alarmName: [...alarmNames], state: { value: ['ALARM'] } },
  };
}

/** The pattern's size as CloudFormation receives it (`detailType` becomes `detail-type`). */
function patternChars(pattern: EventPattern): number {
  const { detailType, ...rest } = pattern;
  return JSON.stringify({ ...rest, 'detail-type': detailType }).length;
}

/** Consecutive groups of names whose pattern each stays within {@link EVENT_PATTERN_MAX_CHARS}. */
export function eventPatternChunks(
  names: readonly string[],
  pattern: (names: readonly string[]) => EventPattern,
): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  for (const name of names) {
    if (current.length > 0 && patternChars(pattern([...current, name])) > EVENT_PATTERN_MAX_CHARS) {
      groups.push(current);
      current = [];
    }
    current.push(name);
  }
  if (current.length > 0) groups.push(current);
  return groups;
}
