/**
 * A real-IKE lab: two network namespaces joined by a veth pair, each running its own `pluto`.
 *
 * The gateway namespace holds the customer gateway's address (and a default route to its peer, so a
 * rendered `left=%defaultroute` resolves as on an instance); the AWS namespace holds AWS's two tunnel
 * endpoint addresses. Addresses exist only inside these namespaces: the root namespace gets no
 * address and no route, so nothing the daemons send can leave them.
 *
 * Pitfalls this handles (met while checking the approach on Debian 12, Libreswan 4.10):
 * - `ipsec start` needs systemd: pluto runs directly (`--nofork`) with its own rundir, NSS database
 *   (`ipsec initnss --nssdir`), secrets file and log file, so it never touches /etc or /run.
 * - The control socket appears before pluto reads its interfaces: readiness is the log line
 *   "listening for IKE messages" followed by the secrets being loaded.
 * - Every `ipsec`/`ip` call has a timeout; every daemon is reaped by {@link IkeLab.dispose}, and by a
 *   process exit hook if a test dies first.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long any single `ip`/`ipsec` command may take before it is killed. */
const COMMAND_TIMEOUT_MS = 10_000;
const PLUTO_CANDIDATES = [
  '/usr/libexec/ipsec/pluto',
  '/usr/lib/ipsec/pluto',
  '/usr/local/libexec/ipsec/pluto',
];

/**
 * The lab's transit subnet between the namespaces (TEST-NET-1, RFC 5737); the customer gateway's and
 * AWS's outside addresses sit on top of it as /32s, so any addresses the VPN connection names work.
 */
export const LAB_ADDRESSES = {
  awsTransit: '192.0.2.1',
  prefix: 24,
  /** The customer gateway's address when none is given (the fixtures' `customer_gateway` address). */
  customerGateway: '198.51.100.10',
} as const;

/** Result of one command: exit status (null when killed by the timeout) and its output. */
export interface CommandResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command with a timeout; never throws for a non-zero exit. */
export function runCommand(
  file: string,
  args: readonly string[],
  timeoutMs = COMMAND_TIMEOUT_MS,
): CommandResult {
  const result = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs, killSignal: 'SIGKILL' });
  return {
    status: result.error ? null : result.status,
    stdout: result.stdout ?? '',
    stderr: result.stderr ?? (result.error ? String(result.error) : ''),
  };
}

function mustRun(file: string, args: readonly string[]): string {
  const result = runCommand(file, args);
  if (result.status !== 0) {
    throw new Error(
      `${file} ${args.join(' ')} failed (${result.status}): ${result.stderr.trim() || result.stdout.trim()}`,
    );
  }
  return result.stdout;
}

/** The pluto binary, or undefined when Libreswan is not installed. */
export function findPluto(): string | undefined {
  return PLUTO_CANDIDATES.find((path) => existsSync(path));
}

/** Why real-IKE runs cannot happen here, or undefined when they can (root, Libreswan, iproute2). */
export function realIkeUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not running as root (network namespaces and pluto need root)';
  if (runCommand('ip', ['-V']).status !== 0) return 'iproute2 (`ip`) is not installed';
  if (runCommand('ipsec', ['--version']).status !== 0)
    return 'Libreswan (`ipsec`) is not installed (.ci/run installs it)';
  if (findPluto() === undefined) return `Libreswan's pluto is not at ${PLUTO_CANDIDATES.join(' or ')}`;
  return undefined;
}

/** The Libreswan version line (`Libreswan 4.10`). */
export function libreswanVersion(): string {
  return runCommand('ipsec', ['--version']).stdout.trim();
}

/** One IKE/IPsec state as `whack --showstates` prints it. */
export interface PlutoState {
  readonly serial: number;
  readonly connection: string;
  readonly state: string;
}

/** IKE SA states that mean "established": IKEv2's, and IKEv1's main mode (initiator I4 / responder R3). */
const IKE_ESTABLISHED = new Set(['STATE_V2_ESTABLISHED_IKE_SA', 'STATE_MAIN_I4', 'STATE_MAIN_R3']);
const CHILD_ESTABLISHED = new Set(['STATE_V2_ESTABLISHED_CHILD_SA', 'STATE_QUICK_I2', 'STATE_QUICK_R2']);

/** A running pluto in one namespace. */
export class PlutoDaemon {
  private exited = false;
  private readonly exitPromise: Promise<void>;

  constructor(
    readonly side: string,
    readonly dir: string,
    private readonly child: ChildProcess,
  ) {
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !this.exited;
  }

  get logFile(): string {
    return join(this.dir, 'pluto.log');
  }

  get controlSocket(): string {
    return join(this.dir, 'run', 'pluto.ctl');
  }

  /** The daemon's log so far. */
  log(): string {
    return existsSync(this.logFile) ? readFileSync(this.logFile, 'utf8') : '';
  }

  /** Runs `ipsec whack` against this daemon's control socket. */
  whack(args: readonly string[]): CommandResult {
    return runCommand('ipsec', ['whack', '--ctlsocket', this.controlSocket, ...args]);
  }

  /** The daemon's states. */
  states(): PlutoState[] {
    if (!this.running) return [];
    const out = this.whack(['--showstates']).stdout;
    return [...out.matchAll(/#(\d+): "([^"]+)"[^ ]* (STATE_\w+)/g)].map((m) => ({
      serial: Number(m[1]),
      connection: m[2] ?? '',
      state: m[3] ?? '',
    }));
  }

  /** Connections with an established IKE SA. */
  establishedIke(): Set<string> {
    return new Set(
      this.states()
        .filter((s) => IKE_ESTABLISHED.has(s.state))
        .map((s) => s.connection),
    );
  }

  /** Connections with an established child (IPsec) SA. */
  establishedChild(): Set<string> {
    return new Set(
      this.states()
        .filter((s) => CHILD_ESTABLISHED.has(s.state))
        .map((s) => s.connection),
    );
  }

  /** Stops the daemon: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 2_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
    if ((await Promise.race([this.exitPromise, timer])) === 'timeout') {
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
  }

  /** Kills the daemon at once (the `ipsec-dies` fault), without letting it say goodbye to its peers. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.exitPromise;
  }
}

const liveLabs = new Set<IkeLab>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Last resort when a test process dies without its afterAll: no daemon or namespace survives it.
  process.once('exit', () => {
    for (const lab of liveLabs) lab.disposeSync();
  });
}

let labCounter = 0;

/** Two namespaces (gateway, AWS) and the daemons started in them. */
export class IkeLab {
  readonly gatewayNs: string;
  readonly awsNs: string;
  readonly dir: string;
  private readonly daemons: PlutoDaemon[] = [];
  private readonly gatewayIf: string;
  private readonly awsIf: string;
  private disposed = false;

  private constructor(
    readonly awsAddresses: readonly string[],
    readonly customerGateway: string,
  ) {
    labCounter += 1;
    // pid and counter separated, so two test processes never build the same names (15-char veth limit:
    // "vgg" + up to 7 pid digits + "x" + the counter).
    const tag = `${process.pid}x${labCounter}`;
    this.gatewayNs = `vgike-gw-${tag}`;
    this.awsNs = `vgike-aws-${tag}`;
    this.gatewayIf = `vgg${tag}`;
    this.awsIf = `vga${tag}`;
    if (this.gatewayIf.length > 15)
      throw new Error(`interface name ${this.gatewayIf} is longer than 15 characters`);
    this.dir = mkdtempSync(join(tmpdir(), 'vpn-guard-ike-'));
  }

  /**
   * Creates the namespaces and the veth pair. `awsAddresses` are AWS's tunnel outside addresses and
   * `customerGateway` the gateway's public address (both from the VPN connection).
   */
  static create(
    awsAddresses: readonly string[],
    customerGateway: string = LAB_ADDRESSES.customerGateway,
  ): IkeLab {
    installExitHook();
    const lab = new IkeLab(awsAddresses, customerGateway);
    liveLabs.add(lab);
    try {
      lab.build();
    } catch (error) {
      lab.disposeSync();
      throw error;
    }
    return lab;
  }

  private build(): void {
    const { awsTransit, prefix } = LAB_ADDRESSES;
    const gw = (...args: string[]) => mustRun('ip', ['-n', this.gatewayNs, ...args]);
    const aws = (...args: string[]) => mustRun('ip', ['-n', this.awsNs, ...args]);
    mustRun('ip', ['netns', 'add', this.gatewayNs]);
    mustRun('ip', ['netns', 'add', this.awsNs]);
    // Created inside the gateway namespace and its peer moved straight to the AWS one: the pair never
    // exists in the root namespace.
    gw('link', 'add', this.gatewayIf, 'type', 'veth', 'peer', 'name', this.awsIf, 'netns', this.awsNs);
    // The gateway's only address is its public one, so `left=%defaultroute` resolves to it, as an
    // instance's resolves to its own address.
    gw('addr', 'add', `${this.customerGateway}/32`, 'dev', this.gatewayIf);
    aws('addr', 'add', `${awsTransit}/${prefix}`, 'dev', this.awsIf);
    for (const address of this.awsAddresses) aws('addr', 'add', `${address}/32`, 'dev', this.awsIf);
    for (const [run, dev] of [
      [gw, this.gatewayIf],
      [aws, this.awsIf],
    ] as const) {
      run('link', 'set', 'dev', 'lo', 'up');
      run('link', 'set', 'dev', dev, 'up');
    }
    gw('route', 'add', `${awsTransit}/32`, 'dev', this.gatewayIf);
    gw('route', 'add', 'default', 'via', awsTransit, 'dev', this.gatewayIf);
    aws('route', 'add', `${this.customerGateway}/32`, 'dev', this.awsIf);
  }

  /** Runs a command inside the gateway namespace (e.g. `ipsec addconn --checkconfig`). */
  runInGateway(file: string, args: readonly string[]): CommandResult {
    return runCommand('ip', ['netns', 'exec', this.gatewayNs, file, ...args]);
  }

  /** Cuts or restores the path between the namespaces. */
  setLink(up: boolean): void {
    mustRun('ip', ['-n', this.awsNs, 'link', 'set', 'dev', this.awsIf, up ? 'up' : 'down']);
  }

  /**
   * Starts pluto on one side with a complete ipsec.conf and secrets, and resolves once it listens and
   * has loaded its secrets (so a peer's first packet is answered).
   */
  async startPluto(
    side: 'gateway' | 'aws',
    conf: string,
    secrets: string,
    readyMs = 5_000,
  ): Promise<PlutoDaemon> {
    const pluto = findPluto();
    if (pluto === undefined) throw new Error('pluto is not installed');
    const dir = join(this.dir, `${side}-${this.daemons.length + 1}`);
    for (const sub of ['run', 'nss', 'ipsec.d']) mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(join(dir, 'ipsec.conf'), conf);
    writeFileSync(join(dir, 'ipsec.secrets'), secrets, { mode: 0o600 });
    chmodSync(join(dir, 'ipsec.secrets'), 0o600);
    mustRun('ipsec', ['initnss', '--nssdir', join(dir, 'nss')]);
    const ns = side === 'gateway' ? this.gatewayNs : this.awsNs;
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        ns,
        pluto,
        '--nofork',
        '--config',
        join(dir, 'ipsec.conf'),
        '--rundir',
        join(dir, 'run'),
        '--nssdir',
        join(dir, 'nss'),
        '--ipsecdir',
        join(dir, 'ipsec.d'),
        '--secretsfile',
        join(dir, 'ipsec.secrets'),
        '--dumpdir',
        join(dir, 'run'),
        '--logfile',
        join(dir, 'pluto.log'),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const daemon = new PlutoDaemon(side, dir, child);
    this.daemons.push(daemon);
    const deadline = performance.now() + readyMs;
    for (;;) {
      const log = daemon.log();
      const listening = log.indexOf('listening for IKE messages');
      if (listening >= 0 && log.indexOf('loading secrets from', listening) >= 0) return daemon;
      if (!daemon.running)
        throw new Error(`pluto (${side}) exited before listening: ${stderr.trim()}\n${log.slice(-2000)}`);
      if (performance.now() > deadline) {
        await daemon.stop();
        throw new Error(
          `pluto (${side}) did not listen within ${readyMs} ms: ${stderr.trim()}\n${log.slice(-2000)}`,
        );
      }
      await sleep(20);
    }
  }

  /** Stops every daemon, removes both namespaces (and with them the veth pair) and the work directory. */
  async dispose(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
    this.disposeSync();
  }

  /** Synchronous teardown for exit hooks: SIGKILLs what still runs. */
  disposeSync(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const daemon of this.daemons) {
      if (daemon.running && daemon.pid !== undefined) {
        try {
          process.kill(daemon.pid, 'SIGKILL');
        } catch {
          // Exited between the check and the kill.
        }
      }
    }
    for (const ns of [this.gatewayNs, this.awsNs]) runCommand('ip', ['netns', 'del', ns]);
    rmSync(this.dir, { recursive: true, force: true });
    liveLabs.delete(this);
  }
}

/**
 * Whether this kernel can hold ESP security associations: adds one in a throwaway namespace. Kernels
 * without the xfrm ESP modules (CI's here) answer "Requested type not found" / "Function not
 * implemented", and no child SA can be installed there.
 */
export function kernelSupportsEsp(): boolean {
  const ns = `vgike-esp-${process.pid}`;
  if (runCommand('ip', ['netns', 'add', ns]).status !== 0) return false;
  try {
    const key = '0x00112233445566778899aabbccddeeff';
    const result = runCommand('ip', [
      '-n',
      ns,
      'xfrm',
      'state',
      'add',
      'src',
      '192.0.2.1',
      'dst',
      '192.0.2.2',
      'proto',
      'esp',
      'spi',
      '0x100',
      'mode',
      'tunnel',
      'enc',
      'cbc(aes)',
      key,
      'auth',
      'hmac(sha256)',
      `${key}${key.slice(2)}`,
    ]);
    return result.status === 0;
  } finally {
    runCommand('ip', ['netns', 'del', ns]);
  }
}

/** Waits until `check` returns true, polling every `intervalMs`; false when `timeoutMs` passed first. */
export async function waitUntil(check: () => boolean, timeoutMs: number, intervalMs = 25): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (check()) return true;
    if (performance.now() >= deadline) return false;
    await sleep(intervalMs);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Writes a file, creating nothing else (helper for tests that checkconfig a rendered file). */
export function writeConf(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
