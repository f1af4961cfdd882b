/**
 * The cost report of a config: the bill from the templates the real CDK app synthesizes and a
 * healthy tick measured on the sandbox; the marginal link (cost(n+1) - cost(n)); the same design
 * with a STANDARD Monitor; the seed article's always-on t2.nano.
 */

import type { CfnTemplate } from '#sandbox/iam/template.ts';
import type { Config } from '#shared/config.ts';
import { withOneMoreLink } from './configs.ts';
import { measureHealthyTick, type TickMeasurement } from './measure.ts';
import { type Bill, DURATION_MODEL, executionLogBytes, functionLogLevel, priceDeployment } from './model.ts';
import { PRICES } from './prices.ts';
import { SEED_ASSUMPTIONS, seedCost } from './seed.ts';
import { synthesizeTemplates, TOO_MANY_RESOURCES } from './template.ts';

/** The bill of one config, the same design on a STANDARD Monitor, and what each option costs. */
export async function billOf(config: Config): Promise<{
  bill: Bill;
  standard: Bill;
  options: OptionCosts;
  /** Set when the app's one stack is past CloudFormation's 500 resources (priced, not deployable). */
  synthNote?: string;
}> {
  let templates: CfnTemplate[];
  let synthNote: string | undefined;
  try {
    templates = await synthesizeTemplates(config);
  } catch (error) {
    if (!TOO_MANY_RESOURCES.test((error as Error).message)) throw error;
    templates = await synthesizeTemplates(config, { ignoreResourceLimit: true });
    synthNote = `not deployable as built: ${(error as Error).message.split(':').slice(1, 3).join(':').trim()}; priced with CDK's resource-limit check off and the sandbox's IAM off`;
  }
  const tick = await measureHealthyTick(config, functionLogLevel(templates), {
    iam: synthNote === undefined,
  });
  if (tick.status !== 'SUCCEEDED') {
    throw new Error(`the measured healthy tick ended ${tick.status}: the sandbox run is not a healthy tick`);
  }
  if (tick.calls.some((call) => call.command === 'StartExecution')) {
    throw new Error(
      'the measured tick started a remediation: the sandbox world is not healthy for this config',
    );
  }
  const bill = priceDeployment(templates, tick, { schedule: config.schedule });
  return {
    bill,
    standard: priceDeployment(templates, tick, { schedule: config.schedule, monitorAsStandard: true }),
    options: optionCosts(bill, tick),
    ...(synthNote !== undefined && { synthNote }),
  };
}

/** What each option costs a month, from the same measured tick. */
export interface OptionCosts {
  /** The Monitor's execution log at each logging level (the tick's real history). */
  readonly monitorLogging: Readonly<Record<string, number>>;
  /** X-Ray: one trace a tick when tracing is on. */
  readonly tracing: number;
  /** A customer managed key for the topic. */
  readonly customerManagedKey: number;
  /** A dashboard beyond the account's three free ones. */
  readonly dashboardBeyondFree: number;
}

function optionCosts(bill: Bill, tick: TickMeasurement): OptionCosts {
  const ticks = bill.tick.ticksPerMonth;
  const logUsd = (level: string, data: boolean) =>
    Math.round(
      ((executionLogBytes(tick.history, level, data).bytes * ticks) / 1024 ** 3) *
        PRICES.logsIngestPerGb.usd *
        10_000,
    ) / 10_000;
  return {
    monitorLogging: {
      'ALL with execution data': logUsd('ALL', true),
      ALL: logUsd('ALL', false),
      'ERROR (healthy ticks)': logUsd('ERROR', true),
    },
    tracing: Math.round((ticks / 1e6) * PRICES.xrayTracePerMillion.usd * 10_000) / 10_000,
    customerManagedKey: PRICES.kmsKeyMonth.usd,
    dashboardBeyondFree: PRICES.dashboardMonth.usd,
  };
}

/** The full report of one config (what `npm run cost -- --json` prints); `bills` prices one config. */
export async function costReport(config: Config, bills: typeof billOf = billOf) {
  const { bill, standard, options, synthNote } = await bills(config);
  const next = await bills(withOneMoreLink(config));
  const seed = seedCost(config.links.length);
  return {
    region:
      'us-east-1 list prices (every resource is in the home Region; not priced per Region), no free tier',
    links: config.links.length,
    monthlyUsd: bill.monthlyUsd,
    monthlyUsdWithDashboards: bill.monthlyUsdWithDashboards,
    perLinkMarginalUsd: Math.round((next.bill.monthlyUsd - bill.monthlyUsd) * 10_000) / 10_000,
    marginalLink:
      'a copy of the last link (own gateway, Elastic IP, VPN connection, CIDR) in the same VPC and VPN Region',
    breakdown: bill.breakdown,
    lines: bill.lines,
    tick: bill.tick,
    standardTick: { monthlyUsd: standard.monthlyUsd, breakdown: standard.breakdown },
    options,
    ...(synthNote !== undefined && { synthNote }),
    seed: { monthlyUsd: seed.monthlyUsd, lines: seed.lines, assumptions: SEED_ASSUMPTIONS },
    durationModel: DURATION_MODEL,
    prices: PRICES,
  };
}
