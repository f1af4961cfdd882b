/**
 * An EventBridge rule delivering an event to its Lambda target, as AWS documents each step, with
 * the delivery settings the deployed template gives the rule target and the function (read by
 * sandbox/iam/deployment.ts; without a template, IAM off, AWS's defaults and no queues):
 *
 * 1. EventBridge invokes the function asynchronously. A refused invoke (the function's
 *    resource-based policy does not let the rule) is not retried: EventBridge sends the event to
 *    the target's dead-letter queue at once, with the attributes RULE_ARN, TARGET_ARN, ERROR_CODE
 *    and ERROR_MESSAGE, if the queue policy lets it, and drops it otherwise
 *    (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-dlq.html). An accepted invoke
 *    is a delivered event: whatever the function does with it, the rule's DLQ never sees it.
 * 2. Lambda's asynchronous queue runs the function. A function error (the code threw, or timed out)
 *    is retried `MaximumRetryAttempts` times (default 2), one minute and then two minutes later
 *    (the world's `asyncRetrySeconds`); a throttle or a Lambda system error goes back to the queue
 *    and is retried with a backoff from 1 s doubling up to 5 minutes, until the event is
 *    `MaximumEventAgeInSeconds` old (default 6 hours)
 *    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html).
 * 3. An event that failed every attempt, or grew too old, goes to the function's on-failure
 *    destination as an invocation record (the request, the response, the condition
 *    `RetriesExhausted` or `EventAgeExceeded`), which Lambda sends with the function's execution
 *    role; else to the function's dead-letter queue (the event only); else Lambda discards it
 *    (https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html). A record
 *    the role may not send is lost (Lambda counts DestinationDeliveryFailures).
 *
 * Only SQS queues of the stack are modelled as a DLQ or destination (the stack uses no other kind).
 */
import { localLambdaContext } from '../local-sfn.ts';
import { WorldError } from './aws-errors.ts';
import type { WorldContext } from './context.ts';
import { functionNameOf } from './lambda-metrics.ts';
import type { Lambdas } from './lambdas.ts';

/** Lambda's defaults for asynchronous invocation (invocation-async-configuring.html). */
export const LAMBDA_ASYNC_DEFAULTS = { maximumRetryAttempts: 2, maximumEventAgeSeconds: 6 * 3600 } as const;
/** A world function's id, for the world's events (its local ARN names it `vpn-guard-<id>`: infra/asl.ts). */
const shortName = (functionArn: string) => functionNameOf(functionArn).replace(/^vpn-guard-/, '');
/** The ceiling of Lambda's backoff for throttles and system errors, seconds. */
const MAX_BACKOFF_SECONDS = 300;

/** What a delivery is about, for the world's events. */
export interface DeliveryLabel {
  /** e.g. `the status change "…"`. */
  readonly what: string;
  readonly link?: string;
  /** The Remediation execution the event is about (the invocation's caller context). */
  readonly executionName?: string;
}

export class RuleDelivery {
  private requests = 0;

  constructor(
    private readonly world: WorldContext,
    private readonly lambdas: Lambdas,
  ) {}

  /** The stack's rule that targets `functionArn` delivers `event`. */
  deliver(functionArn: string, event: unknown, label: DeliveryLabel): void {
    const { iam } = this.world;
    const name = shortName(functionArn);
    const deployment = iam.enabled ? iam.deployment() : undefined;
    const rule = deployment?.rules.find((r) => r.targets.includes(functionArn));
    const target = rule?.targetDetails.find((t) => t.arn === functionArn);
    this.world.emit('trigger', `EventBridge rule delivers ${label.what} to ${name}`, label.link);
    const denied = iam.invokeDenial(functionArn, { via: 'eventbridge' });
    if (denied) {
      this.world.emit('trigger', `EventBridge could not invoke ${name}: ${denied.message}`, label.link);
      if (!rule || !target?.deadLetterArn) {
        this.world.emit(
          'trigger',
          `the event is dropped: the rule target has no dead-letter queue`,
          label.link,
        );
        return;
      }
      const dlqDenied = iam.deadLetterDenial(rule.arn, target.deadLetterArn);
      if (dlqDenied) {
        this.world.emit(
          'trigger',
          `the event is lost (InvocationsFailedToBeSentToDLQ): ${dlqDenied}`,
          label.link,
        );
        return;
      }
      this.queue(target.deadLetterArn).send(
        JSON.stringify(event),
        {
          RULE_ARN: rule.arn,
          TARGET_ARN: functionArn,
          ERROR_CODE: 'NO_PERMISSIONS',
          ERROR_MESSAGE: denied.message,
        },
        'events.amazonaws.com',
      );
      this.world.emit('trigger', `EventBridge sent the event to the rule's dead-letter queue`, label.link);
      return;
    }
    const config = deployment?.asyncInvokeConfigs.get(functionArn);
    const retries = config?.maximumRetryAttempts ?? LAMBDA_ASYNC_DEFAULTS.maximumRetryAttempts;
    const maxAgeMs = (config?.maximumEventAgeSeconds ?? LAMBDA_ASYNC_DEFAULTS.maximumEventAgeSeconds) * 1000;
    const requestId = `00000000-0000-4000-a000-${String(++this.requests).padStart(12, '0')}`;
    const { clock, timing } = this.world;
    const queuedAt = clock.now();
    clock
      .spawn(`asynchronous invocation of ${name} (${label.what})`, async (activity) => {
        let functionErrors = 0;
        let backoff = 1;
        for (let attempt = 1; ; attempt++) {
          try {
            await this.lambdas.invoke(functionArn, structuredClone(event), localLambdaContext(functionArn), {
              via: 'eventbridge',
              ...(label.executionName ? { executionName: label.executionName } : {}),
            });
            return;
          } catch (error) {
            const end = this.lambdas.endOf(error) ?? 'function-error';
            const failure = error instanceof Error ? error : new Error(String(error));
            this.world.emit('trigger', `${name} failed on ${label.what}: ${failure.name}`, label.link);
            let wait: number;
            if (end === 'function-error') {
              if (functionErrors >= retries) {
                this.discard(
                  functionArn,
                  event,
                  { requestId, attempt, condition: 'RetriesExhausted', failure },
                  label,
                );
                return;
              }
              wait = timing.asyncRetrySeconds[functionErrors] ?? timing.asyncRetrySeconds.at(-1) ?? 60;
              functionErrors += 1;
            } else {
              wait = backoff;
              backoff = Math.min(backoff * 2, MAX_BACKOFF_SECONDS);
            }
            if (clock.now() + wait * 1000 - queuedAt > maxAgeMs) {
              this.discard(
                functionArn,
                event,
                { requestId, attempt, condition: 'EventAgeExceeded', failure },
                label,
              );
              return;
            }
            await activity.sleep(wait);
          }
        }
      })
      .catch((error) => this.world.fail(error));
  }

  /** An event Lambda gives up on: the on-failure destination, else the function's DLQ, else nothing. */
  private discard(
    functionArn: string,
    event: unknown,
    end: {
      requestId: string;
      attempt: number;
      condition: 'RetriesExhausted' | 'EventAgeExceeded';
      failure: Error;
    },
    label: DeliveryLabel,
  ): void {
    const { iam } = this.world;
    const name = shortName(functionArn);
    const deployment = iam.enabled ? iam.deployment() : undefined;
    const destination = deployment?.asyncInvokeConfigs.get(functionArn)?.onFailure;
    const deadLetter = deployment?.functionDeadLetters.get(functionArn);
    if (destination) {
      const denied = iam.destinationDenial(functionArn, destination);
      if (denied) {
        this.world.emit(
          'trigger',
          `Lambda could not send ${name}'s invocation record (DestinationDeliveryFailures): ${denied}`,
          label.link,
        );
        return;
      }
      // The invocation record's shape: invocation-async-retain-records.html, "Invocation record".
      const record = {
        version: '1.0',
        timestamp: new Date(this.world.clock.now()).toISOString(),
        requestContext: {
          requestId: end.requestId,
          functionArn: `${functionArn}:$LATEST`,
          condition: end.condition,
          approximateInvokeCount: end.attempt,
        },
        requestPayload: event,
        responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
        responsePayload: { errorType: end.failure.name, errorMessage: end.failure.message },
      };
      this.queue(destination).send(JSON.stringify(record), {}, `lambda:${name}`);
      this.world.emit(
        'trigger',
        `Lambda gave up on ${label.what} (${end.condition}) and sent the record to ${name}'s on-failure destination`,
        label.link,
      );
      return;
    }
    if (deadLetter) {
      this.queue(deadLetter).send(
        JSON.stringify(event),
        { RequestID: end.requestId, ErrorCode: '200', ErrorMessage: end.failure.message },
        `lambda:${name}`,
      );
      this.world.emit('trigger', `Lambda gave up on ${label.what} and sent it to ${name}'s DLQ`, label.link);
      return;
    }
    this.world.emit(
      'trigger',
      `Lambda discarded ${label.what} (${end.condition}): ${name} has no on-failure destination or DLQ`,
      label.link,
    );
  }

  private queue(arn: string): {
    send: (body: string, attributes: Record<string, string>, sender: string) => void;
  } {
    const { sqs } = this.world;
    if (!sqs.has(arn)) {
      throw new WorldError(`the sandbox models SQS queues of the stack as DLQs and destinations, not ${arn}`);
    }
    return { send: (body, attributes, sender) => sqs.send(arn, body, attributes, sender) };
  }
}
