/**
 * Amazon SQS in the home Region, as far as the stack uses it: the standard queues the template
 * deploys (by ARN, with their names and retention), the messages AWS services send to them (an
 * EventBridge rule target's dead-letter queue, a Lambda function's on-failure destination), what
 * the harness reads and deletes as an operator would, and the `AWS/SQS` metric the stack alarms on.
 *
 * `ApproximateNumberOfMessagesVisible` (dimension `QueueName`, free): SQS reports it once a minute
 * while the queue is active
 * (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-available-cloudwatch-metrics.html:
 * "Reported if the queue is active"; all metrics are published to CloudWatch at one-minute
 * intervals). Modelled: one datapoint at each minute boundary, the number of messages held then
 * (none is ever in flight: nothing in the stack receives from these queues), from the first
 * message on, for as long as the queue holds one and six hours after it last did (an idle, empty
 * queue is not active and reports nothing). A message expires after the queue's
 * MessageRetentionPeriod (default 4 days: https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html).
 */
import { type Sample, singleSample } from './alarm-eval.ts';

/** One message in a queue. */
export interface SqsMessage {
  readonly messageId: string;
  readonly body: string;
  /** Message attributes (EventBridge's DLQ sets RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE). */
  readonly attributes: Readonly<Record<string, string>>;
  /** Who sent it (`events.amazonaws.com` for a rule, `lambda:<function>` for a destination). */
  readonly sender: string;
  readonly sentAt: number;
  deletedAt?: number;
}

interface Queue {
  readonly arn: string;
  readonly name: string;
  readonly retentionSeconds: number;
  readonly messages: SqsMessage[];
}

/** SQS's default MessageRetentionPeriod: 4 days. */
const DEFAULT_RETENTION_SECONDS = 4 * 86_400;
/** How long an emptied queue stays active (and so reports its metrics). */
const ACTIVE_AFTER_EMPTY_MS = 6 * 3_600_000;
const MINUTE_MS = 60_000;

export class SqsModel {
  private readonly queues = new Map<string, Queue>();
  private sent = 0;

  constructor(private readonly now: () => number) {}

  /** A queue of the deployed stack. */
  addQueue(arn: string, name: string, retentionSeconds = DEFAULT_RETENTION_SECONDS): void {
    this.queues.set(arn, { arn, name, retentionSeconds, messages: [] });
  }

  /** Whether the stack deploys a queue with this ARN. */
  has(arn: string): boolean {
    return this.queues.has(arn);
  }

  /** A service sends a message (SendMessage); returns it. */
  send(arn: string, body: string, attributes: Readonly<Record<string, string>>, sender: string): SqsMessage {
    const queue = this.queues.get(arn);
    if (!queue) throw new Error(`SQS: the stack deploys no queue ${arn}`);
    const message: SqsMessage = {
      messageId: `00000000-0000-4000-8000-${String(++this.sent).padStart(12, '0')}`,
      body,
      attributes: { ...attributes },
      sender,
      sentAt: this.now(),
    };
    queue.messages.push(message);
    return message;
  }

  /** The messages a queue holds now (not deleted, not expired), oldest first. */
  messages(arn: string): SqsMessage[] {
    const queue = this.queues.get(arn);
    return queue ? queue.messages.filter((m) => this.heldAt(queue, m, this.now())) : [];
  }

  /** An operator read the messages and deleted them (DeleteMessage of each). */
  deleteAll(arn: string): number {
    const held = this.messages(arn);
    for (const message of held) message.deletedAt = this.now();
    return held.length;
  }

  /** The queue with this name, if the stack deploys one. */
  queueArnOf(name: string): string | undefined {
    return [...this.queues.values()].find((q) => q.name === name)?.arn;
  }

  /** The samples of one `AWS/SQS` metric of the queue named by `QueueName`. */
  metricSamples(metricName: string, dimensions: Readonly<Record<string, string>>): Sample[] {
    if (metricName !== 'ApproximateNumberOfMessagesVisible') return [];
    const queue = [...this.queues.values()].find((q) => q.name === dimensions.QueueName);
    const first = queue?.messages[0];
    if (!queue || !first) return [];
    const samples: Sample[] = [];
    let lastHeld: number | undefined;
    for (let t = Math.ceil(first.sentAt / MINUTE_MS) * MINUTE_MS; t <= this.now(); t += MINUTE_MS) {
      const held = queue.messages.filter((m) => this.heldAt(queue, m, t)).length;
      if (held > 0) lastHeld = t;
      else if (lastHeld === undefined || t - lastHeld > ACTIVE_AFTER_EMPTY_MS) continue;
      samples.push(singleSample(t, held));
    }
    return samples;
  }

  private heldAt(queue: Queue, message: SqsMessage, t: number): boolean {
    return (
      message.sentAt <= t &&
      (message.deletedAt === undefined || message.deletedAt > t) &&
      t < message.sentAt + queue.retentionSeconds * 1000
    );
  }
}
