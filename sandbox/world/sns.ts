/**
 * SNS in the home Region: Publish to the alarm topic, recorded with what each protocol would
 * receive (MessageStructure json understood and checked as SNS checks it), and delivered to the
 * topic's subscriptions (the config's e-mail and SMS endpoints) through their filter policies.
 *
 * Filtering (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html): a
 * subscription without a filter policy receives every message; with one (MessageAttributes scope,
 * the default) it receives a message only when every key of the policy names an attribute of the
 * message whose value is one of the policy's values; "a message without the attribute does not
 * match". Exact string and number values are modelled; operators (prefix, anything-but, numeric
 * ranges, exists) and the MessageBody scope fail loudly.
 */
import type { MessageAttributeValue, PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { PAGER_FILTER_POLICY } from '#shared/audience.ts';
import type { Config } from '#shared/config.ts';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';

/** A subscription's filter policy (MessageAttributes scope): attribute → accepted values. */
export type FilterPolicy = Readonly<Record<string, readonly (string | number)[]>>;

/** One subscription of a topic. */
export interface Subscription {
  readonly arn: string;
  readonly topicArn: string;
  readonly protocol: 'email' | 'sms';
  readonly endpoint: string;
  readonly filterPolicy?: FilterPolicy;
}

/** A message delivered to one subscription. */
export interface Delivery {
  readonly subscriptionArn: string;
  readonly protocol: Subscription['protocol'];
  readonly endpoint: string;
}

type Output<T> = Omit<T, '$metadata'>;

/** One message published to a topic. */
export interface PublishedMessage {
  readonly at: number;
  readonly topicArn: string;
  readonly messageId: string;
  readonly subject: string | undefined;
  /** What an email subscriber gets (the `email` body, else `default`). */
  readonly email: string;
  /** What an SMS subscriber gets. */
  readonly sms: string;
  /** Who published it: `cloudwatch` for alarm actions, else the function id. */
  readonly publisher: string;
  /**
   * What the message is about: a remediation outcome (`recovered`, `failed`, ...) for the notify
   * function's messages, `alarm` for CloudWatch alarm actions. Set by the world.
   */
  kind: string;
  /** For alarm notifications: the alarm and its new state. */
  alarm?: { readonly name: string; readonly state: string };
  /** The message's String/Number attributes (`audience`, ...). */
  readonly attributes: Readonly<Record<string, string>>;
  /** The subscriptions it was delivered to (their filter policies passed it). */
  readonly deliveries: readonly Delivery[];
  /** The Lambda invocation and the execution that published it (set by the world). */
  invocationId?: number;
  executionName?: string;
}

const invalid = (message: string) => awsError('sns', 'InvalidParameter', `Invalid parameter: ${message}`);

/** The message's attributes as SNS checks them (DataType and value required). */
function parseAttributes(
  attributes: Record<string, MessageAttributeValue> | undefined,
): Record<string, string> {
  const parsed: Record<string, string> = {};
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (!value.DataType)
      throw invalid(`The message attribute '${name}' must contain non-empty message attribute type.`);
    const type = value.DataType.split('.')[0];
    if (type === 'Binary') {
      throw new UnmodelledCommandError(`the sandbox's SNS does not model Binary message attribute ${name}`);
    }
    if (type !== 'String' && type !== 'Number') {
      throw invalid(
        `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`,
      );
    }
    if (value.StringValue === undefined || value.StringValue === '') {
      throw invalid(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${value.DataType}'.`,
      );
    }
    if (type === 'Number' && !Number.isFinite(Number(value.StringValue))) {
      throw invalid(`Could not cast message attribute '${name}' value to number.`);
    }
    parsed[name] = value.StringValue;
  }
  return parsed;
}

/** Whether a message with `attributes` passes `policy` (none: everything passes). */
export function matchesFilterPolicy(
  policy: FilterPolicy | undefined,
  attributes: Readonly<Record<string, string>>,
): boolean {
  if (!policy) return true;
  return Object.entries(policy).every(([key, accepted]) => {
    const value = attributes[key];
    if (value === undefined) return false;
    return accepted.some((candidate) =>
      typeof candidate === 'number' ? Number(value) === candidate : value === candidate,
    );
  });
}

export class SnsModel {
  readonly topics = new Set<string>();
  readonly messages: PublishedMessage[] = [];
  readonly subscriptions: Subscription[] = [];
  private sequence = 0;

  constructor(private readonly now: () => number) {}

  /** Subscribes an endpoint (the stack's subscriptions); operators in the policy are not modelled. */
  subscribe(
    topicArn: string,
    protocol: Subscription['protocol'],
    endpoint: string,
    filterPolicy?: FilterPolicy,
  ): Subscription {
    if (!this.topics.has(topicArn)) throw awsError('sns', 'NotFound', 'Topic does not exist');
    for (const [key, values] of Object.entries(filterPolicy ?? {})) {
      if (!Array.isArray(values) || values.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
        throw new UnmodelledCommandError(
          `the sandbox's SNS models exact-value filter policies only, not the one on ${key}`,
        );
      }
    }
    const subscription: Subscription = {
      arn: `${topicArn}:${crypto.randomUUID()}`,
      topicArn,
      protocol,
      endpoint,
      ...(filterPolicy ? { filterPolicy } : {}),
    };
    this.subscriptions.push(subscription);
    return subscription;
  }

  /**
   * The stack's subscriptions from the config (infra/constructs/alarm-topic.ts): every e-mail
   * address unfiltered, every SMS number with {@link PAGER_FILTER_POLICY} (the audience contract).
   */
  subscribeFromConfig(topicArn: string, config: Config): void {
    for (const email of config.notifications.emails) this.subscribe(topicArn, 'email', email);
    for (const number of config.notifications.smsNumbers) {
      this.subscribe(topicArn, 'sms', number, PAGER_FILTER_POLICY);
    }
  }

  publish(
    input: PublishCommandInput,
    publisher: string,
  ): { output: Output<PublishCommandOutput>; message: PublishedMessage } {
    for (const field of ['TargetArn', 'PhoneNumber', 'MessageGroupId', 'MessageDeduplicationId'] as const) {
      if (input[field] !== undefined)
        throw new UnmodelledCommandError(`the sandbox's SNS does not model Publish.${field}`);
    }
    if (!input.TopicArn || !this.topics.has(input.TopicArn)) {
      throw awsError('sns', 'NotFound', 'Topic does not exist');
    }
    if (input.Message === undefined || input.Message === '') throw invalid('Empty message');
    if (Buffer.byteLength(input.Message, 'utf8') > 262_144) throw invalid('Message too long');
    const subject = input.Subject;
    if (subject !== undefined) {
      // SNS: ASCII, starting with a letter, number or punctuation, no line breaks, under 100 chars.
      if (subject.length === 0 || subject.length >= 100 || !/^[\x21-\x7e][\x20-\x7e]*$/.test(subject)) {
        throw invalid('Subject');
      }
    }
    let email = input.Message;
    let sms = input.Message;
    if (input.MessageStructure !== undefined) {
      if (input.MessageStructure !== 'json') throw invalid('MessageStructure');
      let bodies: unknown;
      try {
        bodies = JSON.parse(input.Message);
      } catch {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      if (!bodies || typeof bodies !== 'object' || Array.isArray(bodies)) {
        throw invalid('Message Structure - JSON message body failed to parse');
      }
      const record = bodies as Record<string, unknown>;
      if (typeof record.default !== 'string') {
        throw invalid('Message Structure - No default entry in JSON message body');
      }
      for (const [protocol, body] of Object.entries(record)) {
        if (typeof body !== 'string')
          throw invalid(`Message Structure - the ${protocol} entry must be a string`);
      }
      email = (record.email as string | undefined) ?? record.default;
      sms = (record.sms as string | undefined) ?? record.default;
    }
    const attributes = parseAttributes(input.MessageAttributes);
    const deliveries = this.subscriptions
      .filter((sub) => sub.topicArn === input.TopicArn && matchesFilterPolicy(sub.filterPolicy, attributes))
      .map((sub) => ({ subscriptionArn: sub.arn, protocol: sub.protocol, endpoint: sub.endpoint }));
    this.sequence += 1;
    const messageId = `00000000-0000-4000-8000-${this.sequence.toString(16).padStart(12, '0')}`;
    const message: PublishedMessage = {
      at: this.now(),
      topicArn: input.TopicArn,
      messageId,
      subject,
      email,
      sms,
      publisher,
      attributes,
      deliveries,
      kind: 'unknown',
    };
    this.messages.push(message);
    return { output: { MessageId: messageId }, message };
  }
}
