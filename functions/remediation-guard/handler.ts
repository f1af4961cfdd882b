/**
 * remediation-guard: the Remediation machine's gatekeeper (validate, lock, budget, health verdicts).
 * Config: runtimeConfig() (bundled). Env: LOCK_TABLE_NAME, LOCK_TTL_SECONDS. The canary functions
 * come in the validate payload (substituted into the Remediation definition by the stack).
 * Env is read at the first invocation that needs it, so `validate` never touches AWS.
 */
import { dynamoClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { acquireLock, checkBudget, releaseLock } from './actions.ts';
import type { LockTable } from './adapters.ts';
import { evaluateHealth } from './health.ts';
import { GuardInputSchema } from './schema.ts';
import { parseCanaryFunctions, resolveRequest } from './validate.ts';

const lockTable = (): LockTable => ({ client: dynamoClient(), tableName: requireEnv('LOCK_TABLE_NAME') });

function lockTtlSeconds(): number {
  const ttl = Number(requireEnv('LOCK_TTL_SECONDS'));
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('LOCK_TTL_SECONDS must be a positive whole number');
  return ttl;
}

/** The Lambda entry point: one action per invocation. */
export const handler = taskHandler(GuardInputSchema, async (input, { signal }) => {
  const config = runtimeConfig();
  const settings = config.remediation;
  const now = new Date();
  switch (input.action) {
    case 'validate':
      return resolveRequest(input.input, config, parseCanaryFunctions(input.canaryFunctions), input);
    case 'acquire-lock':
      return acquireLock(lockTable(), { ...input, now, ttlSeconds: lockTtlSeconds() }, { signal });
    case 'check-budget':
      return checkBudget(lockTable(), { ...input, now, settings }, { signal });
    case 'release-lock':
      return releaseLock(lockTable(), { ...input, now, settings }, { signal });
    case 'evaluate-health':
      return evaluateHealth({ ...input, now, verifyTimeoutMinutes: settings.verifyTimeoutMinutes });
  }
});
