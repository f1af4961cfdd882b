/**
 * Synth warns (a CDK annotation, not an error) for every link judged by a single canary target: one
 * far host down or one dropping security group would look like the VPN down.
 */
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { SINGLE_CANARY_TARGET_WARNING } from '#infra/constructs/canary.ts';
import { exampleConfigJson } from '../fixtures/config.ts';
import { EXAMPLE_CONFIG, MULTI_LINK_CONFIG, synthesize, writeTempConfig } from './support.ts';

/** The single-target warnings of the stack synthesized from `configPath`, as their texts. */
function singleTargetWarnings(configPath: string): string[] {
  const { stack } = synthesize(configPath);
  return Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('single canary target'))
    .map((entry) => String(entry.entry.data));
}

describe('the single-canary-target warning', () => {
  it('warns for the example (one link, one target), naming the link, the target and the fix, without failing synth', () => {
    // Act
    const warnings = singleTargetWarnings(EXAMPLE_CONFIG);

    // Assess: synth succeeded (cdk-nag ran in it), and the warning says what to do.
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('link "home-to-west" has a single canary target (10.20.1.10:22)');
    expect(warnings[0]).toContain('list two or more targets on different far hosts in canary.targets');
    expect(warnings[0]).toContain(`[ack: ${SINGLE_CANARY_TARGET_WARNING}]`);
  });

  it('warns only for the links with one target in a multi-link config', () => {
    // Act
    const warnings = singleTargetWarnings(MULTI_LINK_CONFIG);

    // Assess: home-to-west has two targets; home-to-eu and dr-1 have one each.
    expect(warnings.map((text) => /link "([^"]+)"/.exec(text)?.[1]).sort()).toEqual(['dr-1', 'home-to-eu']);
  });

  it('does not warn when every link has two or more targets', () => {
    // Prepare
    const raw = exampleConfigJson() as { links: { canary: { targets: unknown[] } }[] };
    const link = raw.links[0] as { canary: { targets: unknown[] } };
    link.canary.targets = [
      { host: '10.20.1.10', port: 22 },
      { host: '10.20.2.10', port: 22 },
    ];

    // Act
    const warnings = singleTargetWarnings(writeTempConfig(raw));

    // Assess
    expect(warnings).toEqual([]);
  });
});
