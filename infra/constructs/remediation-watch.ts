/**
 * RemediationWatch: nothing the Remediation machine does ends silently, and incidents are kept.
 *
 * - An EventBridge rule on the machine's own "Step Functions Execution Status Change" events
 *   (FAILED, TIMED_OUT, ABORTED) targets notify, which says so once (console link, last state) and
 *   releases that execution's lock if it still holds it. Step Functions' catchers cannot catch a
 *   top-level timeout or `States.Runtime`, and suggest exactly this rule
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html; the event:
 *   https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).
 * - One queue, `RemediationEndUndelivered`'s, holds every such end whose page could not be
 *   delivered, and one alarm pages (e-mail, through CloudWatch's own SNS action: no notify in the
 *   path) while it holds one. The two ways a page is lost, as AWS documents them:
 *   1. EventBridge could not *deliver* the event to notify (the invoke was refused: permissions,
 *      the function gone, throttling past the target's retry policy): the rule target's
 *      dead-letter queue receives it, at once for a permissions error
 *      (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html).
 *   2. EventBridge delivered it, but notify failed on it: EventBridge invokes Lambda
 *      asynchronously, so its delivery succeeded once Lambda queued the event; Lambda retries a
 *      function error twice (one, then two minutes apart), a throttle or a system error until the
 *      event's maximum age, then discards the event unless the function has an on-failure
 *      destination or a dead-letter queue
 *      (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html). The rule's
 *      DLQ never sees these. notify's on-failure destination is the same queue: its invocation
 *      record carries the request (the status-change event) and the response (notify's error), where
 *      a function DLQ would carry the event only
 *      (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 *   The status rule is notify's only asynchronous invoker (the Remediation machine invokes it
 *   synchronously, as a Task, whose failure its Catch and then this rule handle; no alarm action
 *   or other rule targets it): every message in the queue is a Remediation end nobody was told of.
 *   This one alarm replaces the machine's ExecutionsTimedOut and ExecutionsAborted alarms, which
 *   paged every timed-out or aborted execution a second time although notify had announced it.
 * - The grants and environment of the incident bookkeeping in the lock table: start-remediation
 *   opens and moves incidents; notify claims pages and notifications, records outcomes, and reads
 *   an ended execution's history.
 */
import { Duration } from 'aws-cdk-lib';
import type { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Policy, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { NOTIFY_ASYNC_RETRY_ATTEMPTS, remediationEndUndeliveredSpec } from '../alarm-specs.ts';
import { acknowledge, iam5 } from '../nag.ts';
import { stackArnParts } from './guard-function.ts';
import { alarmFromSpec } from './link-alarms.ts';
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
  /**
   * The Remediation ends whose page could not be delivered: the status rule target's dead-letter
   * queue and notify's asynchronous on-failure destination.
   */
  readonly undeliveredQueue: Queue;
  /** `<namespace>-RemediationEndUndelivered`: the queue holds a message. */
  readonly endUndelivered: Alarm;

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

    // The construct id of the rule's former dead-letter queue, so an update keeps the queue (and
    // anything in it) rather than replacing it.
    this.undeliveredQueue = new Queue(this, 'StatusRuleDeadLetterQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // SQS's maximum: the message is the operator's only record of an end nobody was told of.
      retentionPeriod: Duration.days(14),
    });
    acknowledge(
      this.undeliveredQueue,
      'AwsSolutions-SQS3',
      "This queue is itself the dead-letter queue of the execution-status rule target and notify's on-failure " +
        'destination; a DLQ of a DLQ adds nothing (its alarm pages while it holds a message).',
    );

    // notify's asynchronous invocations (only the status rule's): Lambda's documented default of 2
    // retries, set explicitly so the template states it; an event at most an hour old (a page about
    // a remediation end that arrives hours late is worth less than the alarm it becomes), then the
    // invocation record goes to the queue. Lambda sends the record with the function's execution
    // role (sqs:SendMessage, granted on this queue only, below).
    remediation.notify.function.configureAsyncInvoke({
      retryAttempts: NOTIFY_ASYNC_RETRY_ATTEMPTS,
      maxEventAge: Duration.hours(1),
      onFailure: queueDestination(this.undeliveredQueue),
    });
    remediation.notify.addToPolicy(
      new PolicyStatement({
        sid: 'RecordUndeliveredEnd',
        actions: ['sqs:SendMessage'],
        resources: [this.undeliveredQueue.queueArn],
      }),
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
          deadLetterQueue: this.undeliveredQueue,
          retryAttempts: 4,
          maxEventAge: Duration.hours(1),
        }),
      ],
    });

    this.endUndelivered = alarmFromSpec(
      this,
      remediationEndUndeliveredSpec(config, this.undeliveredQueue.queueName),
    );
    const action = new SnsAction(props.topic);
    this.endUndelivered.addAlarmAction(action);
    this.endUndelivered.addOkAction(action);
  }
}

/**
 * An SQS queue as a Lambda destination, without CDK's SqsDestination grant (which adds
 * sqs:GetQueueAttributes and sqs:GetQueueUrl): the function's role gets sqs:SendMessage only,
 * the one action Lambda needs to send the record
 * (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html).
 */
function queueDestination(queue: Queue): IDestination {
  return { bind: () => ({ destination: queue.queueArn }) };
}

/** How cdk-nag names the machine in a finding: its logical id. */
function stateMachineLogicalName(machine: Remediation['stateMachine']): string {
  return machine.node.defaultChild
    ? (machine.stack.getLogicalId(machine.node.defaultChild as never) as string)
    : machine.node.id;
}
