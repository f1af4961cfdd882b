/**
 * The one way a task Lambda is wired: Powertools logger (and X-Ray tracing when the config turns it
 * on) through middy, input parsed with a zod schema (a bad payload is an InvalidInputError, never a
 * half-run), then pure logic.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod';
import { InvalidInputError } from './errors.ts';
import { logger, SERVICE_NAME } from './powertools.ts';
import { boundError, type ErrorBound } from './state-size.ts';
import { tracingMiddlewares } from './tracing.ts';

/** Keys every payload from our state machines may carry for log correlation. */
export interface Correlation {
  executionId?: string;
  link?: string;
}

/** How a task function's errors leave it. */
export interface TaskOptions {
  /**
   * Cut what a thrown error carries (name, message, stack) before Lambda reports it, logging the
   * whole error first: for the Monitor's functions, whose caught Causes sit in its state
   * (functions/shared/state-size.ts). Without it errors leave as thrown.
   */
  readonly errors?: ErrorBound;
}

/** Builds a middy handler that validates `event` with `schema` and calls `run`. */
export function taskHandler<S extends z.ZodType, R>(
  schema: S,
  run: (input: z.output<S>, tools: { signal: AbortSignal; context: Context }) => Promise<R>,
  options: TaskOptions = {},
) {
  return middy<unknown, R>({ timeoutEarlyInMillis: 500 })
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(tracingMiddlewares(SERVICE_NAME))
    .handler(async (event, context, { signal }) => {
      const correlation = (event ?? {}) as Correlation;
      logger.appendKeys({ executionId: correlation.executionId, link: correlation.link });
      try {
        const parsed = schema.safeParse(event);
        if (!parsed.success) {
          const detail = parsed.error.issues
            .map((issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`)
            .join('; ');
          throw new InvalidInputError(`invalid input: ${detail}`);
        }
        return await run(parsed.data, { signal, context });
      } catch (error) {
        if (!options.errors) throw error;
        // The Monitor's Catch copies Lambda's error response (name, message, stack) into its state
        // as the Cause: what leaves here is capped (functions/shared/state-size.ts), the whole
        // error is logged first.
        logger.error('task failed', error as Error);
        throw boundError(error, options.errors);
      }
    });
}
