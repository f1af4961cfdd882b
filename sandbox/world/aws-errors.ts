/**
 * Errors as the real SDK v3 clients throw them: instances of each service's ServiceException class
 * (or its modelled subclass), with AWS's own error names, so product code that matches by `name` or
 * by `instanceof` sees exactly what it would in AWS.
 */
import { AutoScalingServiceException } from '@aws-sdk/client-auto-scaling';
import { CloudWatchServiceException } from '@aws-sdk/client-cloudwatch';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  ConditionalCheckFailedException,
  DynamoDBServiceException,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { EC2ServiceException } from '@aws-sdk/client-ec2';
import {
  ExecutionAlreadyExists,
  InvalidExecutionInput,
  InvalidName,
  SFNServiceException,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { SNSServiceException } from '@aws-sdk/client-sns';
import * as Ssm from '@aws-sdk/client-ssm';

/** The AWS services the world serves (as the product's clients name them). */
export const SERVICES = ['ec2', 'autoscaling', 'cloudwatch', 'dynamodb', 'sns', 'sfn', 'ssm'] as const;
export type Service = (typeof SERVICES)[number];

type Fault = 'client' | 'server';

const metadata = (httpStatusCode: number) => ({
  httpStatusCode,
  requestId: `sandbox-${Math.random().toString(16).slice(2, 10)}`,
  attempts: 1,
  totalRetryDelay: 0,
});

/** An AWS error of `service` with AWS's error `name`. */
export function awsError(service: Service, name: string, message: string, fault: Fault = 'client'): Error {
  // EC2 answers a dry run with HTTP 412 (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html).
  const status =
    fault === 'server' ? (name.includes('Unavailable') ? 503 : 500) : name === 'DryRunOperation' ? 412 : 400;
  const options = { name, message, $fault: fault, $metadata: metadata(status) };
  switch (service) {
    case 'ec2':
      return new EC2ServiceException(options);
    case 'autoscaling':
      return new AutoScalingServiceException(options);
    case 'cloudwatch':
      return new CloudWatchServiceException(options);
    case 'sns':
      return new SNSServiceException(options);
    case 'dynamodb':
      if (name === 'ResourceNotFoundException') {
        return new ResourceNotFoundException({ message, $metadata: metadata(400) });
      }
      if (name === 'ProvisionedThroughputExceededException') {
        return new ProvisionedThroughputExceededException({ message, $metadata: metadata(400) });
      }
      return new DynamoDBServiceException(options);
    case 'sfn':
      switch (name) {
        case 'ExecutionAlreadyExists':
          return new ExecutionAlreadyExists({ message, $metadata: metadata(400) });
        case 'StateMachineDoesNotExist':
          return new StateMachineDoesNotExist({ message, $metadata: metadata(400) });
        case 'InvalidName':
          return new InvalidName({ message, $metadata: metadata(400) });
        case 'InvalidExecutionInput':
          return new InvalidExecutionInput({ message, $metadata: metadata(400) });
        default:
          return new SFNServiceException(options);
      }
    case 'ssm': {
      // SSM's modelled exceptions (InvalidInstanceId, InvocationDoesNotExist, ...) by name, so
      // `instanceof` works as with the real client; any other name as the base exception.
      const Modelled = (Ssm as unknown as Record<string, unknown>)[name];
      if (typeof Modelled === 'function' && Modelled.prototype instanceof Ssm.SSMServiceException) {
        const Exception = Modelled as new (o: { message: string; $metadata: object }) => Error;
        return new Exception({ message, $metadata: metadata(status) });
      }
      return new Ssm.SSMServiceException(options);
    }
  }
}

/** DynamoDB's failed condition, with the item when ReturnValuesOnConditionCheckFailure asked for it. */
export function conditionalCheckFailed(item?: Record<string, AttributeValue>): Error {
  return new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: metadata(400),
    ...(item ? { Item: item } : {}),
  });
}

/** The error each service answers when its API is throttled. */
export const THROTTLING_ERROR: Readonly<Record<Service, string>> = {
  ec2: 'RequestLimitExceeded',
  autoscaling: 'Throttling',
  cloudwatch: 'Throttling',
  sns: 'Throttling',
  dynamodb: 'ProvisionedThroughputExceededException',
  sfn: 'ThrottlingException',
  // https://docs.aws.amazon.com/systems-manager/latest/APIReference/CommonErrors.html
  ssm: 'ThrottlingException',
};

/** The error each service answers when its API is unavailable (a 5xx). */
export const UNAVAILABLE_ERROR: Readonly<Record<Service, string>> = {
  ec2: 'Unavailable',
  autoscaling: 'ServiceUnavailable',
  cloudwatch: 'ServiceUnavailable',
  sns: 'InternalError',
  dynamodb: 'InternalServerError',
  sfn: 'ServiceUnavailable',
  // SSM's modelled 500 (e.g. API_SendCommand.html, Errors: InternalServerError).
  ssm: 'InternalServerError',
};

/**
 * A command or parameter the world does not model. It fails loudly, never pretends to succeed: a
 * product change that sends something new must extend the world (and so its tests) first.
 */
export class UnmodelledCommandError extends Error {
  override readonly name = 'UnmodelledCommandError';
}

/** The scenario or the world was misused (a bug in a test or a scenario, not an AWS error). */
export class WorldError extends Error {
  override readonly name = 'WorldError';
}
