/**
 * A bad config fails synth naming the field, the bad value and the fix, through the app's own
 * config loader (and, end to end, `tsx infra/app.ts` exits 1 with the message and no stack trace).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { loadConfig, runtimeConfigJson } from '#infra/load-config.ts';
import { buildVpnGuardApp } from '#infra/vpn-guard-app.ts';
import { ConfigError, parseConfig } from '#shared/config.ts';
import { exampleConfigJson } from '../fixtures/config.ts';
import { newApp, REPO_ROOT, writeTempConfig } from './support.ts';

type Raw = ReturnType<typeof exampleConfigJson>;
// biome-ignore lint/suspicious/noExplicitAny: test fixtures are edited as loose JSON.
type Loose = any;

/** The example config with one edit applied. */
function edited(edit: (raw: Loose) => void): Raw {
  const raw = exampleConfigJson();
  edit(raw);
  return raw;
}

function loadError(config: unknown): ConfigError {
  const path = writeTempConfig(config);
  try {
    loadConfig(path);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the config to be rejected');
}

describe('loadConfig', () => {
  it('accepts the shipped example and applies defaults', () => {
    const config = loadConfig(join(REPO_ROOT, 'config/example.json'));
    expect(config.links.map((link) => link.name)).toEqual(['home-to-west']);
    expect(config.observability.dashboard).toBe(true);
  });

  it.each<[string, (raw: Loose) => void, string, string]>([
    [
      'a CIDR with host bits',
      (raw) => {
        raw.links[0].gateway.remoteCidrs = ['10.20.1.0/16'];
      },
      'links[0].gateway.remoteCidrs[0]',
      '"10.20.1.0/16"',
    ],
    [
      'a CIDR that is not one',
      (raw) => {
        raw.links[0].gateway.remoteCidrs = ['10.20.0.0/33'];
      },
      'links[0].gateway.remoteCidrs[0]',
      '"10.20.0.0/33"',
    ],
    [
      'duplicate link names',
      (raw) => {
        raw.links.push(structuredClone(raw.links[0]));
      },
      'links[1].name',
      '"home-to-west"',
    ],
    [
      'a malformed VPN connection id',
      (raw) => {
        raw.links[0].vpn.vpnConnectionIds = ['vpn-XYZ'];
      },
      'links[0].vpn.vpnConnectionIds[0]',
      '"vpn-XYZ"',
    ],
    [
      'a malformed Elastic IP allocation id',
      (raw) => {
        raw.links[0].gateway.elasticIpAllocationId = 'eip-0a1b2c3d';
      },
      'links[0].gateway.elasticIpAllocationId',
      '"eip-0a1b2c3d"',
    ],
    [
      'a malformed route table id',
      (raw) => {
        raw.links[0].gateway.routeTableIds = ['rtb-0A1B2C3D'];
      },
      'links[0].gateway.routeTableIds[0]',
      '"rtb-0A1B2C3D"',
    ],
    [
      'a malformed subnet id',
      (raw) => {
        raw.links[0].canary.subnetIds = ['subnet-123'];
      },
      'links[0].canary.subnetIds[0]',
      '"subnet-123"',
    ],
    [
      'a malformed VPC id',
      (raw) => {
        raw.links[0].canary.vpcId = 'vpc0a1b2c3d';
      },
      'links[0].canary.vpcId',
      '"vpc0a1b2c3d"',
    ],
    [
      'no canary targets',
      (raw) => {
        raw.links[0].canary.targets = [];
      },
      'links[0].canary.targets',
      '[]',
    ],
    [
      'a port out of range',
      (raw) => {
        raw.links[0].canary.targets = [{ host: '10.20.1.10', port: 70000 }];
      },
      'links[0].canary.targets[0].port',
      '70000',
    ],
    [
      'a non-positive latency threshold',
      (raw) => {
        raw.links[0].canary.latencyThresholdMs = 0;
      },
      'links[0].canary.latencyThresholdMs',
      '0',
    ],
    [
      'a non-positive minTunnelsUp',
      (raw) => {
        raw.links[0].vpn.minTunnelsUp = -1;
      },
      'links[0].vpn.minTunnelsUp',
      '-1',
    ],
    [
      'an unknown Region',
      (raw) => {
        raw.links[0].vpn.region = 'us-west-9';
      },
      'links[0].vpn.region',
      '"us-west-9"',
    ],
  ])('rejects %s, naming the field and the value', (_, edit, field, value) => {
    const error = loadError(edited(edit));
    expect(error.message).toContain(`${field}: got ${value}: `);
    // ...and saying what to do about it (the text after the value).
    const problem = error.problems.find((line) => line.startsWith(`${field}:`));
    expect(problem?.split(`got ${value}: `)[1]?.length).toBeGreaterThan(10);
  });

  it('rejects alarm periods shorter than the schedule (MonitorSilent would alarm on a healthy monitor)', () => {
    const error = loadError(
      edited((raw) => {
        raw.schedule = 'rate(2 minutes)';
        raw.links[0].alarms = { periodSeconds: 60, evaluationPeriods: 3, datapointsToAlarm: 2 };
      }),
    );
    expect(error.problems).toEqual([
      expect.stringMatching(/^alarms\.periodSeconds: got 60: .*rate\(2 minutes\).*set periodSeconds to 120/),
      expect.stringMatching(/^links\[0\]\.alarms\.periodSeconds: got 60: /),
    ]);
    const sparse = loadError(edited((raw) => (raw.schedule = 'rate(10 minutes)')));
    expect(sparse.message).toContain('use a schedule of at most rate(5 minutes)');
  });

  it('reports every bad field at once, not just the first', () => {
    const error = loadError(
      edited((raw) => {
        raw.links[0].vpn.region = 'mars-1';
        raw.links[0].canary.targets = [];
      }),
    );
    expect(error.problems).toHaveLength(2);
  });

  it('names a missing file and says how to pass another', () => {
    expect(() => loadConfig('/nonexistent/vpn-guard.json')).toThrow(
      /\/nonexistent\/vpn-guard\.json[\s\S]*cannot be read \(ENOENT\)[\s\S]*-c config=PATH/,
    );
  });

  it('rejects a file that is not JSON, naming the file', () => {
    const path = writeTempConfig('{ "namespace": "VpnGuard", }');
    expect(() => loadConfig(path)).toThrow(ConfigError);
    expect(() => loadConfig(path)).toThrow(/is not valid JSON/);
  });
});

describe('the Lambda environment limit', () => {
  /**
   * The example's link repeated, named link-number-<i>, its canary in VPC number i % vpcs, each with
   * its own gateway group, Elastic IP, VPN connection and remote CIDR (links may not share those).
   */
  function manyLinks(links: number, vpcs: number): Raw {
    const raw = exampleConfigJson();
    const link = raw.links[0] as Loose;
    const id = (n: number) => `0a1b2c3d4e5f${String(n).padStart(5, '0')}`;
    raw.links = Array.from({ length: links }, (_, index) => {
      const copy = structuredClone(link);
      copy.name = `link-number-${index}`;
      copy.canary.vpcId = `vpc-${id(index % vpcs)}`;
      copy.gateway.autoScalingGroupName = `vpn-gateway-${index}`;
      copy.gateway.elasticIpAllocationId = `eipalloc-${id(index)}`;
      copy.gateway.remoteCidrs = [`10.${100 + index}.0.0/16`];
      copy.vpn.vpnConnectionIds = [`vpn-${id(index)}`];
      return copy;
    });
    return raw;
  }

  it('no longer bounds the config: 25 links synthesize, none of it in any environment', () => {
    // The config is bundled into the code; it once had to fit 4 KB of environment (about 5 links).
    const raw = manyLinks(25, 1);
    expect(runtimeConfigJson(parseConfig(raw)).length).toBeGreaterThan(3 * 4096);
    const path = writeTempConfig(raw);
    const template = Template.fromStack(buildVpnGuardApp(newApp(path), REPO_ROOT)).toJSON();
    const functions = Object.values(template.Resources as Record<string, Loose>).filter(
      (resource) => resource.Type === 'AWS::Lambda::Function',
    );
    expect(functions).toHaveLength(7);
    for (const fn of functions)
      expect(Object.keys(fn.Properties.Environment.Variables)).not.toContain('VPN_GUARD_CONFIG');
  });

  it('keeps per-VPC data out of every environment: 30 canary VPCs synthesize, the canary map is in the definition', () => {
    // remediation-guard once held one canary ARN per VPC in CANARY_FUNCTIONS: 23 VPCs passed 4 KB.
    const template = Template.fromStack(
      buildVpnGuardApp(newApp(writeTempConfig(manyLinks(30, 30))), REPO_ROOT),
    ).toJSON();
    const resources = Object.values(template.Resources as Record<string, Loose>);
    const sizes = resources
      .filter((resource) => resource.Type === 'AWS::Lambda::Function')
      .map((fn) => JSON.stringify(fn.Properties.Environment.Variables).length);
    expect(sizes).toHaveLength(7 + 29);
    // The largest environment is the same fixed handful of variables it is for one VPC.
    expect(Math.max(...sizes)).toBeLessThan(1024);
    const remediation = resources.find(
      (resource) =>
        resource.Type === 'AWS::StepFunctions::StateMachine' &&
        resource.Properties.StateMachineType === 'STANDARD',
    );
    const pairs = remediation?.Properties.DefinitionSubstitutions.CanaryFunctions['Fn::Join'][1] as unknown[];
    const text = pairs.map((part) => (typeof part === 'string' ? part : 'ARN')).join('');
    expect(text.split(',')).toHaveLength(30);
    expect(text.split(',')[0]).toBe('vpc-0a1b2c3d4e5f00000=ARN');
  });
});

describe('the app', () => {
  it('fails synth when two links share one gateway group, naming autoScalingGroupName and both links', () => {
    // Prepare: a second link of its own in every way but the Auto Scaling group.
    const raw = edited((config) => {
      const second = structuredClone(config.links[0]);
      second.name = 'home-to-east';
      second.gateway.elasticIpAllocationId = 'eipalloc-0eeeeeeeeeeeeeeee';
      second.gateway.remoteCidrs = ['10.40.0.0/16'];
      second.vpn.vpnConnectionIds = ['vpn-0eeeeeeeeeeeeeeee'];
      config.links.push(second);
    });
    const app = newApp(writeTempConfig(raw));
    // Act
    let thrown: unknown;
    try {
      buildVpnGuardApp(app, REPO_ROOT);
    } catch (error) {
      thrown = error;
    }
    // Assess: exactly one problem, on the later link's field, naming the earlier one.
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      'links[1].gateway.autoScalingGroupName: got "vpn-gateway-home": is also links[0].gateway.autoScalingGroupName: links "home-to-west" and "home-to-east" cannot share one gateway group (each would replace the other\'s gateway)',
    ]);
  });

  it('reads the config named by context `config`', () => {
    const path = writeTempConfig(edited((raw) => (raw.links[0].canary.vpcId = 'vpc-1')));
    const app = newApp(path);
    expect(() => buildVpnGuardApp(app, REPO_ROOT)).toThrow(/links\[0\]\.canary\.vpcId: got "vpc-1"/);
  });

  it('`tsx infra/app.ts` with a bad config exits 1 printing the problem and no stack trace', () => {
    const path = writeTempConfig(edited((raw) => (raw.links[0].gateway.remoteCidrs = ['10.20.0.0/8'])));
    const result = spawnSync(join(REPO_ROOT, 'node_modules/.bin/tsx'), ['infra/app.ts'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {
        ...process.env,
        CDK_CONTEXT_JSON: JSON.stringify({ config: path }),
        CDK_OUTDIR: mkdtempSync(join(tmpdir(), 'vpn-guard-cdk-')),
      },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('links[0].gateway.remoteCidrs[0]: got "10.20.0.0/8"');
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(result.stderr).not.toContain('node:internal');
  });
});
