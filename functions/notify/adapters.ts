/** SNS publish, typed: one message with per-protocol bodies (SMS gets one short line). */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { NotificationError, rethrowAs } from '#shared/errors.ts';
import type { RenderedNotification } from './message.ts';

/** Publishes the notification; returns the SNS message id. */
export async function publishNotification(
  client: SNSClient,
  topicArn: string,
  notification: RenderedNotification,
  { signal }: { signal: AbortSignal },
): Promise<string | null> {
  const output = await client
    .send(
      new PublishCommand({
        TopicArn: topicArn,
        Subject: notification.subject,
        MessageStructure: 'json',
        Message: JSON.stringify({
          default: notification.text,
          email: notification.text,
          sms: notification.sms,
        }),
      }),
      { abortSignal: signal },
    )
    .catch((error: unknown) =>
      rethrowAs(
        error,
        (message, options) => new NotificationError(message, options),
        `SNS Publish to ${topicArn}`,
      ),
    );
  return output.MessageId ?? null;
}
