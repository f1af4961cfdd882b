/**
 * The Remediation execution's state document as notify reads it: `$.context` from ValidateInput and
 * one key per step that ran. Read leniently, section by section: notify runs on the failure path
 * too, where any later section may be missing, and a malformed section must never stop the page.
 */
import * as z from 'zod';
import { TRIGGERS } from '#shared/execution-name.ts';

const notes = z.array(z.string()).catch([]);

/** `$.context`, as ValidateInput resolved it (always present once notify runs). */
export const ContextSchema = z.looseObject({
  link: z.string(),
  trigger: z.enum(TRIGGERS),
  dryRun: z.boolean(),
  reason: z.string(),
  executionId: z.string(),
  executionName: z.string(),
  startedAt: z.string(),
});

const RouteChangeSchema = z.object({
  routeTableId: z.string(),
  destinationCidrBlock: z.string(),
  from: z.object({ target: z.string().nullable(), state: z.string().nullable() }).nullable(),
  to: z.object({ networkInterfaceId: z.string() }),
  action: z.enum(['replace', 'create', 'unchanged']),
});

/** The sections notify uses, each optional and parsed on its own. */
export const SECTION_SCHEMAS = {
  lock: z.looseObject({ decision: z.string(), holder: z.string().nullable(), notes }),
  budget: z.looseObject({
    decision: z.string(),
    attemptsInWindow: z.number(),
    maxAttemptsPer24h: z.number(),
    cooldownUntil: z.string().nullable(),
    nextAttemptAt: z.string().nullable(),
    /** Runs in a row that failed before changing anything, before this one (absent before Dec 2026). */
    unchangedFailures: z.number().optional(),
    notes,
  }),
  health: z.looseObject({ notes }),
  before: z.looseObject({
    instanceId: z.string().nullable(),
    lastTerminatedInstanceId: z.string().nullable().optional(),
    elasticIp: z.looseObject({ publicIp: z.string().nullable() }),
    notes,
  }),
  replace: z.looseObject({ action: z.string(), oldInstanceId: z.string().nullable(), notes }),
  replacement: z.looseObject({ newInstanceId: z.string().nullable(), notes }),
  configure: z.looseObject({
    instanceId: z.string().nullable(),
    sourceDestCheck: z.looseObject({ action: z.string() }),
    elasticIp: z.looseObject({ publicIp: z.string().nullable(), action: z.string() }),
    notes,
  }),
  repoint: z.looseObject({ routes: z.array(RouteChangeSchema), notes }),
  verify: z.looseObject({ timeToRecoverSeconds: z.number().nullable(), notes }),
  failure: z.looseObject({ failedState: z.string(), attempt: z.string().optional() }),
  error: z.looseObject({ Error: z.string(), Cause: z.string().optional() }),
} as const;

type Sections = { [K in keyof typeof SECTION_SCHEMAS]?: z.output<(typeof SECTION_SCHEMAS)[K]> };

/** The state document, as far as it could be read. */
export interface RemediationState extends Sections {
  readonly context: z.output<typeof ContextSchema>;
}

/** Reads each known section of the state; a missing or malformed one is left out. */
export function readState(
  state: { context: z.output<typeof ContextSchema> } & Record<string, unknown>,
): RemediationState {
  const sections: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(SECTION_SCHEMAS)) {
    const parsed = schema.safeParse(state[key]);
    if (parsed.success) sections[key] = parsed.data;
  }
  return { ...(sections as Sections), context: state.context };
}
