/**
 * The Libreswan renderer on saved describe-vpn-connections outputs (see ./fixtures.ts): what it picks,
 * what it refuses, and that it stays pure and bundles for Node. The real-Libreswan checks of the same
 * renders are in ./libreswan.test.ts.
 */
import type { VpnConnection } from '@aws-sdk/client-ec2';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  InvalidFieldError,
  MissingFieldError,
  RenderError,
  type RenderInput,
  renderLibreswan,
  UnsupportedProposalError,
} from '../../gateway/render/index.ts';
import { parseXml, textAt, XmlSyntaxError } from '../../gateway/render/xml.ts';
import { type EditableVpnConnection, LOCAL_CIDR, loadVpnConnection, REMOTE_CIDR } from './fixtures.ts';

const input = (
  vpnConnection: RenderInput['vpnConnection'],
  extra: Partial<RenderInput> = {},
): RenderInput => ({
  vpnConnection,
  localCidrs: [LOCAL_CIDR],
  remoteCidrs: [REMOTE_CIDR],
  namePrefix: 'hq',
  ...extra,
});

/** The `key=value` lines of one `conn` section. */
function connSection(conf: string, name: string): Record<string, string> {
  const start = conf.indexOf(`conn ${name}\n`);
  expect(start, `conn ${name} in the rendered file`).toBeGreaterThanOrEqual(0);
  const rest = conf.slice(start).split('\n').slice(1);
  const section: Record<string, string> = {};
  for (const line of rest) {
    if (!line.startsWith('\t')) break;
    const match = /^\t([\w-]+)=(.*)$/.exec(line);
    if (match?.[1]) section[match[1]] = match[2] ?? '';
  }
  return section;
}

function renderError(fn: () => unknown): RenderError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RenderError) return error;
    throw error;
  }
  throw new Error('expected a RenderError');
}

describe('renderLibreswan on AWS-format describe output', () => {
  it('picks IKEv2 and groups Libreswan accepts when the XML lists only DH group 2 but the tunnel options permit more', () => {
    // Act
    const rendered = renderLibreswan(input(loadVpnConnection('defaults')));

    // Assess: no modp1024 (DH 2) anywhere, the strongest common groups first.
    expect(rendered.conf).not.toMatch(/modp1024|dh2\b/);
    expect(rendered.tunnels.map((t) => t.name)).toEqual(['hq-tunnel1', 'hq-tunnel2']);
    for (const tunnel of rendered.tunnels) {
      expect(tunnel.ikeVersion).toBe(2);
      expect(tunnel.ike.split(',')[0]).toMatch(
        /^aes_gcm256\+aes_gcm128-sha2_256\+.*-dh19\+dh20\+dh21\+modp2048/,
      );
      expect(tunnel.esp).toContain('-dh19');
    }
    const conn = connSection(rendered.conf, 'hq-tunnel1');
    expect(conn).toMatchObject({
      authby: 'secret',
      left: '%defaultroute',
      leftid: '198.51.100.10',
      leftsubnet: LOCAL_CIDR,
      right: '203.0.113.11',
      rightsubnet: REMOTE_CIDR,
      ikev2: 'insist',
      ikelifetime: '28800s',
      salifetime: '3600s',
      auto: 'start',
    });
    expect(connSection(rendered.conf, 'hq-tunnel2').right).toBe('203.0.113.12');
    expect(rendered.conf).not.toContain('ikev1-policy');
  });

  it('sets dead peer detection from the XML (interval 10 s, 3 retries) and restarts the tunnel on timeout', () => {
    // Act
    const conn = connSection(renderLibreswan(input(loadVpnConnection('defaults'))).conf, 'hq-tunnel2');

    // Assess
    expect(conn).toMatchObject({ dpddelay: '10', dpdtimeout: '30', dpdaction: 'restart' });
  });

  it('says in the rendered file what it does with the second tunnel and why', () => {
    // Act
    const { conf } = renderLibreswan(input(loadVpnConnection('defaults')));

    // Assess
    const header = conf.slice(0, conf.indexOf('config setup'));
    expect(header).toMatch(/Both tunnels are configured and started/);
    expect(header).toMatch(/one security-association pair per tunnel/);
    expect(header).toMatch(/hot standby/);
  });

  it('writes one PSK line per tunnel, from the customer gateway to each AWS endpoint', () => {
    // Act
    const { secrets } = renderLibreswan(input(loadVpnConnection('defaults')));

    // Assess
    expect(secrets.split('\n').filter((l) => l.includes('PSK'))).toEqual([
      '198.51.100.10 203.0.113.11 : PSK "Tunnel1.Key_abcdefgh"',
      '198.51.100.10 203.0.113.12 : PSK "Tunnel2.Key_ijklmnop"',
    ]);
    expect(renderLibreswan(input(loadVpnConnection('defaults'))).conf).not.toContain('Tunnel1.Key');
  });

  it('renders IKEv1-only tunnels with ikev1-policy=accept and without GCM for the IKE SA or elliptic PFS', () => {
    // Act
    const rendered = renderLibreswan(input(loadVpnConnection('ikev1')));

    // Assess
    expect(rendered.conf).toMatch(/^config setup\n\tuniqueids=yes\n.*\n\tikev1-policy=accept$/m);
    for (const tunnel of rendered.tunnels) {
      expect(tunnel.ikeVersion).toBe(1);
      expect(connSection(rendered.conf, tunnel.name).ikev2).toBe('no');
      expect(tunnel.ike.split(',')).toEqual([
        'aes256-sha2_256-modp2048',
        'aes256-sha1-modp2048',
        'aes128-sha2_256-modp2048',
        'aes128-sha1-modp2048',
      ]);
      expect(tunnel.esp.split(',')).toEqual([
        'aes256-sha2_256-modp2048',
        'aes256-sha1-modp2048',
        'aes128-sha2_256-modp2048',
        'aes128-sha1-modp2048',
      ]);
    }
  });

  it('follows each tunnel its own custom algorithms and lifetimes', () => {
    // Act
    const rendered = renderLibreswan(input(loadVpnConnection('custom-algorithms')));

    // Assess
    const [first, second] = rendered.tunnels;
    expect(first).toMatchObject({ ike: 'aes_gcm256-sha2_384-dh20', esp: 'aes256-sha2_512-modp2048' });
    expect(second).toMatchObject({ ike: 'aes128-sha2_256-modp2048', esp: 'aes_gcm128-null-dh19' });
    expect(connSection(rendered.conf, 'hq-tunnel1')).toMatchObject({
      ikelifetime: '14400s',
      salifetime: '1800s',
    });
  });

  it('matches tunnel options to XML tunnels by outside address, not by position', () => {
    // Prepare
    const vpn = loadVpnConnection('custom-algorithms');
    const reversed = {
      ...vpn,
      Options: { ...vpn.Options, TunnelOptions: [...(vpn.Options?.TunnelOptions ?? [])].reverse() },
    };

    // Act / Assess
    expect(renderLibreswan(input(reversed)).tunnels).toEqual(renderLibreswan(input(vpn)).tunnels);
  });

  it('uses an explicit local address when given instead of %defaultroute', () => {
    // Act
    const { conf } = renderLibreswan(input(loadVpnConnection('defaults'), { localAddress: '10.20.1.5' }));

    // Assess
    expect(connSection(conf, 'hq-tunnel1').left).toBe('10.20.1.5');
  });

  it('takes keys passed in when the connection keeps them in Secrets Manager', () => {
    // Prepare: what describe returns with PreSharedKeyStorage=SecretsManager: an ARN, no keys.
    const vpn = withoutKeys(loadVpnConnection('defaults'));
    vpn.PreSharedKeyArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:vpn-psk';

    // Act
    const { secrets } = renderLibreswan(
      input(vpn, { preSharedKeys: ['From.Secret_one1', 'From.Secret_two2'] }),
    );

    // Assess
    expect(secrets).toContain('203.0.113.11 : PSK "From.Secret_one1"');
    expect(secrets).toContain('203.0.113.12 : PSK "From.Secret_two2"');
  });
});

describe('renderLibreswan refusing input it cannot use, naming the field and the fix', () => {
  it('refuses a tunnel that permits only DH group 2', () => {
    // Act
    const error = renderError(() => renderLibreswan(input(loadVpnConnection('dh2-only'))));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedProposalError);
    expect(error.name).toBe('UnsupportedProposalError');
    expect(error.field).toBe('Options.TunnelOptions[0].Phase1DHGroupNumbers');
    expect(error.message).toContain('[2]');
    expect(error.fix).toContain(
      'aws ec2 modify-vpn-tunnel-options --vpn-connection-id vpn-0a1b2c3d4e5f60004',
    );
    expect(error.fix).toContain('Phase1DHGroupNumbers=[{Value=19}]');
  });

  it('refuses an IKEv1-only tunnel whose only phase 1 cipher is GCM (Libreswan has no GCM IKEv1 SA)', () => {
    // Prepare
    const vpn = loadVpnConnection('ikev1');
    const options = vpn.Options?.TunnelOptions?.[1];
    vpn.Options = {
      ...vpn.Options,
      TunnelOptions: [
        vpn.Options?.TunnelOptions?.[0] ?? {},
        { ...options, Phase1EncryptionAlgorithms: [{ Value: 'AES128-GCM-16' }] },
      ],
    };

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toBeInstanceOf(UnsupportedProposalError);
    expect(error.field).toBe('Options.TunnelOptions[1].Phase1EncryptionAlgorithms');
  });

  it('says the configuration XML is missing and when AWS includes it', () => {
    // Prepare
    const vpn = loadVpnConnection('defaults');
    delete vpn.CustomerGatewayConfiguration;

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toBeInstanceOf(MissingFieldError);
    expect(error.field).toBe('CustomerGatewayConfiguration');
    expect(error.message).toContain('pending or available');
  });

  it('refuses a deleted connection', () => {
    // Prepare
    const vpn = { ...loadVpnConnection('defaults'), State: 'deleted' };

    // Act / Assess
    expect(renderError(() => renderLibreswan(input(vpn)))).toMatchObject({
      name: 'InvalidFieldError',
      field: 'State',
    });
  });

  it("names the XML element when a tunnel's customer gateway address is missing", () => {
    // Prepare
    const vpn = loadVpnConnection('defaults');
    vpn.CustomerGatewayConfiguration = (vpn.CustomerGatewayConfiguration ?? '').replace(
      '<ip_address>198.51.100.10</ip_address>',
      '',
    );

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toBeInstanceOf(MissingFieldError);
    expect(error.field).toBe(
      'CustomerGatewayConfiguration <ipsec_tunnel> 1 customer_gateway>tunnel_outside_address>ip_address',
    );
  });

  it('names the tunnel whose pre-shared key is nowhere, and points at Secrets Manager when that is why', () => {
    // Prepare
    const vpn = withoutKeys(loadVpnConnection('defaults'));
    vpn.PreSharedKeyArn = 'arn:aws:secretsmanager:us-east-1:111122223333:secret:vpn-psk';

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toBeInstanceOf(MissingFieldError);
    expect(error.field).toBe('Options.TunnelOptions[0].PreSharedKey');
    expect(error.message).toContain('Secrets Manager');
    expect(error.fix).toContain('preSharedKeys');
  });

  it('refuses a key that could break out of the secrets file quoting', () => {
    // Prepare
    const vpn = loadVpnConnection('defaults');

    // Act
    const error = renderError(() => renderLibreswan(input(vpn, { preSharedKeys: ['abc" : PSK "x'] })));

    // Assess
    expect(error).toBeInstanceOf(InvalidFieldError);
    expect(error.field).toBe('preSharedKeys[0]');
  });

  it('refuses XML that is not well formed and says not to re-escape it', () => {
    // Prepare
    const vpn = {
      ...loadVpnConnection('defaults'),
      CustomerGatewayConfiguration: '<vpn_connection><ipsec_tunnel></vpn_connection>',
    };

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidFieldError', field: 'CustomerGatewayConfiguration' });
    expect(error.message).toContain('</vpn_connection> closes <ipsec_tunnel>');
  });

  it('refuses several remote CIDRs: AWS allows one SA pair per tunnel', () => {
    // Act
    const error = renderError(() =>
      renderLibreswan(input(loadVpnConnection('defaults'), { remoteCidrs: ['10.0.0.0/16', '10.1.0.0/16'] })),
    );

    // Assess
    expect(error).toMatchObject({ name: 'InvalidFieldError', field: 'remoteCidrs' });
    expect(error.fix).toContain('covering block');
  });

  it("refuses a remote CIDR outside the connection's RemoteIpv4NetworkCidr", () => {
    // Prepare
    const vpn = loadVpnConnection('defaults');
    vpn.Options = { ...vpn.Options, RemoteIpv4NetworkCidr: '10.9.0.0/16' };

    // Act
    const error = renderError(() => renderLibreswan(input(vpn)));

    // Assess
    expect(error).toMatchObject({ name: 'InvalidFieldError', field: 'remoteCidrs' });
    expect(error.message).toContain('outside the connection');
  });

  it('refuses a CIDR with host bits and an unusable name prefix', () => {
    expect(
      renderError(() =>
        renderLibreswan(input(loadVpnConnection('defaults'), { localCidrs: ['10.20.1.0/16'] })),
      ),
    ).toMatchObject({
      field: 'localCidrs',
    });
    expect(
      renderError(() => renderLibreswan(input(loadVpnConnection('defaults'), { namePrefix: 'HQ link' }))),
    ).toMatchObject({
      field: 'namePrefix',
    });
  });
});

describe('the renderer module', () => {
  it('takes the SDK VpnConnection type as is', () => {
    // Prepare: a compile-time check as much as a run-time one (tsc fails if the shapes drift apart).
    const sdk: VpnConnection = loadVpnConnection('defaults') as VpnConnection;

    // Act
    const rendered = renderLibreswan({
      vpnConnection: sdk,
      localCidrs: [LOCAL_CIDR],
      remoteCidrs: [REMOTE_CIDR],
      namePrefix: 'hq',
    });

    // Assess
    expect(rendered.tunnels).toHaveLength(2);
  });

  it('bundles for Node from its own files only (no SDK, no native code, no fs)', async () => {
    // Act
    const result = await build({
      entryPoints: ['gateway/render/index.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });

    // Assess
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.every((path) => path.startsWith('gateway/render/'))).toBe(true);
    const imports = Object.values(result.metafile.outputs).flatMap((o) => o.imports.map((i) => i.path));
    expect(imports).toEqual([]);
  });
});

describe('the configuration XML reader', () => {
  it('reads nested elements, attributes, entities and skips comments and the declaration', () => {
    // Act
    const root = parseXml(
      '<?xml version="1.0"?>\n<!-- c --><vpn_connection id="vpn-1"><a><b>x &amp; y &#65;</b><!-- d --></a><e/></vpn_connection>',
    );

    // Assess
    expect(root.attributes).toEqual({ id: 'vpn-1' });
    expect(textAt(root, 'a>b')).toBe('x & y A');
    expect(textAt(root, 'e')).toBeUndefined();
    expect(textAt(root, 'a>missing')).toBeUndefined();
  });

  it('refuses DTDs, mixed content, unknown entities and trailing content', () => {
    for (const bad of [
      '<!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>',
      '<x>text<y/></x>',
      '<x>&nbsp;</x>',
      '<x></x><y></y>',
      '<x>',
    ]) {
      expect(() => parseXml(bad), bad).toThrow(XmlSyntaxError);
    }
  });
});

function withoutKeys(vpn: EditableVpnConnection): EditableVpnConnection {
  vpn.CustomerGatewayConfiguration = (vpn.CustomerGatewayConfiguration ?? '').replace(
    /<pre_shared_key>[^<]*<\/pre_shared_key>/g,
    '',
  );
  vpn.Options = {
    ...vpn.Options,
    TunnelOptions: (vpn.Options?.TunnelOptions ?? []).map(({ PreSharedKey: _drop, ...rest }) => rest),
  };
  return vpn;
}
