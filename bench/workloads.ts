/** The workloads `npm run bench` measures. Loopback only. */
import { performance } from 'node:perf_hooks';
import type { TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import { datumGroups, tickDatums } from '#functions/publish-metric/datums.ts';
import { type LinkConfig, parseConfig } from '#shared/config.ts';
import { type Cell, stat } from './report.ts';

/**
 * `count` copies of one link, each with its own name, gateway group, Elastic IP, VPN connection
 * and remote CIDR (config validation refuses links that share them).
 */
export function distinctLinks(link: LinkConfig | undefined, count: number): LinkConfig[] {
  if (!link) throw new Error('the config to copy has no link');
  const hex = (i: number) => i.toString(16).padStart(17, '0');
  return Array.from({ length: count }, (_, i) => ({
    ...link,
    name: `link-${i}`,
    gateway: {
      ...link.gateway,
      autoScalingGroupName: `vpn-gateway-${i}`,
      elasticIpAllocationId: `eipalloc-${hex(i)}`,
      remoteCidrs: [`10.${64 + Math.floor(i / 256)}.${i % 256}.0/24`],
    },
    vpn: { ...link.vpn, vpnConnectionIds: [`vpn-${hex(i)}`] },
  }));
}

/** Building and batching the datums of one tick for `links` links. */
export async function benchDatums(links: number, runs: number) {
  const base = JSON.parse(
    await import('node:fs').then((fs) => fs.readFileSync('config/example.json', 'utf8')),
  );
  const config = parseConfig({ ...base, links: distinctLinks(base.links[0], links) }, 'bench');
  const result: TunnelCheckResult = {
    checkedAt: new Date().toISOString(),
    regions: [...new Set(config.links.map((link) => link.vpn.region))].map((region) => ({
      region,
      ok: true as const,
      latencyMs: 40,
    })),
    links: config.links.map((link) => ({
      link: link.name,
      region: link.vpn.region,
      ok: true,
      tunnelsUp: 2,
      tunnelsTotal: 2,
      minTunnelsUp: 1,
      healthy: true,
    })),
  };
  const canaries = [
    {
      ok: true as const,
      result: {
        vpcId: 'vpc-1',
        probedAt: result.checkedAt,
        links: config.links.map((link) => ({
          link: link.name,
          success: true,
          targetsUp: 1,
          targetsTotal: 1,
          minTargetsUp: 1,
          latencyMs: 70,
          minMs: 60,
          maxMs: 80,
          lossPercent: 0,
        })),
      },
    },
  ];
  const samples: number[] = [];
  let calls = 0;
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const { datums } = tickDatums(config.links, { ok: true, result }, canaries, new Date());
    calls = datumGroups(datums).length;
    samples.push(performance.now() - started);
  }
  return {
    workload: `datums of one tick for ${links} links (pure)`,
    'ms per tick': stat(samples, 'ms'),
    'EMF documents': calls,
  } satisfies Record<string, Cell>;
}

/** One TCP handshake to a loopback listener, `runs` times in sequence. */
export async function benchProbe(port: number, runs: number) {
  const samples: number[] = [];
  const rtts: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const attempt = await probeTcp({ host: '127.0.0.1', port }, { timeoutMs: 1000 });
    samples.push(performance.now() - started);
    if (attempt.rttMs !== null) rtts.push(attempt.rttMs);
  }
  return {
    workload: 'one canary handshake to 127.0.0.1 (connect + close)',
    'probe ms': stat(samples, 'ms'),
    'handshake RTT ms': stat(rtts, 'ms'),
  } satisfies Record<string, Cell>;
}

/**
 * A whole scenario on the sandbox, `runs` times: real ASL, real handlers, simulated AWS, loopback
 * canary. Reports the wall time per simulated Monitor tick and the heap growth of the first run.
 */
export async function benchScenario(name: string, runs: number): Promise<Record<string, Cell>> {
  const { loadScenario } = await import('#sandbox/scenario/load.ts');
  const { runScenario } = await import('#sandbox/scenario/run.ts');
  const wallMs: number[] = [];
  const perTickMs: number[] = [];
  let heapGrowthMb = 0;
  let last: Awaited<ReturnType<typeof runScenario>> | undefined;
  let allMet = true;
  for (let run = 0; run < runs; run++) {
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    last = await runScenario(loadScenario(name));
    const ms = performance.now() - started;
    if (run === 0) heapGrowthMb = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    wallMs.push(ms);
    perTickMs.push(ms / Math.max(1, last.monitorRuns));
    allMet &&= last.ok;
  }
  if (!last) throw new Error(`scenario ${name} did not run`);
  return {
    workload: `scenario ${name}`,
    'simulated min': stat([last.durationSeconds / 60], 'min', { simulated: true }),
    'monitor ticks': last.monitorRuns,
    remediations: last.remediations.length,
    'wall s': stat(
      wallMs.map((ms) => ms / 1000),
      's',
    ),
    'wall ms per tick': stat(perTickMs, 'ms'),
    'heap growth MB (1st run)': Number(heapGrowthMb.toFixed(1)),
    'expectations met': allMet ? 'yes' : 'NO',
  };
}
