/**
 * RemediationWatch: nothing the Remediation machine does ends silently, and incidents are kept.
 *
 * - An EventBridge rule on the machine's own "Step Functions Execution Status Change" events
 *   (FAILED, TIMED_OUT, ABORTED) targets notify, which says so once (console link, last state) and
 *   releases that execution's lock if it still holds it. Step Functions' catchers cannot catch a
 *   top-level timeout or `States.Runtime`, and suggest exactly this rule
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; the event:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 * - Alarms on the machine's ExecutionsTimedOut and ExecutionsAborted (AWS/States), to the topic
 *   (no message attributes: they reach e-mail, never SMS).
 * - The grants and environment of the incident bookkeeping in the lock table: start-remediation
 *   opens and moves incidents; notify claims pages and notifications, records outcomes, and reads
 *   an ended execution's history.
 */
import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { stackArnParts } from './guard-function.ts';
import type { Remediation } from './remediation.ts';

export interface RemediationWatchProps {
  readonly config: Config;
  readonly remediation: Remediation;
  readonly topic: ITopic;
}

/** The execution statuses the rule delivers (every end but SUCCEEDED). */
export const WATCHED_STATUSES = ['FAILED', 'TIMED_OUT', 'ABORTED'] as const;

export class RemediationWatch extends Construct {
  readonly statusRule: Rule;
  readonly deadLetterQueue: Queue;
  readonly executionsTimedOut: Alarm;
  readonly executionsAborted: Alarm;

  constructor(scope: Construct, id: string, props: RemediationWatchProps) {
    super(scope, id);
    const { config, remediation } = props;
    const { partition, region, account } = stackArnParts(this);
    const table = remediation.lockTable;
    const machine = remediation.stateMachine;

    // start-remediation: the incident item (read, conditional put/update) and the lock and budget
    // items it reads to time the next attempt; a tick reads every link's incident in one batch.
    remediation.startRemediation.function.addEnvironment('LOCK_TABLE_NAME', table.tableName);
    remediation.startRemediation.addToPolicy(
      new PolicyStatement({
        sid: 'IncidentItems',
        actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        resources: [table.tableArn],
      }),
    );

    // notify: page and notification claims, outcomes on the incident, and the watch's release of a
    // dead execution's lock (a DeleteItem conditional on the holder).
    remediation.notify.function.addEnvironment('LOCK_TABLE_NAME', table.tableName);
    remediation.notify.addToPolicy(
      new PolicyStatement({
        sid: 'IncidentItemsAndLockRelease',
        actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [table.tableArn],
      }),
    );
    const executions = `arn:${partition}:states:${region}:${account}:execution:${machine.stateMachineName}:*`;
    // A policy of its own, not the role's default policy: the machine's definition names notify, and
    // notify's function waits for its default policy, so a reference to the machine there would be
    // a circular dependency.
    const history = new Policy(this, 'NotifyReadsEndedExecutions', {
      roles: [remediation.notify.role],
      statements: [
        new PolicyStatement({
          sid: 'LastStateOfEndedExecution',
          actions: ['states:GetExecutionHistory'],
          resources: [executions],
        }),
      ],
    });
    acknowledge(
      history,
      iam5(
        'Resource',
        `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${stateMachineLogicalName(machine)}.Name>:*`,
      ),
      "An execution's ARN ends in its name, known only when it starts; the statement is pinned to the Remediation " +
        'machine, so only its executions match (read-only: their history).',
    );

    this.deadLetterQueue = new Queue(this, 'StatusRuleDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.deadLetterQueue,
      'AwsSolutions-SQS3',
      'This queue is itself the dead-letter queue of the execution-status rule target; a DLQ of a DLQ adds nothing.',
    );
    this.statusRule = new Rule(this, 'ExecutionStatusRule', {
      description:
        'Notifies and releases the lock when a Remediation execution ends FAILED, TIMED_OUT or ABORTED',
      eventPattern: {
        source: ['aws.states'],
        detailType: ['Step Functions Execution Status Change'],
        detail: { status: [...WATCHED_STATUSES], stateMachineArn: [machine.stateMachineArn] },
      },
      targets: [
        new LambdaFunction(remediation.notify.function, {
          deadLetterQueue: this.deadLetterQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    const action = new SnsAction(props.topic);
    const alarm = (alarmId: string, metricName: 'ExecutionsTimedOut' | 'ExecutionsAborted', what: string) => {
      const created = new Alarm(this, alarmId, {
        alarmName: `${config.namespace}-Remediation${alarmId}`,
        alarmDescription: `A VPN Guard remediation execution ${what}: it ended outside its own notifications; see the Remediation state machine's executions.`,
        metric: machine.metric(metricName, { period: Duration.minutes(5), statistic: 'Sum' }),
        threshold: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      created.addAlarmAction(action);
      created.addOkAction(action);
      return created;
    };
    this.executionsTimedOut = alarm('ExecutionsTimedOut', 'ExecutionsTimedOut', 'timed out');
    this.executionsAborted = alarm('ExecutionsAborted', 'ExecutionsAborted', 'was aborted');
  }
}

/** How cdk-nag names the machine in a finding: its logical id. */
function stateMachineLogicalName(machine: Remediation['stateMachine']): string {
  return machine.node.defaultChild
    ? (machine.stack.getLogicalId(machine.node.defaultChild as never) as string)
    : machine.node.id;
}
