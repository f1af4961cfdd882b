/**
 * `npm run cost -- [--config PATH] [--json] [--table]`: the monthly bill of the configured
 * deployment at list price (us-east-1, no free tier), computed from the templates the real CDK app
 * synthesizes for the config and from a healthy tick measured on the sandbox; the marginal cost of
 * one more link (cost(n+1) - cost(n)); the same design with a STANDARD Monitor; and the seed
 * article's always-on t2.nano. `--table` prices 1, 10 and 200 copies of the config's first link.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseConfig } from '#shared/config.ts';
import { SECOND_REGION, scaledConfig } from './configs.ts';
import { billOf, costReport } from './report.ts';
import { seedCost } from './seed.ts';

const money = (usd: number) => `$${usd.toFixed(2)}`;

function printReport(report: Awaited<ReturnType<typeof costReport>>): void {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(`VPN Guard monthly bill: ${report.links} link(s), ${report.region}`);
  out();
  for (const line of report.lines) {
    out(
      `  ${line.service.padEnd(22)} ${money(line.monthlyUsd).padStart(8)}  ${line.item} [${line.quantity} ${line.unit}]`,
    );
  }
  out();
  for (const [service, usd] of Object.entries(report.breakdown))
    out(`  ${service.padEnd(22)} ${money(usd).padStart(8)}`);
  out();
  out(
    `  total                  ${money(report.monthlyUsd).padStart(8)}  (dashboard within the account's 3 free)`,
  );
  out(
    `  total, dashboard billed ${money(report.monthlyUsdWithDashboards).padStart(7)}  ($3 a dashboard beyond the 3 free)`,
  );
  out(`  each extra link        ${money(report.perLinkMarginalUsd).padStart(8)}  (${report.marginalLink})`);
  out();
  out('  options (a month):');
  for (const [level, usd] of Object.entries(report.options.monitorLogging)) {
    out(`    Monitor logging ${level}: ${money(usd)}`);
  }
  out(`    X-Ray tracing (one trace a tick): ${money(report.options.tracing)}`);
  out(
    `    customer managed key for the topic: ${money(report.options.customerManagedKey)} (topicEncryption "none" saves it)`,
  );
  out(`    dashboard beyond the account's 3 free: ${money(report.options.dashboardBeyondFree)}`);
  if (report.synthNote) out(`  note: ${report.synthNote}`);
  out();
  out(`  same design, STANDARD Monitor: ${money(report.standardTick.monthlyUsd)}`);
  out(`  the seed article's t2.nano setup: ${money(report.seed.monthlyUsd)}`);
  for (const assumption of report.seed.assumptions) out(`    - ${assumption}`);
  out();
  out(
    `  tick: ${report.tick.lambdaInvocations} invocations, ${report.tick.customMetrics} custom metrics, ${report.tick.putMetricDataRequests} PutMetricData, Monitor log ${report.tick.monitorLogBytes} B (${report.tick.monitorLogLevel}), function logs ${report.tick.functionLogBytes} B, ${report.tick.billedDurationMs} ms x ${report.tick.billedMemoryMb} MB billed`,
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      config: { type: 'string', default: 'config/example.json' },
      json: { type: 'boolean', default: false },
      table: { type: 'boolean', default: false },
    },
  });
  const path = values.config ?? 'config/example.json';
  const config = parseConfig(JSON.parse(readFileSync(path, 'utf8')), path);
  if (values.table) {
    const rows = [];
    let first: number | undefined;
    for (const count of [1, 10, 200]) {
      const scaled = scaledConfig(config, count);
      const { bill, standard, synthNote } = await billOf(scaled);
      first ??= bill.monthlyUsd;
      rows.push({
        links: count,
        vpcs: new Set(scaled.links.map((link) => link.canary.vpcId)).size,
        regions: new Set(scaled.links.map((link) => link.vpn.region)).size,
        monthlyUsd: bill.monthlyUsd,
        monthlyUsdWithDashboards: bill.monthlyUsdWithDashboards,
        perLinkUsd: Math.round((bill.monthlyUsd / count) * 10_000) / 10_000,
        averageMarginalUsd:
          count === 1 ? null : Math.round(((bill.monthlyUsd - first) / (count - 1)) * 10_000) / 10_000,
        standardMonitorUsd: standard.monthlyUsd,
        seedUsd: seedCost(count).monthlyUsd,
        breakdown: bill.breakdown,
        ...(synthNote !== undefined && { note: synthNote }),
      });
    }
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ config: path, secondRegion: SECOND_REGION, rows }, null, 2)}\n`,
      );
      return;
    }
    process.stdout.write(
      `links | VPCs | Regions | monthly | with dashboard billed | per link | each link past the first | STANDARD Monitor | seed t2.nano\n`,
    );
    for (const row of rows) {
      process.stdout.write(
        `${row.links} | ${row.vpcs} | ${row.regions} | ${money(row.monthlyUsd)} | ${money(row.monthlyUsdWithDashboards)} | ${money(row.perLinkUsd)} | ${row.averageMarginalUsd === null ? '-' : money(row.averageMarginalUsd)} | ${money(row.standardMonitorUsd)} | ${money(row.seedUsd)}\n`,
      );
    }
    for (const row of rows) if (row.note) process.stdout.write(`${row.links} links: ${row.note}\n`);
    return;
  }
  const report = await costReport(config);
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else printReport(report);
}

await main().catch((error: unknown) => {
  process.stderr.write(`npm run cost: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
