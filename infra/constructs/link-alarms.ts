/**
 * A link's alarms, built from the specs in infra/alarm-specs.ts (the sandbox evaluates the same
 * specs). CloudWatch makes the decisions (M of N datapoints), not a home-made counter: the
 * metric-math Outage alarm (tunnels below minTunnelsUp, or the canary path down) triggers
 * remediation; LatencyHigh notifies. A read failure is not a link failure
 * (a missing figure is not breaching); a silent monitor is the deployment's MonitorSilent.
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  type CfnAlarm,
  ComparisonOperator,
  MathExpression,
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
  linkAlarmSpecs,
  type MathAlarmSpec,
  type MetricAlarmSpec,
  type MissingData,
  type StackAlarmSpec,
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
export function alarmFromSpec(scope: Construct, spec: MetricAlarmSpec | StackAlarmSpec): Alarm {
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

/** A metric-math alarm exactly as its spec says (the expression's query id included). */
export function mathAlarmFromSpec(scope: Construct, spec: MathAlarmSpec): Alarm {
  const alarm = new Alarm(scope, spec.alarm, {
    alarmName: spec.alarmName,
    alarmDescription: spec.description,
    metric: new MathExpression({
      expression: spec.expression,
      label: spec.label,
      period: Duration.seconds(spec.periodSeconds),
      usingMetrics: Object.fromEntries(
        spec.metrics.map((metric) => [
          metric.id,
          new Metric({
            namespace: metric.namespace,
            metricName: metric.metricName,
            dimensionsMap: { ...metric.dimensions },
            statistic: metric.statistic,
            period: Duration.seconds(spec.periodSeconds),
          }),
        ]),
      ),
    }),
    threshold: spec.threshold,
    comparisonOperator: COMPARISONS[spec.comparison],
    evaluationPeriods: spec.evaluationPeriods,
    datapointsToAlarm: spec.datapointsToAlarm,
    treatMissingData: MISSING_DATA[spec.treatMissingData],
  });
  // CDK names the expression query `expr_1`; the spec's id is what the sandbox and tests name.
  (alarm.node.defaultChild as CfnAlarm).addPropertyOverride('Metrics.0.Id', spec.expressionId);
  return alarm;
}

export class LinkAlarms extends Construct {
  /** The metric-math Outage alarm (remediation's trigger). */
  readonly outage: Alarm;
  readonly latencyHigh: Alarm;
  /** Every alarm of the link, Outage first. */
  readonly all: readonly Alarm[];

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
    this.outage = mathAlarmFromSpec(this, specs.outage);
    this.latencyHigh = get('LatencyHigh');
    this.all = [this.outage, ...built.map(({ alarm }) => alarm)];

    const action = new SnsAction(props.topic);
    for (const alarm of this.all) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
