/**
 * The canary against 100 loopback targets, a third of them black-holed (issue 11, part 4): how long
 * one link's run takes with the shipped attempts and timeout. Target: within 1.2 × the timeout.
 *
 * Black holes are real: listeners in a child process that is then stopped (SIGSTOP), each accept
 * queue filled, so the kernel drops every further SYN and the canary hears nothing, as from a host
 * behind a broken tunnel. The other targets are listeners in this process that accept. Loopback
 * (127.0.0.1) only: no packet leaves the machine.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { type CanaryLink, runLinkCanary } from '#functions/ping-canary/canary.ts';
import { probeTcp } from '#functions/ping-canary/probe.ts';
import type { LinkCanaryDetail } from '#functions/ping-canary/types.ts';
import { parseConfig } from '#shared/config.ts';
import { type BenchContext, type SectionResult, stat } from './report.ts';

const HOST = '127.0.0.1';
export const TARGETS = 100;
export const BLACK_HOLED = 33;
export const TARGET_TIMEOUT_RATIO = 1.2;

/** Listeners that never complete a handshake: a stopped process, accept queues full. */
async function startBlackHoles(count: number): Promise<{ ports: number[]; dispose: () => Promise<void> }> {
  const code = `const net = require('node:net'); let left = ${count}; const ports = [];
for (let i = 0; i < ${count}; i++) { const s = net.createServer((c) => c.destroy());
  s.listen({ host: '${HOST}', port: 0, backlog: 1 }, () => { ports.push(s.address().port); if (--left === 0) process.stdout.write(ports.join(',') + '\\n'); }); }`;
  const child: ChildProcess = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: Socket[] = [];
  const dispose = async () => {
    for (const filler of fillers) filler.destroy();
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
  };
  try {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const [line] = (await once(lines, 'line')) as [string];
    lines.close();
    const ports = line.split(',').map(Number);
    child.kill('SIGSTOP');
    await waitUntilStopped(child.pid as number);
    // backlog 1 holds two connections: fill both, then the kernel drops every SYN to the port.
    for (const port of ports) {
      for (let i = 0; i < 2; i += 1) {
        const filler = new Socket();
        fillers.push(filler);
        filler.on('error', () => undefined);
        await new Promise<void>((resolve, reject) => {
          filler.once('connect', resolve);
          filler.once('error', reject);
          filler.connect({ host: HOST, port });
        });
      }
    }
    return { ports, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

async function waitUntilStopped(pid: number): Promise<void> {
  for (let i = 0; i < 1000; i += 1) {
    const state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0];
    if (state === 'T') return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`process ${pid} did not stop`);
}

async function startAccepting(count: number): Promise<{ ports: number[]; close: () => Promise<void> }> {
  const servers: Server[] = [];
  for (let i = 0; i < count; i += 1) {
    const server = createServer((socket) => socket.destroy()).listen({ host: HOST, port: 0 });
    await once(server, 'listening');
    servers.push(server);
  }
  return {
    ports: servers.map((server) => (server.address() as { port: number }).port),
    close: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** The shipped example's canary settings (attempts and timeout are the schema's defaults there). */
export function shippedCanarySettings(): { attempts: number; timeoutMs: number } {
  const config = parseConfig(JSON.parse(readFileSync('config/example.json', 'utf8')), 'config/example.json');
  const link = config.links[0];
  if (!link) throw new Error('config/example.json has no link');
  return { attempts: link.canary.attempts, timeoutMs: link.canary.timeoutMs };
}

/** Runs one 100-target link `runs` times; returns the wall times and the last report. */
export async function measureCanary(
  runs: number,
  runLink: typeof runLinkCanary = runLinkCanary,
): Promise<{
  settings: { attempts: number; timeoutMs: number };
  wallMs: number[];
  report: LinkCanaryDetail;
}> {
  const settings = shippedCanarySettings();
  const holes = await startBlackHoles(BLACK_HOLED);
  const accepting = await startAccepting(TARGETS - BLACK_HOLED);
  try {
    const link: CanaryLink = {
      name: 'bench',
      canary: {
        vpcId: 'vpc-0a1b2c3d4e5f60718',
        targets: [...accepting.ports, ...holes.ports].map((port) => ({ host: HOST, port })),
        ...settings,
      },
    };
    const wallMs: number[] = [];
    let report: LinkCanaryDetail | undefined;
    for (let run = 0; run < runs; run += 1) {
      const started = performance.now();
      report = await runLink(link, probeTcp);
      wallMs.push(performance.now() - started);
    }
    if (!report) throw new Error('no canary run');
    return { settings, wallMs, report };
  } finally {
    await accepting.close();
    await holes.dispose();
  }
}

/** The bench section. */
export async function canarySection(context: BenchContext): Promise<SectionResult> {
  const runs = Math.max(3, Math.ceil(context.runs / 2));
  const { settings, wallMs, report } = await measureCanary(runs);
  const wall = stat(wallMs, 'ms');
  const limit = TARGET_TIMEOUT_RATIO * settings.timeoutMs;
  const silent = report.targets.filter((target) => target.status === 'silent').length;
  const reachable = report.targets.filter((target) => target.status === 'reachable').length;
  const answeredLoss = report.targets
    .filter((target) => target.status === 'reachable')
    .every((target) => target.lossPercent === 0);
  return {
    rows: [
      {
        workload: `1 link, ${TARGETS} loopback targets, ${BLACK_HOLED} black-holed`,
        attempts: settings.attempts,
        'timeout ms': settings.timeoutMs,
        'run wall ms': wall,
        'run / timeout': Number((wall.median / settings.timeoutMs).toFixed(2)),
        'max / timeout': Number((wall.max / settings.timeoutMs).toFixed(2)),
        'serial worst case (before) ms': settings.attempts * settings.timeoutMs,
        'targets reachable / silent': `${reachable} / ${silent}`,
        'link loss %': report.lossPercent,
      },
    ],
    targets: [
      {
        target: `canary: ${TARGETS} targets, a third black-holed, within ${TARGET_TIMEOUT_RATIO} × the timeout`,
        met: wall.max <= limit,
        detail: `slowest of ${runs} runs ${wall.max.toFixed(0)} ms, limit ${limit} ms`,
      },
      {
        target: 'canary: black holes are losses, answering targets lose nothing',
        met: silent === BLACK_HOLED && reachable === TARGETS - BLACK_HOLED && answeredLoss,
        detail: `${silent} silent, ${reachable} reachable`,
      },
    ],
    notes: [
      `An attempt is one TCP handshake given the whole timeout; a target's next attempt starts when the previous one ends or at the latest ${(0.1 * settings.timeoutMs) / Math.max(1, settings.attempts - 1)} ms after it started (a tenth of the timeout over the attempts after the first), so a silent target costs about 1.1 × the timeout, not attempts × timeout.`,
      'The serial worst case is what one silent target cost before (attempts × timeout, by construction).',
    ],
  };
}
