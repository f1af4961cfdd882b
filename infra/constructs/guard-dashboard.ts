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
  MathExpression,
  Metric,
  PeriodOverride,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import type { Config, LinkConfig } from '#shared/config.ts';
import { CANARY_COLLECTION_METRICS } from '#shared/metric-names.ts';
import { contractMetric, linkMetric } from '../metrics.ts';
import type { LinkAlarms } from './link-alarms.ts';

export interface GuardDashboardProps {
  readonly config: Config;
  /** Link alarms by link name. */
  readonly linkAlarms: ReadonlyMap<string, LinkAlarms>;
  /**
   * Deployment-wide alarms (the Monitor machine's, and the Remediation watch's
   * RemediationEndUndelivered), in one "Deployment" widget. @default - no such widget
   */
  readonly monitorAlarms?: readonly IAlarm[];
  /** The links that get a row (a link stack's own). @default - every configured link */
  readonly links?: readonly LinkConfig[];
  /** @default dashboardNameFor(namespace) */
  readonly dashboardName?: string;
  /**
   * The canary function of each canary VPC (vpc id → function name): the canary collection's
   * success rate and latency are its AWS/Lambda metrics. The main stack's dashboard has them.
   * @default - no canary collection row
   */
  readonly canaryFunctions?: ReadonlyMap<string, string>;
}

/**
 * CloudWatch takes at most 100 metrics in one graph widget's metrics array
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/CloudWatch-Dashboard-Body-Structure.html):
 * graphs with a line per link are split into graphs of at most this many lines.
 */
export const DASHBOARD_WIDGET_METRICS_MAX = 100;

/** `items` in consecutive groups of at most `size`. */
function chunks<T>(items: readonly T[], size: number): T[][] {
  const groups: T[][] = [];
  for (let start = 0; start < items.length; start += size) groups.push(items.slice(start, start + size));
  return groups;
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
    const links = props.links ?? config.links;
    const dashboardName = props.dashboardName ?? dashboardNameFor(namespace);
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName,
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

    for (const link of links) {
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
          title: `${link.name}: tunnel collection success rate`,
          // The collection is the link's VPN Region's (shared with its other links); the canary
          // collection's is its VPC's function's (the "Canary collections" row).
          left: [
            contractMetric(namespace, link, 'TunnelCheckSuccess', {
              statistic: 'Average',
              label: `TunnelCheckSuccess ${link.vpn.region} (avg)`,
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

    if (props.canaryFunctions && props.canaryFunctions.size > 0)
      this.addCanaryCollections(props.canaryFunctions);

    const sum = (group: readonly LinkConfig[]) =>
      (['RemediationStarted', 'RemediationSucceeded', 'RemediationFailed'] as const).flatMap((name) =>
        group.map((link) =>
          linkMetric(namespace, link.name, name, { statistic: 'Sum', label: `${link.name} ${name}` }),
        ),
      );
    const timeToRecover = (group: readonly LinkConfig[]) =>
      group.map((link) =>
        linkMetric(namespace, link.name, 'TimeToRecover', {
          statistic: 'Maximum',
          label: `${link.name} TimeToRecover`,
        }),
      );
    // Three remediation lines per link: one graph per 33 links keeps each within 100 metrics.
    const remediationGroups = chunks(links, Math.floor(DASHBOARD_WIDGET_METRICS_MAX / 3));
    const part = (index: number) =>
      remediationGroups.length > 1 ? ` (${index + 1}/${remediationGroups.length})` : '';
    remediationGroups.forEach((group, index) => {
      this.dashboard.addWidgets(
        new GraphWidget({ title: `Remediations${part(index)}`, left: sum(group), width: 10 }),
        new GraphWidget({
          title: `Time to recover (s)${part(index)}`,
          left: timeToRecover(group),
          leftYAxis: { min: 0 },
          width: 9,
        }),
        ...(index === 0 && props.monitorAlarms
          ? [
              new AlarmStatusWidget({
                title: 'Deployment',
                alarms: [...props.monitorAlarms],
                width: 5,
                height: 6,
              }),
            ]
          : []),
      );
    });
    if (remediationGroups.length === 0 && props.monitorAlarms) {
      this.dashboard.addWidgets(
        new AlarmStatusWidget({ title: 'Deployment', alarms: [...props.monitorAlarms], width: 5, height: 6 }),
      );
    }

    const consoleDomains = new CfnMapping(this, 'ConsoleDomain', {
      mapping: {
        aws: { domain: 'console.aws.amazon.com' },
        'aws-us-gov': { domain: 'console.amazonaws-us-gov.com' },
        'aws-cn': { domain: 'console.amazonaws.cn' },
      },
    });
    const { partition, region } = Stack.of(this);
    const domain = consoleDomains.findInMap(partition, 'domain');
    this.url = `https://${region}.${domain}/cloudwatch/home?region=${region}#dashboards:name=${dashboardName}`;
  }

  /**
   * The canary collections, one line per canary VPC: the success rate 1 − Errors / Invocations and
   * the run's Duration, from the VPC's canary function's own AWS/Lambda metrics (free; see
   * CANARY_COLLECTION_METRICS). A success rate takes three metrics of a widget's 100 (the
   * expression and its two), a duration line one.
   */
  private addCanaryCollections(canaryFunctions: ReadonlyMap<string, string>): void {
    const { namespace: lambdaNamespace, dimension, runs, failures, latency } = CANARY_COLLECTION_METRICS;
    const lambdaMetric = (functionName: string, metricName: string, statistic: string) =>
      new Metric({
        namespace: lambdaNamespace,
        metricName,
        dimensionsMap: { [dimension]: functionName },
        statistic,
        period: Duration.minutes(1),
      });
    const vpcs = [...canaryFunctions];
    const rateGroups = chunks(vpcs, Math.floor(DASHBOARD_WIDGET_METRICS_MAX / 3));
    const durationGroups = chunks(vpcs, DASHBOARD_WIDGET_METRICS_MAX);
    const part = (index: number, count: number) => (count > 1 ? ` (${index + 1}/${count})` : '');
    rateGroups.forEach((group, index) => {
      this.dashboard.addWidgets(
        new GraphWidget({
          title: `Canary collection success rate${part(index, rateGroups.length)}`,
          // Query ids are the graph's: each VPC's pair gets its own.
          left: group.map(
            ([vpcId, functionName], line) =>
              new MathExpression({
                expression: `1 - errors${line} / runs${line}`,
                usingMetrics: {
                  [`runs${line}`]: lambdaMetric(functionName, runs, 'Sum'),
                  [`errors${line}`]: lambdaMetric(functionName, failures, 'Sum'),
                },
                label: `canary ${vpcId}`,
                period: Duration.minutes(1),
              }),
          ),
          leftYAxis: { min: 0, max: 1 },
          width: 12,
        }),
        ...(index < durationGroups.length
          ? [
              new GraphWidget({
                title: `Canary collection latency (ms)${part(index, durationGroups.length)}`,
                left: (durationGroups[index] ?? []).map(([vpcId, functionName]) =>
                  lambdaMetric(functionName, latency, 'Average').with({ label: `canary ${vpcId} (avg)` }),
                ),
                leftYAxis: { min: 0 },
                width: 12,
              }),
            ]
          : []),
      );
    });
  }
}
