/**
 * A link's alarms, built from the specs in infra/alarm-specs.ts (the sandbox evaluates the same
 * specs). CloudWatch makes the decisions (M of N datapoints), not a home-made counter: TunnelsDown
 * and ConnectivityLost feed the composite Unhealthy, which triggers remediation. A read failure is
 * not a link failure (missing tunnel or canary data is not breaching), but a silent monitor is.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmRule,
  ComparisonOperator,
  CompositeAlarm,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { LinkAlarm } from '#shared/alarm-names.ts';
import type { Config, LinkConfig } from '#shared/config.ts';
import {
  type Comparison,
  compositeRule,
  linkAlarmSpecs,
  type MetricAlarmSpec,
  type MissingData,
} from '../alarm-specs.ts';

export interface LinkAlarmsProps {
  readonly config: Config;
  readonly link: LinkConfig;
  /** Receives every ALARM and OK transition. */
  readonly topic: ITopic;
}

const COMPARISONS: Record<Comparison, ComparisonOperator> = {
  LessThanThreshold: ComparisonOperator.LESS_THAN_THRESHOLD,
  GreaterThanThreshold: ComparisonOperator.GREATER_THAN_THRESHOLD,
  LessThanOrEqualToThreshold: ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
  GreaterThanOrEqualToThreshold: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};

const MISSING_DATA: Record<MissingData, TreatMissingData> = {
  breaching: TreatMissingData.BREACHING,
  notBreaching: TreatMissingData.NOT_BREACHING,
  ignore: TreatMissingData.IGNORE,
  missing: TreatMissingData.MISSING,
};

/** A CloudWatch alarm exactly as its spec says. */
function alarmFromSpec(scope: Construct, spec: MetricAlarmSpec): Alarm {
  return new Alarm(scope, spec.alarm, {
    alarmName: spec.alarmName,
    alarmDescription: spec.description,
    metric: new Metric({
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensionsMap: { ...spec.dimensions },
      statistic: spec.statistic,
      period: Duration.seconds(spec.periodSeconds),
    }),
    threshold: spec.threshold,
    comparisonOperator: COMPARISONS[spec.comparison],
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: MISSING_DATA[spec.treatMissingData],
  });
}

export class LinkAlarms extends Construct {
  readonly tunnelsDown: Alarm;
  readonly connectivityLost: Alarm;
  readonly latencyHigh: Alarm;
  readonly monitorSilent: Alarm;
  readonly unhealthy: CompositeAlarm;
  readonly remediationFailed: Alarm;

  constructor(scope: Construct, id: string, props: LinkAlarmsProps) {
    super(scope, id);
    const { config, link } = props;
    const specs = linkAlarmSpecs(config, link);
    const built = specs.metricAlarms.map((spec) => ({ spec, alarm: alarmFromSpec(this, spec) }));
    const get = (alarm: LinkAlarm): Alarm => {
      const found = built.find(({ spec }) => spec.alarm === alarm);
      if (!found) throw new Error(`infra/alarm-specs.ts has no ${alarm} alarm for link ${link.name}`);
      return found.alarm;
    };
    this.tunnelsDown = get('TunnelsDown');
    this.connectivityLost = get('ConnectivityLost');
    this.latencyHigh = get('LatencyHigh');
    this.monitorSilent = get('MonitorSilent');
    this.remediationFailed = get('RemediationFailed');

    this.unhealthy = new CompositeAlarm(this, 'Unhealthy', {
      compositeAlarmName: specs.unhealthy.alarmName,
      alarmDescription: specs.unhealthy.description,
      // By name, as the sandbox evaluates it; CloudFormation must create the children first.
      alarmRule: AlarmRule.fromString(compositeRule(specs.unhealthy)),
    });
    for (const child of specs.unhealthy.anyOf) {
      const found = built.find(({ spec }) => spec.alarmName === child);
      if (!found)
        throw new Error(`the Unhealthy rule of ${link.name} names ${child}, which is not one of its alarms`);
      this.unhealthy.node.addDependency(found.alarm);
    }

    const action = new SnsAction(props.topic);
    for (const alarm of [...built.map(({ alarm }) => alarm), this.unhealthy]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
