/**
 * X-Ray tracing of the state machines, from the config (`tracing.enabled`, off by default). The
 * functions' side is in guard-function.ts (Lambda active tracing) and functions/shared/tracing.ts.
 */
import type { IConstruct } from 'constructs';
import type { Config } from '#shared/config.ts';
import { acknowledge } from '../nag.ts';

/** Where X-Ray's price comes from (checked 2026-12): $5.00 per million traces recorded. */
export const XRAY_PRICING_URL = 'https://aws.amazon.com/xray/pricing/';

/**
 * Whether a state machine traces its executions. With tracing off, cdk-nag's AwsSolutions-SF2 (a
 * state machine without X-Ray) is acknowledged on it with the reason: it is the operator's choice.
 */
export function stateMachineTracing(config: Config, stateMachine: IConstruct): boolean {
  if (!config.tracing.enabled) {
    acknowledge(
      stateMachine,
      'AwsSolutions-SF2',
      `X-Ray tracing is a config option (tracing.enabled), off by default: X-Ray bills each trace recorded ($5.00 per million, ${XRAY_PRICING_URL}) and the Monitor starts one execution a minute per deployment.`,
    );
  }
  return config.tracing.enabled;
}
