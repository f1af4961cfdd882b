/**
 * Who a notification is for (contract shared by notify, infra and the sandbox's SNS model).
 *
 * One SNS topic carries every message. Each message VPN Guard publishes carries the message
 * attribute `audience`: `pager` for the two messages a phone should get per incident ("link down,
 * remediation started/paged" and "recovered / failed / exhausted"), `log` for everything else.
 * SMS subscriptions carry the filter policy {@link PAGER_FILTER_POLICY}, so they receive only
 * `pager` messages; CloudWatch alarm notifications carry no attributes and therefore never reach a
 * filtered (SMS) subscription. E-mail (and chat) subscriptions have no filter and receive all.
 * (SNS: "a subscription with a filter policy receives only the messages that match it"; a message
 * without the attribute does not match: https://docs.aws.amazon.com/sns/latest/dg/sns-message-filtering.html)
 */
export const AUDIENCE_ATTRIBUTE = 'audience';

export const AUDIENCES = ['pager', 'log'] as const;
export type Audience = (typeof AUDIENCES)[number];

/** The filter policy of every SMS subscription (MessageAttributes scope, the SNS default). */
export const PAGER_FILTER_POLICY: Readonly<Record<string, readonly string[]>> = {
  [AUDIENCE_ATTRIBUTE]: ['pager'],
};
