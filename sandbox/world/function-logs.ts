/**
 * What the world's functions write to standard output, treated as Lambda and CloudWatch Logs treat
 * it: Lambda sends each line a function writes to stdout to the function's log group as a log event
 * (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-logging.html), and CloudWatch Logs extracts
 * metrics from every event that is an embedded-metric-format document (emf.ts), asynchronously and
 * with no API call from the function.
 *
 * The handlers run in this process, so stdout is shared: each invocation's writes are told apart by
 * an AsyncLocalStorage context set around the handler ({@link captureFunctionOutput}). Lines from a
 * function go to its log (counted, and read for EMF); EMF documents are not echoed, every other line
 * still reaches the real stdout (so POWERTOOLS_LOG_LEVEL keeps showing the handlers' logs).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CloudWatchModel } from './cloudwatch.ts';
import { readEmf } from './emf.ts';

/** One log event a function wrote. */
export interface FunctionLogEvent {
  /** Simulated epoch ms it was written. */
  readonly at: number;
  readonly functionId: string;
  readonly invocationId: number;
  readonly message: string;
  /** An EMF document (extracted or rejected), or a plain log line. */
  readonly kind: 'emf' | 'rejected' | 'log';
  /** Why CloudWatch would not extract it (kind `rejected`). */
  readonly reason?: string;
}

interface OutputSink {
  readonly functionId: string;
  readonly invocationId: number;
  pending: string;
}

const sinks = new AsyncLocalStorage<OutputSink>();
type Write = typeof process.stdout.write;
/** The real stdout writer while the capture is installed, and who receives the lines. */
let installed: { readonly write: Write; readonly logs: FunctionLogs } | undefined;

/** The world's function logs: every line written, and the metrics CloudWatch took from them. */
export class FunctionLogs {
  readonly events: FunctionLogEvent[] = [];

  constructor(
    private readonly cloudwatch: CloudWatchModel,
    private readonly now: () => number,
  ) {}

  /** One line a function wrote: a log event of its log group. */
  line(functionId: string, invocationId: number, message: string, echo: (text: string) => void): void {
    const at = this.now();
    const reading = readEmf(message, at);
    const base = { at, functionId, invocationId, message };
    if (reading.kind === 'emf') {
      this.cloudwatch.putExtractedMetrics(reading.metrics);
      this.events.push({ ...base, kind: 'emf' });
      return;
    }
    if (reading.kind === 'rejected') this.events.push({ ...base, kind: 'rejected', reason: reading.reason });
    else this.events.push({ ...base, kind: 'log' });
    echo(`${message}\n`);
  }

  /** The EMF documents CloudWatch would not extract (a product bug when not empty). */
  rejected(): FunctionLogEvent[] {
    return this.events.filter((event) => event.kind === 'rejected');
  }

  /** Bytes written to the log groups (each line and its newline), by function id: what logs cost. */
  bytesByFunction(): Record<string, number> {
    const bytes: Record<string, number> = {};
    for (const event of this.events) {
      bytes[event.functionId] = (bytes[event.functionId] ?? 0) + Buffer.byteLength(event.message, 'utf8') + 1;
    }
    return bytes;
  }
}

/**
 * Routes stdout writes made inside {@link captureFunctionOutput} to `logs`; returns what restores
 * the real stdout. One world at a time, like the simulated Date.
 */
export function installFunctionOutputCapture(logs: FunctionLogs): () => void {
  if (installed) throw new Error('function output is already captured: run one world at a time');
  const stdout = process.stdout;
  const write = stdout.write;
  installed = { write, logs };
  const echo = (text: string) => {
    write.call(stdout, text);
  };
  stdout.write = function capturedWrite(
    this: NodeJS.WriteStream,
    chunk: string | Uint8Array,
    encodingOrCallback?: BufferEncoding | ((error?: Error | null) => void),
    callback?: (error?: Error | null) => void,
  ): boolean {
    const sink = sinks.getStore();
    if (!sink)
      return Reflect.apply(
        write,
        stdout,
        [chunk, encodingOrCallback, callback].filter((a) => a !== undefined),
      );
    const encoding = typeof encodingOrCallback === 'string' ? encodingOrCallback : 'utf8';
    sink.pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString(encoding);
    let newline = sink.pending.indexOf('\n');
    while (newline >= 0) {
      logs.line(sink.functionId, sink.invocationId, sink.pending.slice(0, newline), echo);
      sink.pending = sink.pending.slice(newline + 1);
      newline = sink.pending.indexOf('\n');
    }
    const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
    if (done) queueMicrotask(() => done(null));
    return true;
  } as Write;
  return () => {
    stdout.write = write;
    installed = undefined;
  };
}

/** Runs one invocation of `functionId` with its stdout captured as its log (a partial last line too). */
export async function captureFunctionOutput<T>(
  functionId: string,
  invocationId: number,
  run: () => Promise<T>,
): Promise<T> {
  const sink: OutputSink = { functionId, invocationId, pending: '' };
  try {
    return await sinks.run(sink, run);
  } finally {
    if (sink.pending.length > 0 && installed) {
      const { write, logs } = installed;
      logs.line(functionId, invocationId, sink.pending, (text) => {
        write.call(process.stdout, text);
      });
      sink.pending = '';
    }
  }
}
