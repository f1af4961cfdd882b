/**
 * The one SNS topic every alarm and every remediation report goes to, encrypted with a customer
 * managed KMS key that CloudWatch may use (an alarm cannot publish to an encrypted topic otherwise),
 * or, with `notifications.topicEncryption: "none"`, without server-side encryption (TLS enforced).
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Subscription, SubscriptionFilter, SubscriptionProtocol, Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { PAGER_FILTER_POLICY } from '#shared/audience.ts';
import type { Config } from '#shared/config.ts';
import { acknowledge } from '../nag.ts';

/**
 * The SMS subscriptions' filter policy (functions/shared/audience.ts): only VPN Guard's `pager`
 * messages, at most two per incident. CloudWatch's alarm notifications carry no message attributes,
 * so they never match and reach only the unfiltered (e-mail) subscriptions
 * (https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html).
 */
export function pagerFilterPolicy(): Record<string, SubscriptionFilter> {
  return Object.fromEntries(
    Object.entries(PAGER_FILTER_POLICY).map(([attribute, values]) => [
      attribute,
      SubscriptionFilter.stringFilter({ allowlist: [...values] }),
    ]),
  );
}

export interface AlarmTopicProps {
  readonly config: Config;
}

export class AlarmTopic extends Construct {
  readonly topic: Topic;
  /** The topic's key; undefined when the config opts out of one. */
  readonly key: Key | undefined;

  constructor(scope: Construct, id: string, props: AlarmTopicProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { namespace, notifications } = props.config;

    this.key =
      notifications.topicEncryption === 'customer-managed-key'
        ? new Key(this, 'Key', {
            description: `VPN Guard (${namespace}) alarm topic encryption`,
            enableKeyRotation: true,
            // Only in-flight notifications are encrypted with it: nothing to decrypt once the stack is gone,
            // so do not leave a key billing $1 a month behind.
            removalPolicy: RemovalPolicy.DESTROY,
            pendingWindow: Duration.days(7),
          })
        : undefined;
    // CloudWatch alarms publish to the topic as the cloudwatch.amazonaws.com service; with SSE the
    // service needs the key to encrypt the message.
    this.key?.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsToUseTheKey',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );

    this.topic = new Topic(this, 'Topic', {
      displayName: `VPN Guard ${namespace}`,
      ...(this.key && { masterKey: this.key }),
      enforceSSL: true,
    });
    if (!this.key) {
      acknowledge(
        this.topic,
        'AwsSolutions-SNS2',
        'The config opts out of a customer managed key (notifications.topicEncryption "none", to save $1 a month): ' +
          'the AWS managed key for SNS cannot let CloudWatch alarms publish, so the topic has no SSE; messages carry alarm states only, and publishing requires TLS (enforceSSL).',
      );
    }
    // The topic has a resource policy (enforceSSL), so allow this account's alarms explicitly.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowThisAccountsAlarmsToPublish',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': `arn:${stack.partition}:cloudwatch:${stack.region}:${stack.account}:alarm:*`,
          },
        },
      }),
    );
    notifications.emails.forEach((email, index) => {
      new Subscription(this, `Email${index}`, {
        topic: this.topic,
        protocol: SubscriptionProtocol.EMAIL,
        endpoint: email,
      });
    });
    notifications.smsNumbers.forEach((number, index) => {
      new Subscription(this, `Sms${index}`, {
        topic: this.topic,
        protocol: SubscriptionProtocol.SMS,
        endpoint: number,
        filterPolicy: pagerFilterPolicy(),
      });
    });
  }
}
