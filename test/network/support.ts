/**
 * Real-socket fixtures for the canary's network tests. Everything here listens on loopback or on an
 * address inside a network namespace the calling test created: no packet leaves the machine.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server, Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { vi } from 'vitest';

/** A TCP listener in this process that accepts and hangs up at once. */
export interface AcceptingListener {
  readonly port: number;
  /** Resolves once the listener's accepted sockets are all closed. */
  readonly idle: () => Promise<void>;
  readonly close: () => Promise<void>;
}

/** Listens on `host` (loopback) and accepts every connection. */
export async function startAcceptingListener(host = '127.0.0.1'): Promise<AcceptingListener> {
  const server = createServer((connection) => connection.destroy());
  await new Promise<void>((resolve) => server.listen({ host, port: 0 }, resolve));
  return {
    port: portOf(server),
    idle: () => vi.waitFor(() => expectNoConnections(server), { timeout: 5_000, interval: 10 }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A loopback port nothing listens on: the kernel answers a SYN to it with a RST. */
export async function closedLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const port = portOf(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** A listener that completes no handshake: its accept queue is full and its process stopped. */
export interface HeldListener {
  readonly port: number;
  /** Lets the process run again: it drains its queue and answers new SYNs. */
  readonly resume: () => void;
  readonly dispose: () => Promise<void>;
}

/**
 * Starts a listener whose SYNs go unanswered, the only way to get silence from a host that is up.
 *
 * A child Node process listens with backlog 1 and is stopped (SIGSTOP); two client connections
 * then fill its accept queue (the kernel completes their handshakes without the process), and
 * Linux drops every further SYN while the queue is full. `netns` runs the child inside that
 * network namespace (the caller's own), listening on `host` there.
 */
export async function startHeldListener(options: { host: string; netns?: string }): Promise<HeldListener> {
  const { host, netns } = options;
  const code = `const s = require('node:net').createServer((c) => c.destroy());
s.listen({ host: ${JSON.stringify(host)}, port: 0, backlog: 1 }, () => process.stdout.write(s.address().port + '\\n'));`;
  const command = netns
    ? { file: 'ip', args: ['netns', 'exec', netns, process.execPath, '-e', code] }
    : { file: process.execPath, args: ['-e', code] };
  const child = spawn(command.file, command.args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const fillers: Socket[] = [];
  const dispose = async (): Promise<void> => {
    for (const filler of fillers) filler.destroy();
    await killChild(child);
  };
  try {
    const port = await firstLine(child).then(Number);
    const pid = child.pid as number;
    process.kill(pid, 'SIGSTOP');
    // The signal is asynchronous: until the process is really stopped it could still accept a
    // filler and leave room in the queue.
    await vi.waitFor(() => expectStopped(pid), { timeout: 5_000, interval: 5 });
    for (let i = 0; i < 2; i += 1) {
      const filler = new Socket();
      fillers.push(filler);
      filler.on('error', () => undefined);
      await new Promise<void>((resolve, reject) => {
        filler.once('connect', resolve);
        filler.once('error', reject);
        filler.connect({ host, port });
      });
    }
    return { port, resume: () => process.kill(pid, 'SIGCONT'), dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}

/** TCP sockets and pending connects open in this process (listening servers not counted). */
export function openClientSockets(): number {
  return process
    .getActiveResourcesInfo()
    .filter((resource) => resource === 'TCPSocketWrap' || resource.endsWith('ConnectWrap')).length;
}

/** Runs a command, throwing with its stderr when it fails. */
export function run(file: string, args: readonly string[]): string {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether a program is on the PATH. */
export function hasProgram(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('listener has no TCP address');
  return address.port;
}

function expectNoConnections(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.getConnections((error, count) => {
      if (error) reject(error);
      else if (count > 0) reject(new Error(`${count} accepted connection(s) still open`));
      else resolve();
    });
  });
}

function expectStopped(pid: number): void {
  // /proc/<pid>/stat: "pid (comm) state ..."; the comm may hold spaces, so read after the last ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  if (state !== 'T') throw new Error(`process ${pid} is in state ${state}, not stopped`);
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error('child has no stdout'));
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      lines.close();
      resolve(line.trim());
    });
    child.once('error', reject);
    child.once('exit', (code, signal) => reject(new Error(`listener exited early (${code ?? signal})`)));
  });
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}
