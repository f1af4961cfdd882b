/** The workloads `npm run bench` measures. Loopback only. */
import { performance } from 'node:perf_hooks';
import type { TunnelCheckResult } from '#functions/check-tunnel/types.ts';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import { datumGroups, tickDatums } from '#functions/publish-metric/datums.ts';
import { type LinkConfig, parseConfig } from '#shared/config.ts';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function timings(label: string, samples: number[], extra: Record<string, string | number> = {}) {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    workload: label,
    runs: samples.length,
    'p50 ms': percentile(sorted, 50).toFixed(3),
    'p95 ms': percentile(sorted, 95).toFixed(3),
    'max ms': (sorted.at(-1) ?? Number.NaN).toFixed(3),
    ...extra,
  };
}

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
          latencyMs: 70,
          minMs: 60,
          maxMs: 80,
          lossPercent: 0,
          targets: [],
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
  return timings(`datums for ${links} links`, samples, { 'EMF documents': calls });
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
  const sortedRtt = [...rtts].sort((a, b) => a - b);
  return timings('probe 127.0.0.1 (connect + close)', samples, {
    'median RTT ms': percentile(sortedRtt, 50).toFixed(3),
  });
}

/**
 * A whole scenario on the sandbox: real ASL, real handlers, simulated AWS, loopback canary.
 * Reports wall time per simulated monitor tick and the heap growth over the run.
 */
export async function benchScenario(name: string) {
  const { loadScenario } = await import('#sandbox/scenario/load.ts');
  const { runScenario } = await import('#sandbox/scenario/run.ts');
  const heapBefore = process.memoryUsage().heapUsed;
  const started = performance.now();
  const result = await runScenario(loadScenario(name));
  const wallMs = performance.now() - started;
  return {
    workload: `scenario ${name}`,
    'simulated min': result.durationSeconds / 60,
    'monitor ticks': result.monitorRuns,
    remediations: result.remediations.length,
    'wall s': (wallMs / 1000).toFixed(2),
    'ms per tick': (wallMs / Math.max(1, result.monitorRuns)).toFixed(1),
    'heap growth MB': ((process.memoryUsage().heapUsed - heapBefore) / 2 ** 20).toFixed(1),
    'expectations met': result.ok ? 'yes' : 'NO',
  };
}
