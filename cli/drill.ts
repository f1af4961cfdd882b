/**
 * `npm run drill`: rehearse a remediation. Without --stack / --state-machine-arn / --execution-arn
 * it runs the local sandbox drill; with them it drills (or lists, or follows) a deployed stack.
 * Exit codes: 0 ok, 1 the drill failed, 2 usage or configuration error.
 */
import { pathToFileURL } from 'node:url';
import { type CliCommand, HELP_TEXT, parseCliArgs, UsageError } from './args.ts';
import { runDeployedDrill, runFollow } from './deployed/drill.ts';
import { CliError, EXIT_CONFIG, EXIT_DRILL_FAILED, EXIT_OK } from './deployed/errors.ts';
import { runHistory } from './deployed/history.ts';
import { type CliIo, processIo } from './deployed/io.ts';
import { colorEnabled } from './render.ts';

async function runLocal(command: Extract<CliCommand, { mode: 'local' }>, io: CliIo): Promise<number> {
  // Loaded only for the local drill: it pulls in the whole sandbox, which a deployed drill never needs.
  const local = await import('./local/index.ts');
  const result = await local.runLocalDrill({
    ...(command.scenario === undefined ? {} : { scenario: command.scenario }),
    json: command.json,
    ...(command.realIke ? { realIke: true } : {}),
    out: io.stdout,
    color: colorEnabled(io.stdout, io.env),
  });
  return result.ok ? EXIT_OK : EXIT_DRILL_FAILED;
}

function dispatch(command: CliCommand, io: CliIo): Promise<number> {
  switch (command.mode) {
    case 'help':
      io.stdout.write(HELP_TEXT);
      return Promise.resolve(EXIT_OK);
    case 'local':
      return runLocal(command, io);
    case 'drill':
      return runDeployedDrill(command, io);
    case 'history':
      return runHistory(command, io);
    case 'follow':
      return runFollow(command, io);
  }
}

/** Runs the command; returns the exit code. Errors are reported on one line on stderr. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(parseCliArgs(argv), io);
  } catch (error) {
    if (error instanceof UsageError || error instanceof CliError) {
      io.stderr.write(`error: ${error.message}\n`);
      return error instanceof CliError ? error.exitCode : EXIT_CONFIG;
    }
    const { name, message } = error instanceof Error ? error : { name: 'Error', message: String(error) };
    const code = (error as { code?: unknown } | null)?.code;
    // A scenario file that is missing or invalid is the user's to fix, not a failed drill.
    const config = code === 'ENOENT' || /Scenario|Config|Usage/.test(name);
    io.stderr.write(`error: ${name}: ${message.split('\n')[0]}\n`);
    return config ? EXIT_CONFIG : EXIT_DRILL_FAILED;
  }
}

async function main(): Promise<void> {
  const controller = new AbortController();
  const onSigint = () => {
    // The first Ctrl-C stops following (the drill goes on); a second one quits at once.
    if (controller.signal.aborted) process.exit(130);
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  try {
    process.exitCode = await runCli(process.argv.slice(2), processIo(controller.signal));
  } finally {
    process.off('SIGINT', onSigint);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
