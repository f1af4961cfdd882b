/**
 * Simulated time for the sandbox: one clock drives scheduler ticks, Wait states, retries, boot
 * delays, IPsec convergence and alarm evaluation. Nothing sleeps for real.
 *
 * The clock is a small discrete-event simulator. Work runs in *activities* (a state machine
 * execution, an EventBridge delivery): an activity is busy until it finishes or sleeps on the clock.
 * Real asynchronous work (a Lambda handler doing real TCP probes, the remote hosts being silenced)
 * is tracked too. The clock advances to the next timer only when nothing is busy, so simulated time
 * stands still while real work is in flight, and every activity sees a consistent "now".
 *
 * While a world runs, the global `Date` is replaced by one that reads this clock (product handlers
 * call `new Date()` and `Date.now()`); `performance.now()` and the real timers are left alone, so
 * the canary measures real round trips and sockets time out in real time.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

interface Timer {
  readonly at: number;
  readonly seq: number;
  readonly label: string;
  readonly fire: () => void;
  cancelled: boolean;
}

/** A handle on a scheduled event, to cancel it before it fires. */
export interface TimerHandle {
  readonly at: number;
  cancel(): void;
}

/** One unit of simulated concurrency (an execution, a delivery). */
export interface Activity {
  readonly label: string;
  /** Sleeps `seconds` of simulated time; rejects with the signal's reason when aborted. */
  sleep(seconds: number, signal?: AbortSignal): Promise<void>;
}

/** Thrown by {@link SimClock.run} when real work never settles (a hung promise, a bug). */
export class ClockStalledError extends Error {
  override readonly name = 'ClockStalledError';
}

const RealDate = Date;

/** Builds a `Date` constructor whose "now" is `now()`; everything else is the real `Date`. */
export function simulatedDateConstructor(now: () => number): DateConstructor {
  // A plain function rather than a subclass: `Date()` called without `new` must keep working, and
  // instances must stay real Dates (same prototype) so `instanceof` holds on both sides.
  function SimulatedDate(this: unknown, ...args: unknown[]): unknown {
    if (new.target === undefined) return new RealDate(now()).toString();
    return Reflect.construct(RealDate, args.length === 0 ? [now()] : args, new.target);
  }
  Object.setPrototypeOf(SimulatedDate, RealDate);
  SimulatedDate.prototype = RealDate.prototype;
  Object.defineProperty(SimulatedDate, 'now', { value: () => now(), writable: true, configurable: true });
  return SimulatedDate as unknown as DateConstructor;
}

let dateInstalls = 0;

/** Replaces the global `Date` with one reading `now()`; returns the function that restores it. */
export function installSimulatedDate(now: () => number): () => void {
  if (dateInstalls > 0) throw new Error('a simulated Date is already installed: run one world at a time');
  dateInstalls += 1;
  globalThis.Date = simulatedDateConstructor(now);
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    dateInstalls -= 1;
    globalThis.Date = RealDate;
  };
}

/** The real wall clock, for the few places that must not be simulated (progress, watchdogs). */
export const realNow = (): number => RealDate.now();

export interface SimClockOptions {
  /** Simulated start, epoch ms. */
  readonly start: number;
  /** Real milliseconds the clock waits for busy work before declaring it stalled. */
  readonly stallMs?: number;
}

/** The simulated clock and its event queue. */
export class SimClock {
  private nowMs: number;
  private seq = 0;
  private readonly timers: Timer[] = [];
  /** Activities that are running and not sleeping. */
  private readonly awake = new Map<symbol, string>();
  /** Pending sleeps per activity (an activity with branches may sleep in several at once). */
  private readonly sleeping = new Map<symbol, number>();
  /** Labels of real asynchronous work in flight (handler invocations, remote-host control). */
  private readonly inFlight = new Map<number, string>();
  /** Tracked work released while its handler waits in {@link wait}, with the number of waits. */
  private readonly heldWork = new Map<number, { name: string; waits: number }>();
  private inFlightSeq = 0;
  private changed: (() => void) | undefined;
  private readonly stallMs: number;
  /** Whether {@link runUntil} is advancing the clock. */
  private running = false;
  /** Which activity and which tracked work the running code belongs to (for {@link wait}). */
  private readonly here = new AsyncLocalStorage<{
    readonly activity?: { readonly id: symbol; readonly label: string };
    readonly tracked: readonly number[];
  }>();

  constructor(options: SimClockOptions) {
    this.nowMs = options.start;
    this.stallMs = options.stallMs ?? 20_000;
  }

  /** Simulated now, epoch ms. */
  now(): number {
    return this.nowMs;
  }

  /** Schedules `fire` at simulated time `at` (epoch ms); same-time events fire in scheduling order. */
  scheduleAt(at: number, label: string, fire: () => void): TimerHandle {
    const timer: Timer = { at: Math.max(at, this.nowMs), seq: this.seq++, label, fire, cancelled: false };
    const index = this.timers.findIndex((t) => t.at > timer.at);
    if (index === -1) this.timers.push(timer);
    else this.timers.splice(index, 0, timer);
    return {
      at: timer.at,
      cancel: () => {
        timer.cancelled = true;
      },
    };
  }

  /** Schedules `fire` `seconds` of simulated time from now. */
  scheduleIn(seconds: number, label: string, fire: () => void): TimerHandle {
    return this.scheduleAt(this.nowMs + seconds * 1000, label, fire);
  }

  /** The next pending event time, or undefined. */
  nextEventAt(): number | undefined {
    return this.timers.find((t) => !t.cancelled)?.at;
  }

  /**
   * Runs `body` as an activity: the clock does not advance while it is busy, only while it sleeps.
   * Errors propagate to the returned promise.
   */
  spawn<T>(label: string, body: (activity: Activity) => Promise<T>): Promise<T> {
    const id = Symbol(label);
    this.awake.set(id, label);
    const activity: Activity = {
      label,
      sleep: (seconds, signal) => this.sleepFor(id, label, seconds, signal),
    };
    const done = this.here.run({ activity: { id, label }, tracked: [] }, async () => body(activity));
    return done.finally(() => {
      this.awake.delete(id);
      this.sleeping.delete(id);
      this.notify();
    });
  }

  /**
   * Marks real asynchronous work as busy until it settles, so the clock waits for it. Given as a
   * function, the work runs in the tracked context, so it may {@link wait} in simulated time.
   */
  track<T>(label: string, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    const id = this.inFlightSeq++;
    this.inFlight.set(id, label);
    const outer = this.here.getStore();
    const running =
      typeof work === 'function'
        ? this.here.run({ ...outer, tracked: [...(outer?.tracked ?? []), id] }, work)
        : work;
    return running.finally(() => {
      // Settled work never holds the clock again, even if one of its branches is still waiting
      // (a Promise.all that rejected while a sibling call backs off): forget its waits too.
      this.inFlight.delete(id);
      this.heldWork.delete(id);
      this.notify();
    });
  }

  /**
   * The calling code waits `seconds` of simulated time (an SDK client's retry backoff inside a
   * handler): its tracked work stops holding the clock and its activity sleeps until then, so the
   * clock advances as it would for a Wait state. Outside any activity it waits for the clock to
   * reach that time, running the clock itself when nobody else does (a test calling the SDK).
   */
  async wait(seconds: number, label: string): Promise<void> {
    const here = this.here.getStore();
    // Several branches of one handler may wait at once (Promise.all of retried calls): the tracked
    // work stops holding the clock while any of them waits and holds it again once the last is done.
    const held = (here?.tracked ?? []).filter((id) => this.inFlight.has(id) || this.heldWork.has(id));
    for (const id of held) {
      const entry = this.heldWork.get(id);
      if (entry) entry.waits += 1;
      else this.heldWork.set(id, { name: this.inFlight.get(id) ?? '', waits: 1 });
      this.inFlight.delete(id);
    }
    try {
      if (here?.activity) await this.sleepFor(here.activity.id, here.activity.label, seconds);
      else if (seconds > 0 && this.running) {
        await new Promise<void>((resolve) => {
          this.scheduleIn(seconds, label, resolve);
          this.notify();
        });
      } else if (seconds > 0) {
        // Nobody runs the clock (a test calling the SDK directly): the waiting caller drives it.
        await this.runUntil(this.nowMs + seconds * 1000);
      }
    } finally {
      for (const id of held) {
        const entry = this.heldWork.get(id);
        if (!entry) continue;
        entry.waits -= 1;
        if (entry.waits === 0) {
          this.heldWork.delete(id);
          this.inFlight.set(id, entry.name);
        }
      }
    }
  }

  private sleepFor(id: symbol, label: string, seconds: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!(seconds > 0)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.sleeping.set(id, (this.sleeping.get(id) ?? 0) + 1);
      this.awake.delete(id);
      let settled = false;
      const wake = () => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        const pending = this.sleeping.get(id);
        // The activity ended while this sleep was pending (a branch orphaned by a rejected
        // Promise.all): there is nothing to wake, and it must not hold the clock again.
        if (pending === undefined) return;
        const left = pending - 1;
        // The activity holds the clock again only when its last sleep ends: a branch that woke
        // first runs real work only through tracked invocations, which hold the clock themselves.
        if (left > 0) this.sleeping.set(id, left);
        else {
          this.sleeping.delete(id);
          this.awake.set(id, label);
        }
      };
      const timer = this.scheduleIn(seconds, `${label}: sleep ${seconds}s`, () => {
        wake();
        resolve();
      });
      const onAbort = () => {
        timer.cancel();
        wake();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.notify();
    });
  }

  /** What is keeping the clock from advancing, for stall reports. */
  busy(): string[] {
    return [...this.awake.values(), ...this.inFlight.values()];
  }

  private notify(): void {
    const wake = this.changed;
    this.changed = undefined;
    wake?.();
  }

  /** Resolves once no activity is awake and no tracked work is in flight. */
  async settle(): Promise<void> {
    const started = realNow();
    for (;;) {
      if (this.busy().length > 0) {
        const waited = new Promise<void>((resolve) => {
          this.changed = resolve;
        });
        const stall = new Promise<'stall'>((resolve) => {
          const left = Math.max(1, this.stallMs - (realNow() - started));
          const handle = setTimeout(() => resolve('stall'), left);
          waited.then(() => clearTimeout(handle));
        });
        if ((await Promise.race([waited, stall])) === 'stall') {
          throw new ClockStalledError(
            `simulated clock stalled for ${this.stallMs} ms of real time waiting on: ${this.busy().join(', ')}`,
          );
        }
        continue;
      }
      // Microtask chains (an interpreter moving between states) finish before a macrotask runs:
      // yield twice and look again before declaring the world idle.
      await new Promise<void>((resolve) => setImmediate(resolve));
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.busy().length === 0) return;
    }
  }

  /**
   * Advances simulated time to `until` (epoch ms), firing every event due on the way and letting
   * the work each one starts settle before the next.
   */
  async runUntil(until: number): Promise<void> {
    const outer = this.running;
    this.running = true;
    try {
      await this.runEvents(until);
    } finally {
      this.running = outer;
    }
  }

  private async runEvents(until: number): Promise<void> {
    for (;;) {
      await this.settle();
      const next = this.timers[0];
      if (!next || next.at > until) break;
      this.timers.shift();
      if (next.cancelled) continue;
      this.nowMs = Math.max(this.nowMs, next.at);
      next.fire();
    }
    this.nowMs = Math.max(this.nowMs, until);
  }

  /** Cancels every pending event (used when a world is disposed). */
  clear(): void {
    for (const timer of this.timers) timer.cancelled = true;
    this.timers.length = 0;
  }
}
