/** Small text helpers shared by the notification and the step notes. Pure. */

/** `252` → `4 min 12 s`; `45` → `45 s`; `3600` → `60 min 0 s`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const minutes = Math.floor(whole / 60);
  const rest = whole % 60;
  return minutes > 0 ? `${minutes} min ${rest} s` : `${rest} s`;
}

/** `2026-11-26T20:29:38.123Z` → `2026-11-26 20:29:38 UTC`. */
export function formatUtc(iso: string): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  return `${at.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/**
 * A Step Functions error object (`{ Error, Cause }`) as one line. A Lambda's Cause is a JSON string
 * `{"errorType","errorMessage",...}` in AWS (the local runner passes the bare message): use the message.
 */
export function describeStepError(error: unknown): { name: string; message: string } {
  if (error === null || typeof error !== 'object') return { name: 'UnknownError', message: String(error) };
  const record = error as Record<string, unknown>;
  const name = typeof record.Error === 'string' ? record.Error : 'UnknownError';
  const cause = typeof record.Cause === 'string' ? record.Cause : '';
  return { name, message: causeMessage(cause) };
}

function causeMessage(cause: string): string {
  if (!cause.startsWith('{')) return cause;
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : cause;
  } catch {
    return cause;
  }
}
