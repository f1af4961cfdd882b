/**
 * One CloudWatch dashboard per deployment (optional: each dashboard beyond an account's first three
 * costs $3 a month). A row per link, then a remediation row.
 */
import { CfnMapping, Duration, Stack } from 'aws-cdk-lib';
import {
  AlarmStatusWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  PeriodOverride,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { contractMetric, linkMetric } from '../metrics.ts';
import type { LinkAlarms } from './link-alarms.ts';

export interface GuardDashboardProps {
  readonly config: Config;
  /** Link alarms by link name. */
  readonly linkAlarms: ReadonlyMap<string, LinkAlarms>;
  /** Deployment-wide alarms (the Monitor machine's). */
  readonly monitorAlarms: readonly IAlarm[];
}

/** A dashboard name from the namespace (dashboard names allow only A-Z a-z 0-9 - _). */
export function dashboardNameFor(namespace: string): string {
  return namespace.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 255);
}

export class GuardDashboard extends Construct {
  readonly dashboard: Dashboard;
  /** The console URL of the dashboard (the console's domain depends on the partition). */
  readonly url: string;

  constructor(scope: Construct, id: string, props: GuardDashboardProps) {
    super(scope, id);
    const { config } = props;
    const { namespace } = config;
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: dashboardNameFor(namespace),
      defaultInterval: Duration.hours(3),
      periodOverride: PeriodOverride.AUTO,
    });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `# VPN Guard (${namespace})\nOne row per link: tunnels, canary, collection, alarms. Remediation at the bottom.`,
        width: 24,
        height: 2,
      }),
    );

    for (const link of config.links) {
      const metric = (
        name: Parameters<typeof linkMetric>[2],
        statistic: 'Minimum' | 'Average',
        label: string,
      ) => linkMetric(namespace, link.name, name, { statistic, label });
      const alarms = props.linkAlarms.get(link.name);
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `${link.name}: tunnels UP`,
          left: [metric('TunnelsUp', 'Minimum', 'TunnelsUp (min)')],
          leftAnnotations: [{ value: link.vpn.minTunnelsUp, label: 'minTunnelsUp' }],
          leftYAxis: { min: 0 },
          width: 5,
        }),
        new GraphWidget({
          title: `${link.name}: canary latency (ms)`,
          left: [metric('CanaryLatency', 'Average', 'CanaryLatency')],
          leftAnnotations: [{ value: link.canary.latencyThresholdMs, label: 'latencyThresholdMs' }],
          leftYAxis: { min: 0 },
          width: 5,
        }),
        new GraphWidget({
          title: `${link.name}: canary loss (%)`,
          left: [metric('CanaryLoss', 'Average', 'CanaryLoss')],
          leftYAxis: { min: 0, max: 100 },
          width: 4,
        }),
        new GraphWidget({
          title: `${link.name}: collection success rate`,
          // The collections are the link's VPN Region's and canary VPC's (shared with their other links).
          left: [
            contractMetric(namespace, link, 'TunnelCheckSuccess', {
              statistic: 'Average',
              label: `TunnelCheckSuccess ${link.vpn.region} (avg)`,
            }),
            contractMetric(namespace, link, 'CanaryCheckSuccess', {
              statistic: 'Average',
              label: `CanaryCheckSuccess ${link.canary.vpcId} (avg)`,
            }),
          ],
          leftYAxis: { min: 0, max: 1 },
          width: 5,
        }),
        new AlarmStatusWidget({
          title: `${link.name}: alarms`,
          alarms: alarms ? [...alarms.all] : [],
          width: 5,
          height: 6,
        }),
      );
    }

    const sum = (name: 'RemediationStarted' | 'RemediationSucceeded' | 'RemediationFailed') =>
      config.links.map((link) =>
        linkMetric(namespace, link.name, name, { statistic: 'Sum', label: `${link.name} ${name}` }),
      );
    this.dashboard.addWidgets(
      new GraphWidget({
        title: 'Remediations',
        left: [...sum('RemediationStarted'), ...sum('RemediationSucceeded'), ...sum('RemediationFailed')],
        width: 10,
      }),
      new GraphWidget({
        title: 'Time to recover (s)',
        left: config.links.map((link) =>
          linkMetric(namespace, link.name, 'TimeToRecover', {
            statistic: 'Maximum',
            label: `${link.name} TimeToRecover`,
          }),
        ),
        leftYAxis: { min: 0 },
        width: 9,
      }),
      new AlarmStatusWidget({ title: 'Monitor', alarms: [...props.monitorAlarms], width: 5, height: 6 }),
    );

    const consoleDomains = new CfnMapping(this, 'ConsoleDomain', {
      mapping: {
        aws: { domain: 'console.aws.amazon.com' },
        'aws-us-gov': { domain: 'console.amazonaws-us-gov.com' },
        'aws-cn': { domain: 'console.amazonaws.cn' },
      },
    });
    const { partition, region } = Stack.of(this);
    const domain = consoleDomains.findInMap(partition, 'domain');
    this.url = `https://${region}.${domain}/cloudwatch/home?region=${region}#dashboards:name=${dashboardNameFor(namespace)}`;
  }
}
