/**
 * Every list price the cost model uses, in one place: US East (N. Virginia), on-demand, no free
 * tier, USD. Each entry names its source page and the day it was read. A figure that differs by
 * Region is the us-east-1 one; the model does not price per Region (every resource of the stack
 * is in the home Region, priced here as us-east-1).
 */

/** One price: the figure, its unit, where it comes from and when it was read. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
  readonly read: string;
}

const READ = '2026-12-01';
const CLOUDWATCH = 'https://aws.amazon.com/cloudwatch/pricing/';
const STEP_FUNCTIONS = 'https://aws.amazon.com/step-functions/pricing/';
const LAMBDA = 'https://aws.amazon.com/lambda/pricing/';

const price = (usd: number, unit: string, source: string): Price => ({ usd, unit, source, read: READ });

/** The prices, by what they bill. */
export const PRICES = {
  /** First 10,000 metrics of an account; prorated by the hour a metric is published. */
  customMetricMonth: price(0.3, 'metric-month', CLOUDWATCH),
  /** PutMetricData (and GetMetricData etc.): first 1M requests of an account are free tier, not counted here. */
  putMetricDataPer1000: price(0.01, '1,000 requests', CLOUDWATCH),
  /** Standard-resolution alarm, per metric it evaluates (a metric-math alarm: per metric in the expression). */
  standardAlarmMetricMonth: price(0.1, 'alarm metric-month', CLOUDWATCH),
  /** High-resolution alarm (period under 60 s), per metric. */
  highResolutionAlarmMetricMonth: price(0.3, 'alarm metric-month', CLOUDWATCH),
  compositeAlarmMonth: price(0.5, 'composite alarm-month', CLOUDWATCH),
  /** Beyond an account's 3 free dashboards (up to 50 metrics each). */
  dashboardMonth: price(3.0, 'dashboard-month', CLOUDWATCH),
  /** Standard log class ingestion (includes EMF logs: the metrics they create are billed as custom metrics). */
  logsIngestPerGb: price(0.5, 'GB ingested', CLOUDWATCH),
  /** Archived (stored) logs, compressed. */
  logsStoragePerGbMonth: price(0.03, 'GB-month stored', CLOUDWATCH),
  expressRequestPerMillion: price(1.0, 'million Express requests', STEP_FUNCTIONS),
  /** First 1,000 GB-hours ($0.06/GB-hour = $0.00001667/GB-second); 64 MB chunks, 100 ms rounding. */
  expressGbSecond: price(0.00001667, 'GB-second', STEP_FUNCTIONS),
  standardTransitionPer1000: price(0.025, '1,000 state transitions', STEP_FUNCTIONS),
  lambdaRequestPerMillion: price(0.2, 'million requests', LAMBDA),
  lambdaArmGbSecond: price(0.0000133334, 'GB-second (arm64, first 7.5B GB-s)', LAMBDA),
  lambdaX86GbSecond: price(0.0000166667, 'GB-second (x86_64, first 6B GB-s)', LAMBDA),
  /** A customer managed key; each of its first two rotations adds $1/month (capped at $3/month). */
  kmsKeyMonth: price(1.0, 'key-month', 'https://aws.amazon.com/kms/pricing/'),
  kmsRequestPer10000: price(0.03, '10,000 requests', 'https://aws.amazon.com/kms/pricing/'),
  /** Traces recorded (the first 100,000 a month are free tier, not counted here). */
  xrayTracePerMillion: price(5.0, 'million traces recorded', 'https://aws.amazon.com/xray/pricing/'),
  /** After 14 million free invocations a month (not counted here). */
  schedulerInvocationPerMillion: price(
    1.0,
    'million invocations',
    'https://aws.amazon.com/eventbridge/pricing/',
  ),
  dynamoReadPerMillion: price(
    0.125,
    'million read request units (on-demand)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  dynamoWritePerMillion: price(
    0.625,
    'million write request units (on-demand)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  snsPublishPerMillion: price(0.5, 'million publishes', 'https://aws.amazon.com/sns/pricing/'),
  snsEmailPer100000: price(2.0, '100,000 e-mail deliveries', 'https://aws.amazon.com/sns/pricing/'),
  /** SMS to the US (varies by country and origination identity). */
  snsSmsUs: price(0.00581, 'SMS to a US number', 'https://aws.amazon.com/sns/sms-pricing/'),
  // The seed article's setup (an always-on t2.nano with a public address and its root volume).
  t2NanoHour: price(
    0.0058,
    'instance-hour (Linux, on-demand)',
    'https://aws.amazon.com/ec2/pricing/on-demand/',
  ),
  publicIpv4Hour: price(0.005, 'public IPv4 address-hour', 'https://aws.amazon.com/vpc/pricing/'),
  gp3GbMonth: price(0.08, 'GB-month (gp3)', 'https://aws.amazon.com/ebs/pricing/'),
} as const satisfies Record<string, Price>;

/** The price names. */
export type PriceName = keyof typeof PRICES;

/** Hours and minutes in the month the model bills (AWS prices by 730 hours a month). */
export const HOURS_PER_MONTH = 730;
export const MINUTES_PER_MONTH = HOURS_PER_MONTH * 60;
