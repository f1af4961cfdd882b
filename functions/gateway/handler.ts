/**
 * gateway: the remediation's hands on the gateway (home Region): describe, replace,
 * await-replacement, configure, repoint. Config: runtimeConfig() (bundled). Env: none of its own.
 */
import { autoScalingClient, ec2Client } from '#shared/clients.ts';
import { findLink } from '#shared/config.ts';
import { InvalidInputError } from '#shared/errors.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import {
  awaitReplacement,
  configureInstance,
  describeGateway,
  type GatewayDeps,
  replaceInstance,
  repointRoutes,
} from './actions.ts';
import { GatewayInputSchema } from './schema.ts';

/** The Lambda entry point: one action per invocation. */
export const handler = taskHandler(GatewayInputSchema, async (input, { signal }) => {
  const config = runtimeConfig();
  const link = findLink(config, input.link);
  if (!link) throw new InvalidInputError(`link: ${JSON.stringify(input.link)} is not a configured link`);
  // The gateway lives in the home Region: the Region this function runs in.
  const deps: GatewayDeps = {
    ec2: ec2Client(requireEnv('AWS_REGION')),
    autoScaling: autoScalingClient(),
    signal,
  };
  const now = new Date();
  switch (input.action) {
    case 'describe':
      return describeGateway(deps, link, now);
    case 'replace':
      return replaceInstance(deps, { ...input, link, now });
    case 'await-replacement':
      return awaitReplacement(deps, {
        ...input,
        link,
        now,
        timeoutMinutes: config.remediation.replacementTimeoutMinutes,
      });
    case 'configure':
      return configureInstance(deps, { ...input, link });
    case 'repoint':
      return repointRoutes(deps, { ...input, link, now: () => new Date() });
  }
});
