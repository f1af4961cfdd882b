/**
 * gateway: the remediation loop's eyes, judgement and hands on the gateway (home Region): observe,
 * confirm, decide (pure), replace, configure, repoint, restart-ipsec. Config: runtimeConfig()
 * (bundled). Env: none of its own.
 */
import { autoScalingClient, ec2Client, ssmClient } from '#shared/clients.ts';
import { findLink } from '#shared/config.ts';
import { DeadlineExceededError, InvalidInputError, PreconditionRefusedError } from '#shared/errors.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import {
  configureInstance,
  type GatewayDeps,
  replaceInstance,
  repointRoutes,
  restartIpsec,
} from './actions.ts';
import { confirmUnhealthy } from './confirm.ts';
import { type DecideRequest, decide } from './decide.ts';
import { observeGateway } from './observe.ts';
import { GatewayInputSchema } from './schema.ts';

/** The Lambda entry point: one action per invocation. */
export const handler = taskHandler(GatewayInputSchema, async (input, { signal }) => {
  const config = runtimeConfig();
  const link = findLink(config, input.link);
  if (!link) throw new InvalidInputError(`link: ${JSON.stringify(input.link)} is not a configured link`);
  const now = new Date();
  // The gateway lives in the home Region: the Region this function runs in.
  const deps: GatewayDeps = {
    ec2: ec2Client(requireEnv('AWS_REGION')),
    autoScaling: autoScalingClient(),
    ssm: ssmClient(),
    signal,
  };
  switch (input.action) {
    case 'observe':
      return observeGateway({ ...deps, vpnEc2: ec2Client(link.vpn.region) }, link, now);
    case 'confirm':
      return confirmUnhealthy({ ...input, confirmSeconds: config.remediation.confirmSeconds, now });
    case 'decide': {
      const next = decide({
        ...input,
        link,
        settings: config.remediation,
        observation: input.observation as unknown as DecideRequest['observation'],
        loop: input.loop as unknown as DecideRequest['loop'],
        now,
      });
      // A page is the state's failure, with the cause naming the fact: the console, the CLI and the
      // notification all name the deciding state and the error.
      if (next.action === 'page') {
        const cause = next.cause ?? 'a human is needed';
        throw next.error === 'DeadlineExceededError'
          ? new DeadlineExceededError(cause)
          : new PreconditionRefusedError(cause);
      }
      return next;
    }
    case 'replace':
      return replaceInstance(deps, { ...input, link, now });
    case 'configure':
      return configureInstance(deps, { ...input, link });
    case 'repoint':
      return repointRoutes(deps, { ...input, link, now: () => new Date() });
    case 'restart-ipsec':
      return restartIpsec(deps, { ...input, link, now });
  }
});
