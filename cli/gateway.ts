/**
 * `npm run gateway -- render --link NAME --vpn-connection FILE.json --out DIR [--config PATH]`
 *
 * Renders the Libreswan configuration a managed gateway instance would run for one link, from a saved
 * `aws ec2 describe-vpn-connections` output: `DIR/<link>.conf` (ipsec.conf) and `DIR/<link>.secrets`
 * (ipsec.secrets, mode 0600). Nothing in AWS is read or changed.
 * Exit codes: 0 written, 2 usage, config or input error (the message names the field and the fix).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { ConfigError, findLink, type LinkConfig, parseConfig } from '#shared/config.ts';
import {
  RenderError,
  type RenderedConfig,
  renderLibreswan,
  type VpnConnectionInput,
} from '../gateway/render/index.ts';

/** The config read when no --config is given (the one `cdk synth` uses by default). */
export const DEFAULT_GATEWAY_CONFIG = 'config/example.json';

export const GATEWAY_HELP = `Usage: npm run gateway -- render --link NAME --vpn-connection FILE.json --out DIR [options]

Renders the Libreswan configuration for a link's gateway from a saved describe-vpn-connections output:
  DIR/<link>.conf     ipsec.conf (config setup, one conn per tunnel)
  DIR/<link>.secrets  ipsec.secrets (the tunnels' pre-shared keys), written mode 0600

  --link NAME             the link in the config
  --vpn-connection FILE   output of: aws ec2 describe-vpn-connections --vpn-connection-ids vpn-…
                          (the whole output, or one VpnConnections element)
  --out DIR               where to write (created if missing)
  --config PATH           the VPN Guard config (default ${DEFAULT_GATEWAY_CONFIG})
  --local-cidr CIDR       the CIDR of the VPC the gateway serves (leftsubnet); default: the
                          connection's Options.LocalIpv4NetworkCidr when it is not 0.0.0.0/0
  --remote-cidr CIDR      the far side's CIDR (rightsubnet); default: the link's gateway.remoteCidrs
  --local-address IP      the gateway's own address for left= (default %defaultroute)
  -h, --help              this text
`;

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  link: { type: 'string' },
  'vpn-connection': { type: 'string' },
  out: { type: 'string' },
  config: { type: 'string' },
  'local-cidr': { type: 'string' },
  'remote-cidr': { type: 'string' },
  'local-address': { type: 'string' },
} as const;

/** A usage or input mistake: exit code 2, the fix in the message. */
export class GatewayCliError extends Error {
  override readonly name = 'GatewayCliError';
}

/** What the command writes to. */
export interface GatewayIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Relative paths are resolved against this. */
  readonly cwd: string;
}

/** What `render` produced. */
export interface RenderOutcome {
  readonly confPath: string;
  readonly secretsPath: string;
  readonly rendered: RenderedConfig;
}

/** Runs the command; returns the exit code. */
export function runGatewayCli(argv: readonly string[], io: GatewayIo): number {
  try {
    const [command, ...rest] = argv;
    if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
      io.stdout.write(GATEWAY_HELP);
      return command === undefined ? 2 : 0;
    }
    if (command !== 'render') {
      throw new GatewayCliError(
        `unknown command "${command}": the only command is render (see npm run gateway -- --help)`,
      );
    }
    const outcome = renderCommand(rest, io);
    if (outcome === 'help') {
      io.stdout.write(GATEWAY_HELP);
      return 0;
    }
    io.stdout.write(describeOutcome(outcome));
    return 0;
  } catch (error) {
    if (error instanceof GatewayCliError || error instanceof RenderError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.stderr.write(`error: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function renderCommand(argv: readonly string[], io: GatewayIo): RenderOutcome | 'help' {
  let values: ReturnType<
    typeof parseArgs<{ options: typeof OPTIONS; strict: true; allowPositionals: false }>
  >['values'];
  try {
    ({ values } = parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }));
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new GatewayCliError(`${message} (see npm run gateway -- --help)`);
  }
  if (values.help) return 'help';
  const missing = (['link', 'vpn-connection', 'out'] as const).filter((name) => !values[name]);
  if (missing.length > 0) {
    throw new GatewayCliError(
      `render needs ${missing.map((name) => `--${name}`).join(', ')} (see npm run gateway -- --help)`,
    );
  }
  const linkName = values.link ?? '';
  const configPath = values.config ?? DEFAULT_GATEWAY_CONFIG;
  const config = parseConfig(readJson(io.cwd, configPath, '--config'), configPath);
  const link = findLink(config, linkName);
  if (link === undefined) {
    throw new GatewayCliError(
      `--link: no link "${linkName}" in ${configPath}; its links are: ${config.links.map((l) => l.name).join(', ')}`,
    );
  }
  const vpnPath = values['vpn-connection'] ?? '';
  const vpn = pickConnection(readJson(io.cwd, vpnPath, '--vpn-connection'), vpnPath, link);
  const localCidr = values['local-cidr'] ?? connectionLocalCidr(vpn);
  if (localCidr === undefined) {
    throw new GatewayCliError(
      `--local-cidr: the connection's Options.LocalIpv4NetworkCidr is ${vpn.Options?.LocalIpv4NetworkCidr ?? 'absent'} (any), so pass the CIDR of the VPC the gateway serves, e.g. --local-cidr 10.0.0.0/16`,
    );
  }
  const remoteCidrs =
    values['remote-cidr'] === undefined ? link.gateway.remoteCidrs : [values['remote-cidr']];
  const rendered = renderLibreswan({
    vpnConnection: vpn,
    localCidrs: [localCidr],
    remoteCidrs,
    namePrefix: link.name,
    ...(values['local-address'] === undefined ? {} : { localAddress: values['local-address'] }),
  });

  const outDir = resolve(io.cwd, values.out ?? '');
  mkdirSync(outDir, { recursive: true });
  const confPath = join(outDir, `${link.name}.conf`);
  const secretsPath = join(outDir, `${link.name}.secrets`);
  writeFileSync(confPath, rendered.conf, { mode: 0o644 });
  // The mode option applies only when the file is created; an existing file keeps its mode unless chmod-ed.
  writeFileSync(secretsPath, rendered.secrets, { mode: 0o600 });
  chmodSync(secretsPath, 0o600);
  return { confPath, secretsPath, rendered };
}

function readJson(cwd: string, path: string, flag: string): unknown {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new GatewayCliError(`${flag}: cannot read ${path} (${code}): pass an existing file`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GatewayCliError(`${flag}: ${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** The link's connection from a describe output (or a single VpnConnection object). */
function pickConnection(raw: unknown, path: string, link: LinkConfig): VpnConnectionInput {
  const record = (raw ?? {}) as { VpnConnections?: unknown; VpnConnectionId?: unknown };
  const candidates: VpnConnectionInput[] = Array.isArray(record.VpnConnections)
    ? (record.VpnConnections as VpnConnectionInput[])
    : typeof record.VpnConnectionId === 'string'
      ? [record as VpnConnectionInput]
      : [];
  if (candidates.length === 0) {
    throw new GatewayCliError(
      `--vpn-connection: ${path} holds no VPN connection (expected the output of aws ec2 describe-vpn-connections, or one of its VpnConnections)`,
    );
  }
  const ids = link.vpn.vpnConnectionIds;
  const matching = candidates.filter(
    (c) => c.VpnConnectionId !== undefined && ids.includes(c.VpnConnectionId),
  );
  if (matching.length === 0) {
    throw new GatewayCliError(
      `--vpn-connection: ${path} holds ${candidates.map((c) => c.VpnConnectionId ?? '(no id)').join(', ')}, none of link ${link.name}'s vpn.vpnConnectionIds (${ids.join(', ')}): save the describe output for the link's connection`,
    );
  }
  if (matching.length > 1) {
    throw new GatewayCliError(
      `--vpn-connection: ${path} holds several of link ${link.name}'s connections (${matching.map((c) => c.VpnConnectionId).join(', ')}); save one with --vpn-connection-ids`,
    );
  }
  return matching[0] as VpnConnectionInput;
}

function connectionLocalCidr(vpn: VpnConnectionInput): string | undefined {
  const cidr = vpn.Options?.LocalIpv4NetworkCidr;
  return cidr === undefined || cidr === '0.0.0.0/0' ? undefined : cidr;
}

function describeOutcome({ confPath, secretsPath, rendered }: RenderOutcome): string {
  const lines = [`wrote ${confPath}`, `wrote ${secretsPath} (mode 0600)`];
  for (const t of rendered.tunnels) {
    lines.push(
      `  ${t.name}: AWS endpoint ${t.outsideIpAddress}, IKEv${t.ikeVersion}, ${t.localCidr} <=> ${t.remoteCidr}`,
      `    ike=${t.ike}`,
      `    esp=${t.esp}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = runGatewayCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    cwd: process.cwd(),
  });
}
