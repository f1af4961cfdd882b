/**
 * The hosts on the far side of the VPN, as real TCP listeners on loopback (127.0.x.y, a port the
 * kernel picks), each in a child process. The canary probes them for real.
 *
 * When a link is broken its hosts go *silent*: SYNs are not answered, so the canary's handshake
 * times out exactly as it would across a dead tunnel, not merely because a flag says so. How: the
 * child stops running its event loop (it blocks in a synchronous read of its stdin, so it accepts
 * nothing), and the parent fills the listener's accept queue (backlog 1) with idle connections;
 * the kernel then drops every further SYN. Resuming unblocks the child, which drains the queue.
 * (This does what SIGSTOP would, but a child blocked on a pipe also exits when its parent dies,
 * so no stopped orphan can be left behind.)
 *
 * A *refusing* host has closed its listener: the kernel answers RST, which the canary counts as
 * reachable (the remote host answered). A *slow* path answers the SYN only on its retransmission:
 * the parent silences the host for one probe and re-opens it after a short real delay, so the
 * handshake takes about one SYN retransmission timeout (1 s on Linux).
 *
 * Only loopback addresses are ever used: the constructor refuses anything else.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { Socket } from 'node:net';

const CHILD_SCRIPT = `
const net = require('node:net');
const fs = require('node:fs');
const host = process.env.SANDBOX_HOST;
let port = 0;
const say = (line) => fs.writeSync(1, line + '\\n');
const server = net.createServer((socket) => { socket.on('error', () => {}); socket.destroy(); });
server.on('error', (error) => { say('error ' + error.code); process.exit(1); });
const listen = () => server.listen({ host, port, backlog: 1 }, () => { port = server.address().port; say('listening ' + port); });
listen();
process.on('message', (message) => {
  if (message === 'stop') {
    say('stopped');
    const byte = Buffer.alloc(1);
    let read = 0;
    try { read = fs.readSync(0, byte, 0, 1, null); } catch { read = 0; }
    if (read === 0) process.exit(0);
    say('resumed');
  } else if (message === 'close') {
    server.close(() => say('closed'));
  } else if (message === 'listen') {
    listen();
  }
});
process.on('disconnect', () => process.exit(0));
`;

const LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export type HostMode = 'answering' | 'silent' | 'refusing';

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/**
 * Connects to host:port; resolves true on a handshake within `withinMs`, false otherwise. With
 * `keep`, the socket is kept (not destroyed) either way: a handshake the kernel completed while
 * this process's event loop was stalled past `withinMs` then still holds its accept-queue slot
 * instead of freeing it, and a SYN still waiting for a slot stays harmlessly pending.
 */
function tryConnect(host: string, port: number, withinMs: number, keep?: Socket[]): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const timer = setTimeout(() => {
      if (keep) {
        socket.on('error', () => socket.destroy());
        keep.push(socket);
      } else socket.destroy();
      resolve(false);
    }, withinMs);
    socket.on('error', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      clearTimeout(timer);
      if (keep) keep.push(socket);
      else socket.destroy();
      resolve(true);
    });
    socket.connect({ host, port });
  });
}

/** One remote host: a listener in a child process. */
export class RemoteHost {
  private readonly child: ChildProcess;
  private lines: string[] = [];
  private waiters: { prefix: string; resolve: (line: string) => void; reject: (error: Error) => void }[] = [];
  private buffer = '';
  private fillers: Socket[] = [];
  private queue: Promise<void> = Promise.resolve();
  private exited = false;
  private modeNow: HostMode = 'answering';
  port = 0;

  private constructor(readonly host: string) {
    if (!LOOPBACK.test(host)) throw new Error(`remote hosts live on loopback only, not ${host}`);
    installExitHook();
    this.child = spawn(process.execPath, ['-e', CHILD_SCRIPT], {
      stdio: ['pipe', 'pipe', 'ignore', 'ipc'],
      env: { SANDBOX_HOST: host, PATH: process.env.PATH ?? '' },
    });
    live.add(this.child);
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => this.onData(chunk));
    this.child.on('exit', () => {
      this.exited = true;
      live.delete(this.child);
      for (const waiter of this.waiters) waiter.reject(new Error(`remote host ${host} exited`));
      this.waiters = [];
    });
    this.child.on('error', () => undefined);
    this.child.stdin?.on('error', () => undefined);
  }

  /** Starts a host listening on `host` (a loopback address), on a port the kernel picks. */
  static async start(host: string): Promise<RemoteHost> {
    const remote = new RemoteHost(host);
    try {
      const line = await remote.expect('listening', 'error');
      if (line.startsWith('error')) throw new Error(`remote host ${host} could not listen: ${line}`);
      remote.port = Number(line.split(' ')[1]);
      return remote;
    } catch (error) {
      await remote.close();
      throw error;
    }
  }

  get mode(): HostMode {
    return this.modeNow;
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    for (let index = this.buffer.indexOf('\n'); index >= 0; index = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, index);
      this.buffer = this.buffer.slice(index + 1);
      const waiter = this.waiters.findIndex((w) => line.startsWith(w.prefix));
      if (waiter >= 0) {
        const [found] = this.waiters.splice(waiter, 1);
        found?.resolve(line);
      } else {
        this.lines.push(line);
      }
    }
  }

  private expect(...prefixes: string[]): Promise<string> {
    const queued = this.lines.findIndex((line) => prefixes.some((p) => line.startsWith(p)));
    if (queued >= 0) return Promise.resolve(this.lines.splice(queued, 1)[0] ?? '');
    if (this.exited) return Promise.reject(new Error(`remote host ${this.host} exited`));
    return new Promise((resolve, reject) => {
      const drop = () => {
        this.waiters = this.waiters.filter((w) => w.resolve !== settle);
      };
      const timer = setTimeout(() => {
        drop();
        reject(new Error(`remote host ${this.host}: no "${prefixes.join('|')}" within 5 s`));
      }, 5000);
      const settle = (line: string) => {
        clearTimeout(timer);
        drop();
        resolve(line);
      };
      for (const prefix of prefixes) {
        this.waiters.push({
          prefix,
          resolve: settle,
          reject: (error) => {
            clearTimeout(timer);
            reject(error);
          },
        });
      }
    });
  }

  /** Runs `op` after every earlier operation on this host. */
  private serial(op: () => Promise<void>): Promise<void> {
    const run = this.queue.then(op);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Switches to `mode` (no-op when already there). Resolves once the listener behaves so. */
  setMode(mode: HostMode): Promise<void> {
    return this.serial(async () => {
      if (this.exited) throw new Error(`remote host ${this.host} exited`);
      if (mode === this.modeNow) return;
      if (this.modeNow === 'silent') await this.resume();
      if (this.modeNow === 'refusing') await this.relisten();
      if (mode === 'silent') await this.silence();
      if (mode === 'refusing') await this.refuse();
      this.modeNow = mode;
    });
  }

  /**
   * One slow handshake: silent now, answering again after `reopenAfterMs` of real time, so a SYN
   * sent now is dropped and only its retransmission (about 1 s later) is answered.
   */
  async slowOnce(reopenAfterMs: number): Promise<void> {
    await this.setMode('silent');
    setTimeout(() => {
      this.setMode('answering').catch(() => undefined);
    }, reopenAfterMs);
  }

  /** Resolves when every queued mode change has been applied. */
  settled(): Promise<void> {
    return this.queue;
  }

  private async silence(): Promise<void> {
    this.child.send('stop');
    await this.expect('stopped');
    // The child is blocked: fill the accept queue until a handshake no longer completes. The queue
    // may already hold connections the child had not accepted yet, so the count is not fixed; a
    // dropped SYN is retransmitted only after 1 s, so a handshake still missing after 250 ms means
    // the queue is full. Two misses in a row are required: on a loaded machine one miss can be this
    // process's event loop stalling past 250 ms while the kernel completed the handshake (that
    // socket is kept, so it holds its slot).
    let misses = 0;
    for (let i = 0; i < 16; i++) {
      misses = (await tryConnect(this.host, this.port, 250, this.fillers)) ? 0 : misses + 1;
      if (misses === 2) return;
    }
    throw new Error(`remote host ${this.host}:${this.port}: the accept queue never filled`);
  }

  private async resume(): Promise<void> {
    this.child.stdin?.write('g');
    await this.expect('resumed');
    for (const socket of this.fillers) socket.destroy();
    this.fillers = [];
    // The child drains the queue; wait until a handshake completes promptly again.
    for (let i = 0; i < 50; i++) {
      if (await tryConnect(this.host, this.port, 100)) return;
    }
    throw new Error(`remote host ${this.host}:${this.port} did not answer again after resuming`);
  }

  private async refuse(): Promise<void> {
    this.child.send('close');
    await this.expect('closed');
  }

  private async relisten(): Promise<void> {
    this.child.send('listen');
    const line = await this.expect('listening', 'error');
    if (line.startsWith('error'))
      throw new Error(`remote host ${this.host}:${this.port} could not listen again: ${line}`);
  }

  /** Stops the child and releases every socket. */
  async close(): Promise<void> {
    for (const socket of this.fillers) socket.destroy();
    this.fillers = [];
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

/** The loopback address of target `target` of link number `link` (both from 0). */
export function loopbackAddress(link: number, target: number): string {
  return `127.0.${link + 1}.${target + 1}`;
}
