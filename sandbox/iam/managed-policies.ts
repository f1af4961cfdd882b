/**
 * The AWS managed policies a role of the stack may attach, with the statements AWS documents for
 * them (AWS Managed Policy Reference). VPN Guard's GuardFunction attaches none (its roles carry
 * inline policies only), so these exist for a construct that would attach one; any other managed
 * policy fails loudly instead of being guessed.
 */
import type { PolicyStatement } from './evaluate.ts';
import { UnsupportedPolicyError } from './evaluate.ts';

const MANAGED: Readonly<Record<string, readonly PolicyStatement[]>> = {
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaBasicExecutionRole.html
  'service-role/AWSLambdaBasicExecutionRole': [
    {
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: '*',
    },
  ],
  // https://docs.aws.amazon.com/aws-managed-policy/latest/reference/AWSLambdaVPCAccessExecutionRole.html
  'service-role/AWSLambdaVPCAccessExecutionRole': [
    {
      Sid: 'AWSLambdaVPCAccessExecutionPermissions',
      Effect: 'Allow',
      Action: [
        'logs:CreateLogGroup',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'ec2:CreateNetworkInterface',
        'ec2:DescribeNetworkInterfaces',
        'ec2:DescribeSubnets',
        'ec2:DeleteNetworkInterface',
        'ec2:AssignPrivateIpAddresses',
        'ec2:UnassignPrivateIpAddresses',
      ],
      Resource: '*',
    },
  ],
};

/** The statements of an AWS managed policy by ARN (`arn:aws:iam::aws:policy/<path/name>`). */
export function managedPolicyStatements(arn: string): readonly PolicyStatement[] {
  const name = /^arn:[^:]+:iam::aws:policy\/(.+)$/.exec(arn)?.[1];
  const statements = name === undefined ? undefined : MANAGED[name];
  if (!statements) {
    throw new UnsupportedPolicyError(
      `the sandbox's IAM model does not know the managed policy ${arn}: add its documented statements to sandbox/iam/managed-policies.ts`,
    );
  }
  return statements;
}
