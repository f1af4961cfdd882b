/**
 * `npm run gateway -- render`: from a config's link and a saved describe-vpn-connections output to
 * `<link>.conf` and `<link>.secrets` (mode 0600), and clear errors for bad arguments.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runGatewayCli } from '../../cli/gateway.ts';
import { renderLibreswan } from '../../gateway/render/index.ts';
import { fixturePath, loadVpnConnection } from './fixtures.ts';

const VPN_ID = 'vpn-0a1b2c3d4e5f60001';

function collector(): Writable & { text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return Object.assign(stream, { text: () => chunks.join('') });
}

describe('npm run gateway -- render', () => {
  let dir: string;
  let stdout: ReturnType<typeof collector>;
  let stderr: ReturnType<typeof collector>;
  const run = (...argv: string[]) => runGatewayCli(argv, { stdout, stderr, cwd: dir });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'vpn-guard-gateway-cli-'));
    stdout = collector();
    stderr = collector();
    const config = JSON.parse(readFileSync('config/example.json', 'utf8')) as {
      links: { name: string; vpn: { vpnConnectionIds: string[] }; gateway: { remoteCidrs: string[] } }[];
    };
    const link = config.links[0];
    if (!link) throw new Error('config/example.json has no link');
    link.name = 'hq';
    link.vpn.vpnConnectionIds = [VPN_ID];
    link.gateway.remoteCidrs = ['10.0.0.0/16'];
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("writes <link>.conf and <link>.secrets (mode 0600) with what the renderer renders for the link's CIDRs", () => {
    // Act
    const code = run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      fixturePath('defaults'),
      '--out',
      'out',
      '--config',
      'config.json',
      '--local-cidr',
      '10.20.0.0/16',
    );

    // Assess
    expect(stderr.text()).toBe('');
    expect(code).toBe(0);
    const expected = renderLibreswan({
      vpnConnection: loadVpnConnection('defaults'),
      localCidrs: ['10.20.0.0/16'],
      remoteCidrs: ['10.0.0.0/16'],
      namePrefix: 'hq',
    });
    expect(readFileSync(join(dir, 'out', 'hq.conf'), 'utf8')).toBe(expected.conf);
    expect(readFileSync(join(dir, 'out', 'hq.secrets'), 'utf8')).toBe(expected.secrets);
    expect(statSync(join(dir, 'out', 'hq.secrets')).mode & 0o777).toBe(0o600);
    expect(stdout.text()).toContain(
      'hq-tunnel1: AWS endpoint 203.0.113.11, IKEv2, 10.20.0.0/16 <=> 10.0.0.0/16',
    );
    expect(stdout.text()).not.toContain('Tunnel1.Key');
  });

  it('tightens an existing secrets file to 0600 and accepts one VpnConnections element', () => {
    // Prepare
    const single = join(dir, 'one.json');
    writeFileSync(single, JSON.stringify(loadVpnConnection('defaults')));
    run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      single,
      '--out',
      '.',
      '--config',
      'config.json',
      '--local-cidr',
      '10.20.0.0/16',
    );
    writeFileSync(join(dir, 'hq.secrets'), 'old', { mode: 0o644 });

    // Act
    const code = run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      single,
      '--out',
      '.',
      '--config',
      'config.json',
      '--local-cidr',
      '10.20.0.0/16',
    );

    // Assess
    expect(code).toBe(0);
    expect(statSync(join(dir, 'hq.secrets')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'hq.secrets'), 'utf8')).toContain('PSK');
  });

  it.each([
    [['render', '--link', 'hq'], /render needs --vpn-connection, --out/],
    [
      ['render', '--link', 'nope', '--vpn-connection', 'x.json', '--out', 'o', '--config', 'config.json'],
      /--link: no link "nope" .* its links are: hq/,
    ],
    [
      ['render', '--link', 'hq', '--vpn-connection', 'missing.json', '--out', 'o', '--config', 'config.json'],
      /--vpn-connection: cannot read missing\.json \(ENOENT\)/,
    ],
    [
      ['render', '--link', 'hq', '--vpn-connection', 'x.json', '--out', 'o', '--config', 'nope.json'],
      /--config: cannot read nope\.json/,
    ],
    [['render', '--bogus'], /Unknown option '--bogus'/],
    [['deploy'], /unknown command "deploy"/],
  ])('exits 2 with a clear message for %j', (argv, message) => {
    // Act
    const code = run(...argv);

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toMatch(message);
  });

  it("refuses a describe output that holds none of the link's connections", () => {
    // Act
    const code = run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      fixturePath('ikev1'),
      '--out',
      'o',
      '--config',
      'config.json',
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toContain(
      "vpn-0a1b2c3d4e5f60002, none of link hq's vpn.vpnConnectionIds (vpn-0a1b2c3d4e5f60001)",
    );
  });

  it("asks for --local-cidr when the connection's LocalIpv4NetworkCidr is 0.0.0.0/0", () => {
    // Act
    const code = run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      fixturePath('defaults'),
      '--out',
      'o',
      '--config',
      'config.json',
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toContain('--local-cidr: ');
  });

  it('passes renderer errors through with the field and the fix, and writes nothing', () => {
    // Prepare
    const dh2 = JSON.parse(
      readFileSync(fixturePath('dh2-only'), 'utf8').replaceAll('vpn-0a1b2c3d4e5f60004', VPN_ID),
    );
    writeFileSync(join(dir, 'dh2.json'), JSON.stringify(dh2));

    // Act
    const code = run(
      'render',
      '--link',
      'hq',
      '--vpn-connection',
      'dh2.json',
      '--out',
      'o',
      '--config',
      'config.json',
      '--local-cidr',
      '10.20.0.0/16',
    );

    // Assess
    expect(code).toBe(2);
    expect(stderr.text()).toContain('Options.TunnelOptions[0].Phase1DHGroupNumbers');
    expect(stderr.text()).toContain('Fix: allow at least one of');
    expect(() => statSync(join(dir, 'o'))).toThrow();
  });
});
