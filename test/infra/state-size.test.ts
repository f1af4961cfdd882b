/**
 * Synth refuses a deployment whose Monitor state could pass Step Functions' 256 KiB payload limit
 * (functions/shared/state-size.ts), naming the limit, the value and the fix, before anything is
 * built; the largest deployment it accepts is the one the bound allows.
 */
import { describe, expect, it } from 'vitest';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import { ConfigError, parseConfig } from '#shared/config.ts';
import { monitorStateBound, STATE_PAYLOAD_BUDGET_BYTES, type StateSizeLink } from '#shared/state-size.ts';
import { scaleConfigJson } from '../../bench/scale-config.ts';
import { newApp, REPO_ROOT, writeTempConfig } from './support.ts';

describe("the Monitor's state-size limit at synth", () => {
  it('fails synth for 300 links over 20 canary VPCs, naming the limit, the value and the fix', () => {
    const path = writeTempConfig(scaleConfigJson({ links: 300, vpcs: 20, linkStacks: 8 }));
    const build = () => buildVpnGuardApp(newApp(path), REPO_ROOT);
    expect(build).toThrow(ConfigError);
    expect(build).toThrow(
      /links\[(\d+)\]\.name: got "site-\d{3}": is link \d+ of 300, past what one Monitor can carry: the 300 links over 20 canary VPC\(s\) make its largest state up to \d{6} bytes \(every link failing at once, every error at its cap; the first \1 make \d{6}\)\. Step Functions allows 262144 bytes \(Maximum input or output size for a task, state, or execution \(256 KiB of UTF-8\), https:\/\/docs\.aws\.amazon\.com\/step-functions\/latest\/dg\/service-quotas\.html\) and VPN Guard keeps 10 % of it as headroom \(235929 bytes\), or a tick could fail with States\.DataLimitExceeded: split the links over two or more deployments of at most \1 links \(each its own namespace and stackName\), or probe from fewer canary VPCs, or shorten the link names$/m,
    );
  });

  it('accepts the largest link count whose bound fits, and refuses one more', () => {
    // The raw links carry what the bound reads (names, Regions, VPN connections, VPCs, targets).
    const bound = (links: number) =>
      monitorStateBound(scaleConfigJson({ links, vpcs: 20 }).links as StateSizeLink[]).largestBytes;
    let fits = 200;
    while (bound(fits + 1) <= STATE_PAYLOAD_BUDGET_BYTES) fits += 1;
    expect(fits).toBeGreaterThanOrEqual(250);
    expect(() => parseConfig(scaleConfigJson({ links: fits, vpcs: 20 }))).not.toThrow();
    expect(() => parseConfig(scaleConfigJson({ links: fits + 1, vpcs: 20 }))).toThrow(
      new RegExp(
        `links\\[${fits}\\]\\.name: .*is link ${fits + 1} of ${fits + 1}, past what one Monitor can carry`,
      ),
    );
  });
});
