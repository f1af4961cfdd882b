/**
 * SNS in the home Region: Publish to the alarm topic, recorded with what each protocol would
 * receive (MessageStructure json understood and checked as SNS checks it).
 */
import type { PublishCommandInput, PublishCommandOutput } from '@aws-sdk/client-sns';
import { awsError, UnmodelledCommandError } from './aws-errors.ts';

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
  /** The Lambda invocation and the execution that published it (set by the world). */
  invocationId?: number;
  executionName?: string;
}

const invalid = (message: string) => awsError('sns', 'InvalidParameter', `Invalid parameter: ${message}`);

export class SnsModel {
  readonly topics = new Set<string>();
  readonly messages: PublishedMessage[] = [];
  private sequence = 0;

  constructor(private readonly now: () => number) {}

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
      kind: 'unknown',
    };
    this.messages.push(message);
    return { output: { MessageId: messageId }, message };
  }
}
