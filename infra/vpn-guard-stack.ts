/**
 * The VPN Guard stack: one deployment watches the configured links from their home Region.
 * Environment-agnostic (no account or Region at synth, no lookups), so `cdk synth` needs no AWS.
 */
import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { type Config, managedGatewayOf } from '#shared/config.ts';
import { monitorSilentSpec } from './alarm-specs.ts';
import { AlarmTopic } from './constructs/alarm-topic.ts';
import { Canary, linksByCanaryVpc } from './constructs/canary.ts';
import { GuardDashboard } from './constructs/guard-dashboard.ts';
import { GuardFunction } from './constructs/guard-function.ts';
import { GatewayRenderer, LibreswanGateway } from './constructs/libreswan-gateway.ts';
import { alarmFromSpec, LinkAlarms } from './constructs/link-alarms.ts';
import { Monitor } from './constructs/monitor.ts';
import { Remediation } from './constructs/remediation.ts';
import { RemediationWatch } from './constructs/remediation-watch.ts';
import type { LinkStack } from './link-stack.ts';
import { linkStackIndex } from './link-stacks.ts';
import { pascalId } from './metrics.ts';

export interface VpnGuardStackProps extends StackProps {
  /** The validated deployment config. */
  readonly config: Config;
}

export class VpnGuardStack extends Stack {
  readonly config: Config;
  readonly alarmTopic: AlarmTopic;
  readonly checkTunnel: GuardFunction;
  readonly publishMetric: GuardFunction;
  readonly canaries: readonly Canary[];
  readonly linkAlarms: ReadonlyMap<string, LinkAlarms>;
  /** The managed gateways, by link name (links with `managedGateway` enabled). */
  readonly managedGateways: ReadonlyMap<string, LibreswanGateway>;
  /** The gateway-config function and rule, when any link has a managed gateway. */
  readonly gatewayRenderer: GatewayRenderer | undefined;
  readonly remediation: Remediation;
  readonly remediationWatch: RemediationWatch;
  readonly monitor: Monitor;
  /** One for the deployment: the Monitor is not being started. */
  readonly monitorSilent: Alarm;
  readonly dashboard: GuardDashboard | undefined;
  /** The link stacks of `deployment.linkStacks` (filled in by the app, infra/vpn-guard-app.ts). */
  readonly linkStacks: LinkStack[] = [];

  constructor(scope: Construct, id: string, props: VpnGuardStackProps) {
    super(scope, id, props);
    const { config } = props;
    this.config = config;

    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', { config });

    this.checkTunnel = new GuardFunction(this, 'CheckTunnel', {
      functionId: 'check-tunnel',
      config,
      description: "VPN Guard check-tunnel: reads every link's tunnel telemetry in the VPN's Region",
      // Below the ASL's 20 s Task timeout, so the function's own timeout error is what the ASL sees.
      timeout: Duration.seconds(15),
    });
    const vpnRegions = [...new Set(config.links.map((link) => link.vpn.region))];
    this.checkTunnel.addToPolicy(
      new PolicyStatement({
        sid: 'DescribeVpnConnectionsInVpnRegions',
        actions: ['ec2:DescribeVpnConnections'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': vpnRegions } },
      }),
    );
    this.checkTunnel.acknowledgeWildcard(
      'Resource',
      '*',
      'ec2:DescribeVpnConnections supports no resource-level permissions; the statement is limited by ' +
        'aws:RequestedRegion to the VPN Regions of the configured links.',
    );

    this.publishMetric = new GuardFunction(this, 'PublishMetric', {
      functionId: 'publish-metric',
      config,
      description:
        'VPN Guard publish-metric: tick and remediation figures as embedded metric format in its log group (no CloudWatch API call)',
      // Below the ASL's 15 s Task timeout.
      timeout: Duration.seconds(12),
    });
    this.canaries = [...linksByCanaryVpc(config)].map(
      ([vpcId, links]) =>
        new Canary(this, `Canary${vpcId.replace(/^vpc-/, 'Vpc')}`, { config, vpcId, links }),
    );

    // With deployment.linkStacks > 0 the links' alarms live in the link stacks (infra/link-stack.ts).
    const ownLinks = config.links.filter(
      (link) => linkStackIndex(link.name, config.deployment.linkStacks) === undefined,
    );
    const linkAlarms = new Map<string, LinkAlarms>();
    for (const link of ownLinks) {
      linkAlarms.set(
        link.name,
        new LinkAlarms(this, `Link${pascalId(link.name)}Alarms`, {
          config,
          link,
          topic: this.alarmTopic.topic,
        }),
      );
    }
    this.linkAlarms = linkAlarms;

    // Links with a managed gateway: the stack builds their group (named by gateway.autoScalingGroupName).
    const managedLinks = config.links.filter((link) => managedGatewayOf(link));
    this.gatewayRenderer =
      managedLinks.length > 0
        ? new GatewayRenderer(this, 'GatewayConfig', { config, links: managedLinks })
        : undefined;
    const renderer = this.gatewayRenderer;
    this.managedGateways = new Map(
      renderer
        ? managedLinks.map((link) => [
            link.name,
            new LibreswanGateway(this, `Link${pascalId(link.name)}Gateway`, { link, renderer }),
          ])
        : [],
    );

    this.remediation = new Remediation(this, 'Remediation', {
      config,
      checkTunnel: this.checkTunnel,
      publishMetric: this.publishMetric,
      canaries: new Map(this.canaries.map((canary) => [canary.vpcId, canary.fn])),
      topic: this.alarmTopic.topic,
      topicKey: this.alarmTopic.key,
    });

    this.remediationWatch = new RemediationWatch(this, 'RemediationWatch', {
      config,
      remediation: this.remediation,
      topic: this.alarmTopic.topic,
    });

    this.monitor = new Monitor(this, 'Monitor', {
      config,
      checkTunnel: this.checkTunnel,
      publishMetric: this.publishMetric,
      startRemediation: this.remediation.startRemediation,
      canaries: this.canaries,
      topic: this.alarmTopic.topic,
    });

    this.monitorSilent = alarmFromSpec(
      this,
      monitorSilentSpec(config, this.monitor.stateMachine.stateMachineArn),
    );
    this.monitorSilent.addAlarmAction(new SnsAction(this.alarmTopic.topic));
    this.monitorSilent.addOkAction(new SnsAction(this.alarmTopic.topic));

    this.dashboard = config.observability.dashboard
      ? new GuardDashboard(this, 'Dashboard', {
          config,
          links: ownLinks,
          linkAlarms,
          monitorAlarms: [
            this.monitorSilent,
            this.monitor.executionsFailed,
            this.monitor.executionsTimedOut,
            this.remediationWatch.endUndelivered,
          ],
          canaryFunctions: new Map(
            this.canaries.map((canary) => [canary.vpcId, canary.fn.function.functionName]),
          ),
        })
      : undefined;

    // OutputKeys are a contract with the drill CLI (docs/contracts.md).
    new CfnOutput(this, 'RemediationStateMachineArn', {
      value: this.remediation.stateMachine.stateMachineArn,
      description: 'Remediation state machine (STANDARD): start a drill here',
    });
    new CfnOutput(this, 'MonitorStateMachineArn', {
      value: this.monitor.stateMachine.stateMachineArn,
      description: 'Monitor state machine (EXPRESS), run by EventBridge Scheduler',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topic.topicArn,
      description: 'SNS topic of every alarm and remediation report',
    });
    if (this.dashboard) {
      new CfnOutput(this, 'DashboardUrl', { value: this.dashboard.url, description: 'CloudWatch dashboard' });
    }
    new CfnOutput(this, 'LockTableName', {
      value: this.remediation.lockTable.tableName,
      description: 'DynamoDB table of remediation locks and attempt budgets',
    });
    new CfnOutput(this, 'LinkNames', {
      value: config.links.map((link) => link.name).join(','),
      description: 'Watched links, comma-separated',
    });
    new CfnOutput(this, 'Namespace', {
      value: config.namespace,
      description: 'CloudWatch namespace of the metrics',
    });
  }
}
