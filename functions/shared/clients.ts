/**
 * One SDK client per AWS service, created once per Lambda container. No endpoint is ever set here:
 * the SDK's own AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_<SERVICE> variables keep working.
 */
import { AutoScalingClient } from '@aws-sdk/client-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';

// A task Lambda has a small time budget and Step Functions retries with backoff, so the SDK's
// own retries stay short.
const common = { maxAttempts: 2 } as const;

const ec2ByRegion = new Map<string, EC2Client>();

/** EC2 client for a Region (the VPN's Region for tunnel checks, the home Region for the gateway). */
export function ec2Client(region: string): EC2Client {
  let client = ec2ByRegion.get(region);
  if (!client) {
    client = new EC2Client({ ...common, region });
    ec2ByRegion.set(region, client);
  }
  return client;
}

let autoScaling: AutoScalingClient | undefined;
let cloudWatch: CloudWatchClient | undefined;
let dynamo: DynamoDBClient | undefined;
let sns: SNSClient | undefined;
let sfn: SFNClient | undefined;
let ssm: SSMClient | undefined;

/** Auto Scaling client in the home Region. */
export const autoScalingClient = (): AutoScalingClient => {
  autoScaling ??= new AutoScalingClient(common);
  return autoScaling;
};
/** CloudWatch client in the home Region. */
export const cloudWatchClient = (): CloudWatchClient => {
  cloudWatch ??= new CloudWatchClient(common);
  return cloudWatch;
};
/** DynamoDB client in the home Region. */
export const dynamoClient = (): DynamoDBClient => {
  dynamo ??= new DynamoDBClient(common);
  return dynamo;
};
/** SNS client in the home Region. */
export const snsClient = (): SNSClient => {
  sns ??= new SNSClient(common);
  return sns;
};
/** Step Functions client in the home Region. */
export const sfnClient = (): SFNClient => {
  sfn ??= new SFNClient(common);
  return sfn;
};
/** SSM client in the home Region (the restart-IPsec rung). */
export const ssmClient = (): SSMClient => {
  ssm ??= new SSMClient(common);
  return ssm;
};
