/**
 * notify: one SNS message per remediation outcome. Config: runtimeConfig() (bundled). Env: TOPIC_ARN.
 * Returns `{ messageId, subject, report }`; the ASL keeps `report` (the RemediationReport) as the
 * execution's output.
 */
import { snsClient } from '#shared/clients.ts';
import { taskHandler } from '#shared/middleware.ts';
import { requireEnv, runtimeConfig } from '#shared/runtime-config.ts';
import { publishNotification } from './adapters.ts';
import { renderNotification } from './message.ts';
import { buildReport, type RemediationReport } from './report.ts';
import { NotifyInputSchema } from './schema.ts';
import { readState } from './state.ts';

/** notify's output. */
export interface NotifyResult {
  readonly messageId: string | null;
  readonly subject: string;
  readonly report: RemediationReport;
}

/** The Lambda entry point. */
export const handler = taskHandler(NotifyInputSchema, async (input, { signal }): Promise<NotifyResult> => {
  const { report, details } = buildReport(input.outcome, readState(input.state), new Date());
  const rendered = renderNotification(report, details, runtimeConfig().namespace);
  const messageId = await publishNotification(snsClient(), requireEnv('TOPIC_ARN'), rendered, { signal });
  return {
    messageId,
    subject: rendered.subject,
    report: { ...report, notification: { subject: rendered.subject, messageId } },
  };
});
