/**
 * The cost report of a config: the bill from the templates the real CDK app synthesizes and a
 * healthy tick measured on the sandbox; the marginal link (cost(n+1) - cost(n)); the same design
 * with a STANDARD Monitor; the seed article's always-on t2.nano.
 */
import type { Config } from '#shared/config.ts';
import { withOneMoreLink } from './configs.ts';
import { measureHealthyTick } from './measure.ts';
import { type Bill, DURATION_MODEL, functionLogLevel, priceDeployment } from './model.ts';
import { PRICES } from './prices.ts';
import { SEED_ASSUMPTIONS, seedCost } from './seed.ts';
import { synthesizeTemplates } from './template.ts';

/** The bill of one config, and the same design on a STANDARD Monitor. */
export async function billOf(config: Config): Promise<{ bill: Bill; standard: Bill }> {
  const templates = await synthesizeTemplates(config);
  const tick = await measureHealthyTick(config, functionLogLevel(templates));
  if (tick.status !== 'SUCCEEDED') {
    throw new Error(`the measured healthy tick ended ${tick.status}: the sandbox run is not a healthy tick`);
  }
  return {
    bill: priceDeployment(templates, tick, { schedule: config.schedule }),
    standard: priceDeployment(templates, tick, { schedule: config.schedule, monitorAsStandard: true }),
  };
}

/** The full report of one config (what `npm run cost -- --json` prints); `bills` prices one config. */
export async function costReport(config: Config, bills: typeof billOf = billOf) {
  const { bill, standard } = await bills(config);
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
    seed: { monthlyUsd: seed.monthlyUsd, lines: seed.lines, assumptions: SEED_ASSUMPTIONS },
    durationModel: DURATION_MODEL,
    prices: PRICES,
  };
}
