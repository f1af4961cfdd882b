import { describe, expect, it } from 'vitest';
import { DEFAULT_HISTORY_LIMIT, HELP_TEXT, OPTION_NAMES, parseCliArgs, UsageError } from '../../cli/args.ts';
import { runCli } from '../../cli/drill.ts';
import { STATE_MACHINE_ARN, testIo } from './support.ts';

const EXECUTION_ARN =
  'arn:aws:states:eu-west-1:123456789012:execution:VpnGuard-Remediation:home-to-west-drill-20261126T202938';

describe('drill arguments', () => {
  it('runs the local sandbox drill when no stack, machine or execution is named', () => {
    // Act
    const plain = parseCliArgs([]);
    const scenario = parseCliArgs(['--scenario', 'tunnel-down.json', '--json']);

    // Assess
    expect(plain).toEqual({ mode: 'local', json: false });
    expect(scenario).toEqual({ mode: 'local', scenario: 'tunnel-down.json', json: true });
  });

  it('reads a deployed drill with its AWS options', () => {
    // Act
    const command = parseCliArgs([
      '--stack',
      'VpnGuard',
      '--link',
      'home-to-west',
      '--dry-run',
      '--region',
      'eu-west-1',
      '--profile',
      'ops',
      '--abort',
    ]);

    // Assess
    expect(command).toEqual({
      mode: 'drill',
      target: { stack: 'VpnGuard' },
      link: 'home-to-west',
      dryRun: true,
      force: false,
      abort: true,
      json: false,
      aws: { region: 'eu-west-1', profile: 'ops' },
    });
  });

  it('reads --history with the default limit, and --execution-arn as following one execution', () => {
    // Act
    const history = parseCliArgs(['--state-machine-arn', STATE_MACHINE_ARN, '--history']);
    const follow = parseCliArgs(['--execution-arn', EXECUTION_ARN, '--abort']);

    // Assess
    expect(history).toEqual({
      mode: 'history',
      target: { stateMachineArn: STATE_MACHINE_ARN },
      limit: DEFAULT_HISTORY_LIMIT,
      json: false,
      aws: {},
    });
    expect(follow).toEqual({
      mode: 'follow',
      executionArn: EXECUTION_ARN,
      abort: true,
      json: false,
      aws: {},
    });
  });

  it.each([
    [['--link', 'home-to-west'], '--link needs a deployed stack'],
    [['--stack', 'S', '--scenario', 'x.json'], '--scenario is for the local sandbox drill'],
    [
      ['--stack', 'S', '--state-machine-arn', STATE_MACHINE_ARN],
      '--stack and --state-machine-arn are exclusive',
    ],
    [
      ['--state-machine-arn', 'arn:aws:states:eu-west-1:1:stateMachine:X', '--link', 'a'],
      'is not a state machine ARN',
    ],
    [['--state-machine-arn', STATE_MACHINE_ARN], '--link LINK is required'],
    [['--stack', 'S', '--link', 'Home_West'], 'is not a link name'],
    [['--stack', 'S', '--history', '--limit', '0'], '--limit "0" must be a whole number from 1 to 1000'],
    [['--stack', 'S', '--history', '--dry-run'], '--dry-run cannot be used with --history'],
    [['--stack', 'S', '--link', 'a', '--limit', '5'], '--limit goes with --history'],
    [['--execution-arn', 'nope'], 'is not an execution ARN'],
    [['--execution-arn', EXECUTION_ARN, '--link', 'a'], '--link cannot be used with --execution-arn'],
    [['--stak', 'S'], "Unknown option '--stak'"],
    [['--stack', 'S', 'extra'], "Unexpected argument 'extra'"],
  ])('rejects %j with a usage error that says the fix', (argv, message) => {
    // Act
    const parse = () => parseCliArgs(argv);

    // Assess
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it('exits 2 with a one-line usage error', async () => {
    // Prepare
    const { io, stderr } = testIo();

    // Act
    const code = await runCli(['--stack', 'S', '--history', '--limit', 'many'], io);

    // Assess
    expect(code).toBe(2);
    expect(stderr.text).toBe('error: --limit "many" must be a whole number from 1 to 1000\n');
  });
});

describe('--help', () => {
  it('documents every option', () => {
    // Act
    const undocumented = OPTION_NAMES.filter((name) => !HELP_TEXT.includes(`--${name}`));

    // Assess
    expect(undocumented).toEqual([]);
  });

  it('shows examples of the local and the deployed modes, the exit codes and NO_COLOR', () => {
    // Assess
    expect(HELP_TEXT).toContain('  npm run drill\n');
    expect(HELP_TEXT).toContain('npm run drill -- --scenario ');
    expect(HELP_TEXT).toContain('npm run drill -- --stack VpnGuard --link home-to-west --dry-run');
    expect(HELP_TEXT).toContain('npm run drill -- --stack VpnGuard --history');
    expect(HELP_TEXT).toContain('AWS_ENDPOINT_URL');
    expect(HELP_TEXT).toContain('NO_COLOR');
    expect(HELP_TEXT).toMatch(/Exit codes\n {2}0 .*\n(.*\n)* {2}1 .*\n(.*\n)* {2}2 /);
  });

  it('prints the help and exits 0, whatever else is given', async () => {
    // Prepare
    const { io, stdout } = testIo();

    // Act
    const code = await runCli(['--stack', 'S', '--help'], io);

    // Assess
    expect(code).toBe(0);
    expect(stdout.text).toBe(HELP_TEXT);
  });
});
