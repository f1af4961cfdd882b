/**
 * The Monitor: an EXPRESS state machine run by EventBridge Scheduler at config.schedule. Each tick
 * checks every link's tunnels and runs the canaries in parallel, publishes the figures, and starts
 * a remediation for any link the tick's own figures show failing (start-remediation).
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Schedule, ScheduleExpression, ScheduleTargetInput } from 'aws-cdk-lib/aws-scheduler';
import { StepFunctionsStartExecution } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { aslDefinition, type Substitutions } from '../state-machine-definition.ts';
import type { Canary } from './canary.ts';
import type { GuardFunction } from './guard-function.ts';
import { stateMachineLogGroupProps } from './log-groups.ts';
import { invokeStatement, stateMachineWildcardReasons } from './state-machine-grants.ts';

export interface MonitorProps {
  readonly config: Config;
  readonly checkTunnel: GuardFunction;
  readonly publishMetric: GuardFunction;
  readonly startRemediation: GuardFunction;
  readonly canaries: readonly Canary[];
  readonly topic: ITopic;
}

/** One entry of the Monitor's input: a canary function and the links it probes (docs/contracts.md). */
export interface CanaryGroup {
  readonly vpcId: string;
  readonly functionName: string;
  readonly links: readonly string[];
}

export class Monitor extends Construct {
  readonly stateMachine: StateMachine;
  readonly schedule: Schedule;
  readonly executionsFailed: Alarm;
  readonly executionsTimedOut: Alarm;
  /** The input every scheduled execution gets. */
  readonly input: { readonly canaryGroups: readonly CanaryGroup[] };

  constructor(scope: Construct, id: string, props: MonitorProps) {
    super(scope, id);
    const { config } = props;
    const substitutions: Substitutions<'monitor'> = {
      CheckTunnelFunctionArn: props.checkTunnel.functionArn,
      PublishMetricFunctionArn: props.publishMetric.functionArn,
      StartRemediationFunctionArn: props.startRemediation.functionArn,
    };
    const logGroup = new LogGroup(this, 'LogGroup', {
      ...stateMachineLogGroupProps(this, 'Monitor'),
      retention: config.observability.logRetentionDays as RetentionDays,
    });
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.EXPRESS,
      comment: 'VPN Guard monitor tick: tunnels and canaries, metrics, remediation branch',
      definitionBody: aslDefinition('monitor', substitutions).body,
      definitionSubstitutions: substitutions,
      // EXPRESS keeps no execution history: the logs are the history. ERROR by default (the failed
      // ticks, with their data); ALL (every state of every tick) costs its bytes, for debugging.
      logs: {
        destination: logGroup,
        level: config.monitor.executionLogLevel === 'ALL' ? LogLevel.ALL : LogLevel.ERROR,
        includeExecutionData: true,
      },
      tracingEnabled: true,
    });
    this.stateMachine.addToRolePolicy(
      invokeStatement([
        props.checkTunnel,
        props.publishMetric,
        props.startRemediation,
        ...props.canaries.map((canary) => canary.fn),
      ]),
    );
    if (config.monitor.executionLogLevel !== 'ALL') {
      acknowledge(
        this.stateMachine,
        'AwsSolutions-SF1',
        'The Monitor runs every minute and its EXPRESS logs are billed per byte: it logs ERROR (every ' +
          'failed tick, state and cause, with its data) by default; monitor.executionLogLevel "ALL" ' +
          'logs every state of every tick when debugging.',
      );
    }
    for (const reason of stateMachineWildcardReasons) {
      acknowledge(this.stateMachine.role, iam5('Resource', '*'), reason);
    }

    this.input = {
      canaryGroups: props.canaries.map((canary) => ({
        vpcId: canary.vpcId,
        functionName: canary.fn.functionArn,
        links: canary.linkNames,
      })),
    };
    this.schedule = new Schedule(this, 'Schedule', {
      description: `VPN Guard (${config.namespace}) monitor tick`,
      schedule: ScheduleExpression.expression(config.schedule),
      target: new StepFunctionsStartExecution(this.stateMachine, {
        input: ScheduleTargetInput.fromObject(this.input),
        // A late tick is worthless (the next one is due): retry briefly, then drop it.
        retryAttempts: 2,
        maxEventAge: Duration.minutes(1),
      }),
    });

    // Persistent failure of the tick itself (a failed collection ends the execution failed).
    const action = new SnsAction(props.topic);
    const executionAlarm = (alarmId: string, metric: 'metricFailed' | 'metricTimedOut', what: string) => {
      const alarm = new Alarm(this, alarmId, {
        alarmName: `${config.namespace}-Monitor${alarmId}`,
        alarmDescription: `VPN Guard monitor executions ${what} in 3 of the last 5 minutes: see the Monitor state machine logs.`,
        metric: this.stateMachine[metric]({ period: Duration.minutes(1), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 5,
        datapointsToAlarm: 3,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      return alarm;
    };
    this.executionsFailed = executionAlarm('ExecutionsFailed', 'metricFailed', 'failed');
    this.executionsTimedOut = executionAlarm('ExecutionsTimedOut', 'metricTimedOut', 'timed out');
  }
}
