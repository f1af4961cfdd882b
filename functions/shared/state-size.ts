/**
 * The Monitor's state size: Step Functions refuses a state's input or output (and a task's result)
 * over 256 KiB with States.DataLimitExceeded, and every tick would then fail. What the Monitor
 * carries grows with the config (links, their names, Regions, canary VPCs, targets per link), so
 * the config schema computes an upper bound of its largest state from the config and refuses a
 * config whose bound passes the limit (less a margin), naming the limit, the value and the fix.
 *
 * The bound is built from the JSON each function returns at its worst (longest names, every figure
 * at its widest, every link failing, every error at its cap); test/unit/state-size.test.ts runs the
 * real functions on such inputs and holds their JSON to these figures, so a field added to an output
 * without updating this file fails that test. Error texts that travel in the state are capped by the
 * product ({@link capMessage}, {@link boundError}); those AWS writes itself (Lambda's timeouts and
 * service errors, Step Functions' States.*) are short fixed texts, within {@link causeMaxBytes}.
 *
 * Not counted: the raw result of a Lambda task before its ResultSelector (the Payload plus Lambda's
 * response metadata, under a kilobyte; covered by the margin). start-remediation gives the Monitor
 * only `started` and `already` (its handler's `forMonitor`), which are counted, so its raw result is
 * within the bound too.
 *
 * Pure: the schema (functions/shared/config.ts) and the tests use it.
 */
import { MAX_ATTEMPT, remediationExecutionName } from './execution-name.ts';

/** Step Functions' payload quota, with its source. */
export const STATE_PAYLOAD_LIMIT = {
  max: 262_144,
  what: 'Maximum input or output size for a task, state, or execution (256 KiB of UTF-8)',
  source: 'https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html',
} as const;

/**
 * The share of the limit a config's bound may use: the rest is headroom for what the bound cannot
 * see (Lambda's response metadata around a task's Payload, a Cause longer than AWS usually writes).
 */
export const STATE_PAYLOAD_MARGIN = 0.9;

/** The most a config's bound may reach: {@link STATE_PAYLOAD_MARGIN} of the limit. */
export const STATE_PAYLOAD_BUDGET_BYTES = Math.floor(STATE_PAYLOAD_LIMIT.max * STATE_PAYLOAD_MARGIN);

/**
 * A Region's read error (check-tunnel's `regions[]`, one per Region) is cut to this many characters.
 */
export const ERROR_MESSAGE_MAX_CHARS = 400;

/** How a task function's thrown errors are cut before Lambda reports them (see {@link boundError}). */
export interface ErrorBound {
  /** The message's most characters. */
  readonly maxChars: number;
  /** Printable ASCII without quotes ({@link capMessage}) rather than the error's own text ({@link capText}). */
  readonly plain: boolean;
}

/**
 * ping-canary's thrown errors: one Cause per canary VPC can sit in the Monitor's state at once (the
 * Map's output), so they are short and plain.
 */
export const CANARY_ERROR_BOUND: ErrorBound = { maxChars: 400, plain: true };

/**
 * check-tunnel's and start-remediation's: one Cause each at most (the tunnel branch's, the remediation
 * trigger's), so they keep their own words (quotes included) and more of them.
 */
export const MONITOR_ERROR_BOUND: ErrorBound = { maxChars: 2000, plain: false };

/**
 * A per-link failure's message in a function's result (a canary link it could not judge, a link
 * whose Region's read failed) is cut to this many characters: one per link, so it is most of the
 * state when every link fails. The whole text is in the function's log.
 */
export const FAILURE_MESSAGE_MAX_CHARS = 200;

/** An error name that travels in the state (ours are short class names) is cut to this many characters. */
export const ERROR_NAME_MAX_CHARS = 64;

const TRUNCATED = ' [truncated]';

/** Half a surrogate pair on its own (JSON writes it as a six-byte `\\udXXX`). */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - TRUNCATED.length))}${TRUNCATED}`.slice(0, max);
}

/**
 * A text as an error may carry it into a state: at most `max` characters, the cut marked, its
 * control characters other than tab and line breaks (which JSON would write as six-byte `\u00XX`)
 * and any lone surrogate as `?`. So each character is at most 3 bytes of JSON (a non-ASCII one), or
 * 4 once the text sits in a Cause that is itself a JSON string (a `"` becomes `\\\"`). Quotes and
 * line breaks stay: these are the error's own words.
 */
export function capText(text: string, max: number): string {
  const wellFormed = text.replace(LONE_SURROGATE, '?');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what is replaced
  return cut(wellFormed.replace(/[\x00-\x08\x0b\x0c\x0e-\x1f]/g, '?'), max).replace(LONE_SURROGATE, '?');
}

/**
 * A text the product composes for a per-link entry of a result: whitespace runs as one space, `"`
 * as `'`, `\\` as `/`, every other character outside printable ASCII as `?` (so its JSON is its
 * length and two quotes), and at most `max` characters, the cut marked. The whole text still goes to
 * the function's log.
 */
export function capMessage(text: string, max = FAILURE_MESSAGE_MAX_CHARS): string {
  const printable = text
    .replace(/\s+/g, ' ')
    .replaceAll('"', "'")
    .replaceAll('\\', '/')
    .replace(/[^\x20-\x7e]/g, '?');
  return cut(printable, max);
}

/**
 * The error as it may leave a task handler. Lambda's response for a failed invocation carries
 * `errorType` (the name), `errorMessage` and `trace` (the stack's lines), and Step Functions makes
 * that response the `Cause` a Catch copies into the state: the name (plain, ours are class names)
 * and the message are capped as `bound` says, and the stack is the name alone (the message is not
 * repeated, the frames are in the log: the caller logs the whole error first). The same error
 * (class, name) is returned when it can be changed in place.
 * https://docs.aws.amazon.com/lambda/latest/dg/nodejs-exceptions.html
 */
export function boundError(error: unknown, bound: ErrorBound): unknown {
  if (!(error instanceof Error)) return error;
  const name = capMessage(String(error.name), ERROR_NAME_MAX_CHARS);
  const text = String(error.message);
  const message = bound.plain ? capMessage(text, bound.maxChars) : capText(text, bound.maxChars);
  try {
    if (error.name !== name) error.name = name;
    if (error.message !== message) error.message = message;
    error.stack = name;
    if (error.name === name && error.message === message && error.stack === name) return error;
  } catch {
    // A read-only property (a frozen error): replace it by a plain one below.
  }
  const bounded = new Error(message);
  bounded.name = name;
  bounded.stack = name;
  return bounded;
}

/** The bytes of a value's compact JSON in UTF-8, as Step Functions counts a payload. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** A {@link capMessage} text at its widest: `chars` characters, one byte of JSON each. */
function widest(chars: number): string {
  return 'x'.repeat(chars);
}

/** A {@link capText} text at its widest in a state: three bytes of UTF-8 each. */
function widestText(chars: number): string {
  return '\u20ac'.repeat(chars);
}

/** The same inside a Cause (a JSON string in the state): `"` is four bytes there (`\\\"`). */
function widestCauseText(chars: number): string {
  return '"'.repeat(chars);
}

/** The widest count below `max + 1` (same digits as `max`, all nines). */
function widestCount(max: number): number {
  return 10 ** String(Math.max(0, Math.floor(max))).length - 1;
}

/**
 * A latency or RTT at its widest: rounded to 0.1 ms and under 100 s (the Monitor's tasks time out
 * at 30 s), so at most 7 characters of JSON.
 */
export const WIDEST_MS = 99_999.9;
/** A percentage rounded to 0.01 at its widest (5 characters). */
export const WIDEST_PERCENT = 33.33;
/** An ISO timestamp as the functions write it (`toISOString`). */
export const WIDEST_ISO = '2026-12-01T18:10:23.456Z';

/**
 * A Cause a Catch copies into the state, at its widest: Lambda's response for an error a handler
 * threw after {@link boundError} (`{"errorType","errorMessage","trace"}`, every text at its cap), as
 * the JSON string the state holds, in bytes.
 */
export function causeMaxBytes(bound: ErrorBound): number {
  const message = bound.plain ? widest(bound.maxChars) : widestCauseText(bound.maxChars);
  return jsonBytes(
    JSON.stringify({
      errorType: widest(ERROR_NAME_MAX_CHARS),
      errorMessage: message,
      trace: [widest(ERROR_NAME_MAX_CHARS)],
    }),
  );
}

/** A caught error's name at its widest (ours are capped; Step Functions' and Lambda's are short). */
const WIDEST_ERROR = widest(ERROR_NAME_MAX_CHARS);
/** `{ name, message }` of a failed read as check-tunnel returns it, at its widest. */
const WIDEST_REGION_ERROR = {
  name: widestText(ERROR_NAME_MAX_CHARS),
  message: widestText(ERROR_MESSAGE_MAX_CHARS),
};
/** The same for one link of a failed Region (one copy per link: plain ASCII, the message shorter). */
const WIDEST_LINK_ERROR = { name: widest(ERROR_NAME_MAX_CHARS), message: widest(FAILURE_MESSAGE_MAX_CHARS) };
/** A Cause string as wide as `bound` allows (its JSON in the state is causeMaxBytes(bound) bytes). */
const widestCause = (bound: ErrorBound): string => 'x'.repeat(causeMaxBytes(bound) - 2);

/** The widest Lambda function ARN (function names are at most 64 characters). */
export const WIDEST_FUNCTION_ARN = `arn:aws-us-gov:lambda:ap-southeast-5:123456789012:function:${'f'.repeat(64)}`;
/** A link's remediation execution name at its widest (a manual run's, at the last attempt). */
export function widestExecutionName(link: string): string {
  return remediationExecutionName(link, 'manual', new Date(Date.UTC(2026, 11, 31, 23, 59, 59)), MAX_ATTEMPT);
}

/** Its execution ARN at its widest (state machine names are at most 80 characters). */
export function widestExecutionArn(link: string): string {
  return `arn:aws-us-gov:states:ap-southeast-5:123456789012:execution:${'m'.repeat(80)}:${widestExecutionName(link)}`;
}

/** The Monitor's CollectionIncomplete summary is cut to this many characters (publish-metric). */
export const SUMMARY_MAX_CHARS = 2000;

/** What the bound reads of a link (a `LinkConfig` is one). */
export interface StateSizeLink {
  readonly name: string;
  readonly vpn: { readonly region: string; readonly vpnConnectionIds: readonly unknown[] };
  readonly canary: { readonly vpcId: string; readonly targets: readonly unknown[] };
}

/** One link's canary figures (ping-canary's `links[]` entry) at their widest. */
export function widestCanaryFigures(link: StateSizeLink) {
  const count = widestCount(link.canary.targets.length);
  return {
    link: link.name,
    success: false,
    targetsUp: count,
    targetsTotal: count,
    minTargetsUp: count,
    latencyMs: WIDEST_MS,
    minMs: WIDEST_MS,
    maxMs: WIDEST_MS,
    lossPercent: WIDEST_PERCENT,
  };
}

/** One link the canary could not judge (ping-canary's `failures[]` entry) at its widest. */
export function widestCanaryFailure(link: StateSizeLink) {
  return { link: link.name, error: 'CanaryError', message: widest(FAILURE_MESSAGE_MAX_CHARS) };
}

/** One link's tunnel figures (check-tunnel's `links[]` entry, read) at their widest. */
export function widestTunnelFigures(link: StateSizeLink) {
  const count = widestCount(link.vpn.vpnConnectionIds.length * 2);
  return {
    link: link.name,
    region: link.vpn.region,
    ok: true,
    tunnelsUp: count,
    tunnelsTotal: count,
    minTunnelsUp: count,
    healthy: false,
  };
}

/** One link whose Region's read failed (check-tunnel's `links[]` entry) at its widest. */
export function widestTunnelFailure(link: StateSizeLink) {
  return { link: link.name, region: link.vpn.region, ok: false, error: WIDEST_LINK_ERROR };
}

/** One VPN Region's check (check-tunnel's `regions[]` entry) at its widest (failed). */
export function widestRegionCheck(region: string) {
  return { region, ok: false, latencyMs: WIDEST_MS, error: WIDEST_REGION_ERROR };
}

/** The bytes of a JSON array whose entries are `sizes` (commas included). */
function arrayBytes(sizes: readonly number[]): number {
  return 2 + sizes.reduce((sum, size) => sum + size, 0) + Math.max(0, sizes.length - 1);
}

/** An object's JSON with one array field replaced by an array of entries of the given sizes. */
function withArray(shape: Record<string, unknown>, field: string, sizes: readonly number[]): number {
  return jsonBytes({ ...shape, [field]: [] }) - 2 + arrayBytes(sizes);
}

/** The parts of the bound, each in bytes of JSON, for the message and the tests. */
export interface MonitorStateBound {
  /** CollectTelemetry's output, `{ tunnels, canaries }`. */
  readonly telemetryBytes: number;
  readonly tunnelsBytes: number;
  /** Per canary VPC: its branch at its widest (figures of every link, or the caught failure). */
  readonly canaryBytesByVpc: ReadonlyMap<string, number>;
  /** PublishMetrics' ResultPath (`published`) and StartRemediation's (`published.remediation`) or its Catch. */
  readonly publishedBytes: number;
  /** The largest state input-derived (CollectTelemetry's input with a caught error). */
  readonly inputStateBytes: number;
  /** The largest state of a tick: the maximum of the above compositions. */
  readonly largestBytes: number;
}

/** A `$.error` a Catch writes (`{ Error, Cause }`) at its widest. */
const widestCaught = (bound: ErrorBound) => ({ Error: WIDEST_ERROR, Cause: widestCause(bound) });

/**
 * An upper bound of the Monitor's largest state for these links, composed as
 * statemachines/monitor.asl.json composes it: CollectTelemetry's output `{ tunnels, canaries }`
 * (check-tunnel's result or its caught failure; one canary branch per VPC, ping-canary's result or
 * its caught failure), PublishMetrics adding `published` (`collectionComplete`, `summary`,
 * `documents`), StartRemediationForUnhealthyLinks adding `published.remediation` (`started`,
 * `already`: at most one execution per link) or, caught, `remediationError`. Each branch is counted
 * at the larger of its two shapes, each entry at its widest.
 */
export function monitorStateBound(links: readonly StateSizeLink[]): MonitorStateBound {
  const regions = [...new Set(links.map((link) => link.vpn.region))];
  const vpcs = [...new Set(links.map((link) => link.canary.vpcId))];

  const tunnelsOk = jsonBytes({
    ok: true,
    result: {
      checkedAt: WIDEST_ISO,
      regions: regions.map(widestRegionCheck),
      links: links.map((link) =>
        jsonBytes(widestTunnelFigures(link)) >= jsonBytes(widestTunnelFailure(link))
          ? widestTunnelFigures(link)
          : widestTunnelFailure(link),
      ),
    },
  });
  const tunnelsFailed = jsonBytes({
    ok: false,
    error: WIDEST_ERROR,
    cause: widestCause(MONITOR_ERROR_BOUND),
  });
  const tunnelsBytes = Math.max(tunnelsOk, tunnelsFailed);

  const canaryBytesByVpc = new Map<string, number>();
  for (const vpcId of vpcs) {
    const inVpc = links.filter((link) => link.canary.vpcId === vpcId);
    // Each link is either judged (links[]) or not (failures[]): counted at the wider of the two.
    const perLink = inVpc.map((link) =>
      Math.max(jsonBytes(widestCanaryFigures(link)), jsonBytes(widestCanaryFailure(link))),
    );
    const ok =
      jsonBytes({ ok: true, result: { vpcId, probedAt: WIDEST_ISO, links: [], failures: [] } }) +
      perLink.reduce((sum, size) => sum + size, 0) +
      Math.max(0, perLink.length - 1);
    const failed = jsonBytes({
      ok: false,
      vpcId,
      links: inVpc.map((link) => link.name),
      error: WIDEST_ERROR,
      cause: widestCause(CANARY_ERROR_BOUND),
    });
    canaryBytesByVpc.set(vpcId, Math.max(ok, failed));
  }
  const canariesBytes = arrayBytes([...canaryBytesByVpc.values()]);
  const telemetryBytes = jsonBytes({ tunnels: 0, canaries: 0 }) - 2 + tunnelsBytes + canariesBytes;

  const remediation = jsonBytes({
    started: links.map((link) => ({
      link: link.name,
      executionName: widestExecutionName(link.name),
      executionArn: widestExecutionArn(link.name),
    })),
    already: [],
  });
  const published = {
    collectionComplete: false,
    // Its texts are capText's (a Region's error) at worst: three bytes a character.
    // (+1: the cut may leave half a surrogate pair, six bytes as \\udXXX.)
    summary: widestText(SUMMARY_MAX_CHARS + 1),
    documents: widestCount(regions.length + links.length),
  };
  const withRemediation = jsonBytes({ ...published, remediation: 0 }) - 1 + remediation;
  const caught =
    jsonBytes({ published, remediationError: widestCaught(MONITOR_ERROR_BOUND) }) - jsonBytes({ published });
  const publishedBytes = Math.max(withRemediation, jsonBytes(published) + Math.max(0, caught));
  // { tunnels, canaries, published: {..., remediation} } or { ..., published, remediationError }.
  const afterRemediation = telemetryBytes - 1 + jsonBytes({ published: 0 }) - 2 + publishedBytes + 1;

  const group = (vpcId: string) => ({
    vpcId,
    functionName: WIDEST_FUNCTION_ARN,
    links: links.filter((link) => link.canary.vpcId === vpcId).map((link) => link.name),
  });
  const input = withArray(
    {},
    'canaryGroups',
    vpcs.map((vpcId) => jsonBytes(group(vpcId))),
  );
  // CheckTunnels' Catch (the canary Map's items carry one group each, smaller).
  const inputStateBytes = input - 1 + jsonBytes({ error: widestCaught(MONITOR_ERROR_BOUND) });

  return {
    telemetryBytes,
    tunnelsBytes,
    canaryBytesByVpc,
    publishedBytes,
    inputStateBytes,
    largestBytes: Math.max(afterRemediation, inputStateBytes),
  };
}
