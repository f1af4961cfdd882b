/**
 * Synth at scale: the real app (config validation, stacks, cdk-nag, the deployment-limit checks)
 * synthesized from generated configs of 1, 50 and 200 links over 2 VPN Regions and up to 20 canary
 * VPCs, reporting the synth time and, per stack, its resources and template size against
 * CloudFormation's 500 resources and 1 MB. Bundling is skipped (`aws:cdk:bundling-stacks` empty):
 * the templates are the same, and esbuild's time is the cold-start section's subject.
 *
 * Run alone: `npx tsx bench/synth-scale.ts [--json]`.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { App } from 'aws-cdk-lib';
import { LIMITS } from '#infra/deployment-limits.ts';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import { type ScaleConfigOptions, scaleConfigJson } from './scale-config.ts';

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** One synthesized stack. */
export interface StackFigures {
  readonly stackName: string;
  readonly resources: number;
  readonly templateBytes: number;
}

/** One synth of one config. */
export interface SynthScaleRun {
  readonly links: number;
  readonly vpcs: number;
  readonly linkStacks: number;
  /** Wall time of building the app and synthesizing it, ms (this machine, not simulated). */
  readonly synthMs: number;
  readonly stacks: readonly StackFigures[];
}

/** The deployments measured: `linkStacks` as the deployment-limit error would advise. */
export const SYNTH_SCALE_CASES: readonly ScaleConfigOptions[] = [
  { links: 1, vpcs: 1 },
  { links: 50, vpcs: 20 },
  { links: 200, vpcs: 20, linkStacks: 4 },
];

/** Builds and synthesizes the app for one generated config; returns the figures. */
export function synthScale(options: ScaleConfigOptions): SynthScaleRun {
  const dir = mkdtempSync(join(tmpdir(), 'vpn-guard-synth-scale-'));
  try {
    const configPath = join(dir, 'config.json');
    writeFileSync(configPath, JSON.stringify(scaleConfigJson(options)));
    const app = new App({
      outdir: join(dir, 'cdk.out'),
      context: { config: configPath, 'aws:cdk:bundling-stacks': [] },
    });
    const started = performance.now();
    buildVpnGuardApp(app, REPO_ROOT);
    const assembly = app.synth();
    const synthMs = performance.now() - started;
    const stacks = assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      resources: Object.keys((stack.template as { Resources?: object }).Resources ?? {}).length,
      templateBytes: statSync(stack.templateFullPath).size,
    }));
    return {
      links: options.links,
      vpcs: Math.min(options.vpcs ?? 20, options.links),
      linkStacks: options.linkStacks ?? 0,
      synthMs,
      stacks,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The bench section: every case, as text lines (and the runs, for `--json`). */
export function synthScaleSection(cases: readonly ScaleConfigOptions[] = SYNTH_SCALE_CASES): {
  readonly title: string;
  readonly lines: readonly string[];
  readonly runs: readonly SynthScaleRun[];
} {
  const runs = cases.map(synthScale);
  const lines = runs.flatMap((run) => [
    `${run.links} link(s), ${run.vpcs} canary VPC(s), linkStacks ${run.linkStacks}: synth ${Math.round(run.synthMs)} ms (wall, this machine)`,
    ...run.stacks.map(
      (stack) =>
        `  ${stack.stackName}: ${stack.resources}/${LIMITS.resources.max} resources, ${(stack.templateBytes / 1000).toFixed(1)}/${LIMITS.templateBytes.max / 1000} kB template`,
    ),
  ]);
  return { title: 'Synth at scale (CloudFormation: 500 resources, 1 MB per stack)', lines, runs };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const section = synthScaleSection();
  if (process.argv.includes('--json')) console.log(JSON.stringify(section.runs, null, 2));
  else console.log([section.title, ...section.lines].join('\n'));
}
