/**
 * SNS publish, typed: one message with per-protocol bodies (SMS gets one short line) and the
 * `audience` message attribute (functions/shared/audience.ts), retried on transient errors.
 */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { AUDIENCE_ATTRIBUTE, type Audience } from '#shared/audience.ts';
import { isThrottling, NotificationError, rethrowAs } from '#shared/errors.ts';
import type { RenderedNotification } from './message.ts';

type Options = { signal: AbortSignal; sleep?: (ms: number) => Promise<void> };

/** SNS's server-side and transient error names (retried; anything else is final at once). */
const TRANSIENT = new Set([
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'KMSThrottlingException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
]);

/** Whether a Publish error is worth another try: throttling, a 5xx, a dropped connection. */
export function isTransientPublishError(error: unknown): boolean {
  if (isThrottling(error)) return true;
  if (!(error instanceof Error)) return false;
  if (TRANSIENT.has(error.name)) return true;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return typeof status === 'number' && status >= 500;
}

/** Tries of one Publish inside one invocation (the ASL retries the whole Notify after that). */
export const PUBLISH_TRIES = 3;
const BACKOFF_MS = [200, 600];

const realSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });

/** Publishes the notification; returns the SNS message id. */
export async function publishNotification(
  client: SNSClient,
  topicArn: string,
  notification: RenderedNotification,
  audience: Audience,
  { signal, sleep }: Options,
): Promise<string | null> {
  const command = new PublishCommand({
    TopicArn: topicArn,
    Subject: notification.subject,
    MessageStructure: 'json',
    Message: JSON.stringify({
      default: notification.text,
      email: notification.text,
      sms: notification.sms,
    }),
    MessageAttributes: { [AUDIENCE_ATTRIBUTE]: { DataType: 'String', StringValue: audience } },
  });
  for (let attempt = 1; ; attempt++) {
    try {
      const output = await client.send(command, { abortSignal: signal });
      return output.MessageId ?? null;
    } catch (error) {
      if (attempt >= PUBLISH_TRIES || !isTransientPublishError(error) || signal.aborted) {
        return rethrowAs(
          error,
          (message, options) => new NotificationError(message, options),
          `SNS Publish to ${topicArn} (${attempt} ${attempt === 1 ? 'try' : 'tries'})`,
        );
      }
      const delay = BACKOFF_MS[attempt - 1] ?? 600;
      await (sleep ? sleep(delay) : realSleep(delay, signal));
    }
  }
}
