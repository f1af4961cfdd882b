/**
 * Benchmarks (never part of `npm test`'s pass/fail): `npm run bench`.
 *   1. cost model of the shipped example config and of 10 links;
 *   2. pure tick cost: building the datums of N links and batching them;
 *   3. the canary's TCP handshake against a loopback listener (per-probe time);
 *   4. whole scenarios on the sandbox: real ASL and handlers over the simulated AWS (wall time per
 *      tick, heap growth), including the default drill.
 * Everything talks to loopback only.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '#shared/config.ts';
import { dashboardMonthlyUsd, monthlyCost } from './cost-model.ts';
import { benchDetection, DETECTION_TIMINGS } from './detection.ts';
import { benchDatums, benchProbe, benchScenario, distinctLinks } from './workloads.ts';

function table(rows: Record<string, string | number>[]): void {
  console.table(rows);
}

async function main(): Promise<void> {
  const example = parseConfig(JSON.parse(readFileSync('config/example.json', 'utf8')), 'config/example.json');
  console.log('\n## 1. Monthly cost at list prices (us-east-1, no free tier)\n');
  const one = monthlyCost(example);
  table(
    one.lines.map((line) => ({ item: line.item, quantity: line.quantity, usd: line.monthlyUsd.toFixed(2) })),
  );
  console.log(
    `1 link: $${one.totalUsd.toFixed(2)}/month (+ $${dashboardMonthlyUsd.toFixed(2)} for the optional dashboard)`,
  );
  const ten = parseConfig(
    {
      ...JSON.parse(readFileSync('config/example.json', 'utf8')),
      links: distinctLinks(example.links[0], 10),
    },
    '10 links',
  );
  const tenCost = monthlyCost(ten);
  console.log(`10 links: $${tenCost.totalUsd.toFixed(2)}/month, $${tenCost.perLinkUsd.toFixed(2)} per link`);

  console.log('\n## 2. Datums of one tick (pure), 1,000 links\n');
  table([await benchDatums(1000, 200)]);

  console.log('\n## 3. Canary TCP handshake to a loopback listener\n');
  const server = createServer((socket) => socket.destroy()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  table([await benchProbe(port, 500)]);
  server.close();

  console.log('\n## 4. Scenarios on the sandbox (real ASL + handlers, simulated AWS, loopback canary)\n');
  const started = performance.now();
  const rows = [];
  for (const name of ['healthy-steady-state', 'gateway-instance-dies', 'two-links-one-failing']) {
    rows.push(await benchScenario(name));
  }
  table(rows);

  console.log('\n## 5. Time from the failure to the start of the fix (simulated s, target <= 90 s)\n');
  console.log('Sandbox timings that shape it (sandbox/README.md):');
  table(DETECTION_TIMINGS.map((t) => ({ ...t })));
  const detection = [];
  for (const offset of [6, 15, 25, 35, 45, 55, 0]) detection.push(await benchDetection(offset));
  table(detection);
  const fixes = detection
    .map((row) => row['fix started (s)'])
    .filter((v): v is number => typeof v === 'number');
  const worst = fixes.length === detection.length ? Math.max(...fixes) : Number.NaN;
  console.log(
    `worst case ${Number.isNaN(worst) ? 'n/a (a run made no change)' : `${worst} s`}; median ${fixes.sort((a, b) => a - b)[Math.floor(fixes.length / 2)] ?? 'n/a'} s: ${worst <= 90 ? 'within' : 'NOT within'} the 90 s target`,
  );
  console.log(`\nbench finished in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

await main();
