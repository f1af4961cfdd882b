/**
 * notify: one SNS message per remediation outcome (the Remediation machine's announcements), and
 * the remediation-watch rule's target for executions that ended FAILED, TIMED_OUT or ABORTED.
 * Config: runtimeConfig() (bundled). Env: TOPIC_ARN; LOCK_TABLE_NAME (the incident's pages, the
 * at-most-once claims and the watch's lock release; without it notify still publishes, paging
 * whatever could be a page).
 * An announcement returns `{ messageId, subject, report }`; the ASL keeps `report` (the
 * RemediationReport) as the execution's output. A status change returns a {@link WatchResult}.
 */
import { dynamoClient, sfnClient, snsClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { announce, type NotifyDeps, type NotifyResult } from './announce.ts';
import { type NotifyInput, NotifyInputSchema, type StatusChangeEvent } from './schema.ts';
import { onStatusChange, type WatchResult } from './watch.ts';

export type { NotifyResult } from './announce.ts';

const isStatusChange = (input: NotifyInput): input is StatusChangeEvent =>
  (input as { source?: unknown }).source === 'aws.states';

/** The Lambda entry point. */
export const handler = taskHandler(
  NotifyInputSchema,
  async (input, { signal }): Promise<NotifyResult | WatchResult> => {
    const tableName = process.env.LOCK_TABLE_NAME;
    const deps: NotifyDeps = {
      sns: snsClient(),
      topicArn: requireEnv('TOPIC_ARN'),
      table: tableName ? { client: dynamoClient(), tableName } : null,
      namespace: runtimeConfig().namespace,
      signal,
      now: () => new Date(),
    };
    if (isStatusChange(input)) return onStatusChange({ ...deps, sfn: sfnClient() }, input);
    return announce(deps, input);
  },
);
