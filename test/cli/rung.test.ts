/**
 * The drill summary, the `--history` table and the local drill name the remediation rung used (the
 * RemediationReport's `rung`/`rungs`) when the report carries it, and read as before when it does not.
 */
import { describe, expect, it } from 'vitest';
import { toExecutionEvent } from '../../cli/deployed/adapters.ts';
import { renderExecution, rungOfView } from '../../cli/local/render.ts';
import { describeRung, makeStyle, renderHistoryTable, renderSummary } from '../../cli/render.ts';
import {
  buildDeployedSummary,
  type ExecutionDescription,
  type ExecutionEvent,
  toRemediationRecord,
} from '../../cli/summary.ts';
import type { RemediationView } from '../../sandbox/scenario/run.ts';
import type { PublishedMessage } from '../../sandbox/world/sns.ts';
import {
  executionArnOf,
  FAILED_FIXTURE,
  loadHistoryFixture,
  RECOVERED_FIXTURE,
  recordedExecution,
  STATE_MACHINE_ARN,
} from './support.ts';

const RECOVERED_NAME = 'home-to-west-drill-20261126T202938';
const FAILED_NAME = 'home-to-west-drill-20261127T081503';
const plain = makeStyle(false);

function recovered(edit: (report: Record<string, unknown>) => void = () => {}) {
  const raw = loadHistoryFixture(RECOVERED_FIXTURE);
  const recorded = recordedExecution(raw);
  const report = JSON.parse(recorded.output ?? '{}');
  edit(report);
  const description: ExecutionDescription = {
    executionArn: executionArnOf(RECOVERED_NAME),
    stateMachineArn: STATE_MACHINE_ARN,
    name: RECOVERED_NAME,
    status: 'SUCCEEDED',
    ...recorded,
    output: JSON.stringify(report),
  };
  return { description, events: raw.map(toExecutionEvent) };
}

/** The failed fixture, its NotifyFailure's lambda result carrying `report` (as notify returns it). */
function failedWithNotifiedReport(report: Record<string, unknown> | null) {
  const raw = loadHistoryFixture(FAILED_FIXTURE);
  const events: ExecutionEvent[] = raw.map(toExecutionEvent).map((event) => {
    if (event.type !== 'TaskSucceeded' || !event.output?.includes('remediation FAILED at')) return event;
    const output = JSON.parse(event.output);
    if (report) output.Payload.report = report;
    return { ...event, output: JSON.stringify(output) };
  });
  const description: ExecutionDescription = {
    executionArn: executionArnOf(FAILED_NAME),
    stateMachineArn: STATE_MACHINE_ARN,
    name: FAILED_NAME,
    status: 'FAILED',
    ...recordedExecution(raw),
  };
  return { description, events };
}

describe('the rung in the deployed drill summary', () => {
  it('names the rung that healed and every rung tried, in order', () => {
    // Prepare
    const { description, events } = recovered((report) => {
      report.rung = 'replace';
      report.rungs = ['repair', 'restart-ipsec', 'replace'];
    });

    // Act
    const { summary } = buildDeployedSummary(description, events);
    const text = renderSummary(summary, { style: plain });

    // Assess
    expect(summary).toMatchObject({ rung: 'replace', rungs: ['repair', 'restart-ipsec', 'replace'] });
    expect(text).toContain('rung              replace (tried repair, restart-ipsec, replace)\n');
  });

  it('keeps working without a rung: no rung field and no rung row (a report from before the loop)', () => {
    // Prepare
    const { description, events } = recovered();

    // Act
    const { summary } = buildDeployedSummary(description, events);
    const text = renderSummary(summary, { style: plain });

    // Assess
    expect(summary.outcome).toBe('recovered');
    expect(Object.keys(summary)).not.toContain('rung');
    expect(Object.keys(summary)).not.toContain('rungs');
    expect(text).not.toMatch(/^ {2}rung/m);
  });

  it('checks that a recovery in place kept the instance, instead of expecting a replacement', () => {
    // Prepare: repaired in place, the report's old and new instance the same.
    const { description, events } = recovered((report) => {
      report.rung = 'repair';
      report.rungs = ['repair'];
      report.newInstanceId = report.oldInstanceId;
    });

    // Act
    const { summary } = buildDeployedSummary(description, events);

    // Assess
    expect(summary.expectations).toEqual([
      { description: 'the remediation recovered the link', met: true },
      {
        description: 'the gateway instance was kept (repair)',
        met: true,
        detail: 'i-0a1b2c3d4e5f60718 -> i-0a1b2c3d4e5f60718',
      },
    ]);
  });

  it('flags a recovery "in place" that changed the instance', () => {
    // Prepare
    const { description, events } = recovered((report) => {
      report.rung = 'restart-ipsec';
    });

    // Act
    const { summary } = buildDeployedSummary(description, events);

    // Assess
    expect(summary.expectations[1]).toMatchObject({
      description: 'the gateway instance was kept (restart-ipsec)',
      met: false,
    });
  });

  it('reads the rung of a failed execution from the report its NotifyFailure returned', () => {
    // Prepare
    const { description, events } = failedWithNotifiedReport({
      outcome: 'failed',
      rung: 'replace',
      rungs: ['adopt', 'replace'],
    });

    // Act
    const { summary } = buildDeployedSummary(description, events);
    const record = toRemediationRecord(description, [...events].reverse());

    // Assess
    expect(summary).toMatchObject({ outcome: 'failed', failedState: 'AwaitReplacement', rung: 'replace' });
    expect(record.rung).toBe('replace');
  });

  it('has no rung for a failed execution whose notification carried no report', () => {
    // Prepare
    const { description, events } = failedWithNotifiedReport(null);

    // Act
    const { summary } = buildDeployedSummary(description, events);

    // Assess
    expect(summary.rung).toBeUndefined();
  });

  it('says when no rung ran (paged before any change)', () => {
    expect(describeRung({ rung: null, rungs: [] })).toBe('none ran');
    expect(describeRung({ rung: 'page', rungs: ['page'] })).toBe('page');
    expect(describeRung({})).toBeUndefined();
  });
});

describe('the rung in --history', () => {
  it('adds a RUNG column once any record names a rung', () => {
    // Prepare
    const withRung = recovered((report) => {
      report.rung = 'adopt';
      report.rungs = ['adopt'];
    });
    const without = failedWithNotifiedReport(null);
    const records = [
      toRemediationRecord(without.description, without.events),
      toRemediationRecord(withRung.description, withRung.events),
    ];

    // Act
    const table = renderHistoryTable(records, plain);

    // Assess
    expect(table.split('\n')).toEqual([
      'STARTED (UTC)        LINK          TRIGGER  OUTCOME    RECOVER  RUNG   FAILED STATE',
      '2026-11-27 08:15:03  home-to-west  drill    failed     -        -      AwaitReplacement',
      '2026-11-26 20:29:38  home-to-west  drill    recovered  2m 44s   adopt  -',
      '',
    ]);
  });
});

describe('the rung in the local drill', () => {
  const view = (report: RemediationView['report']): RemediationView =>
    ({
      name: 'home-to-west-alarm-20261126T120350',
      arn: 'arn:aws:states:us-east-1:111111111111:execution:Remediation:home-to-west-alarm-20261126T120350',
      status: report ? 'SUCCEEDED' : 'FAILED',
      startedBy: 'start-remediation',
      startDate: Date.parse('2026-11-26T12:03:50Z'),
      stopDate: null,
      link: 'home-to-west',
      trigger: 'alarm',
      dryRun: false,
      report,
      outcome: report ? 'recovered' : 'failed',
      failedState: report ? null : 'Replace',
      error: report ? null : 'DeadlineExceededError',
      cause: null,
      path: [],
      history: [],
    }) as RemediationView;
  const notification = (executionName: string, record: unknown): PublishedMessage =>
    ({
      at: 0,
      topicArn: 'arn:aws:sns:us-east-1:111111111111:VpnGuard',
      messageId: 'm-1',
      subject: '[VpnGuard] home-to-west remediation FAILED',
      email: `home-to-west remediation FAILED\nLink: home-to-west\n\nRecord (JSON):\n${JSON.stringify(record, null, 2)}`,
      sms: 'x',
      publisher: 'notify',
      kind: 'failed',
      executionName,
    }) as PublishedMessage;

  it('takes the rung from the report of a succeeded execution and shows it in its header', () => {
    // Prepare
    const recoveredView = view({ outcome: 'recovered', rung: 'adopt', rungs: ['adopt'] });

    // Act
    const used = rungOfView(recoveredView, []);
    const header = renderExecution(recoveredView, '{"States":{}}', plain, used).split('\n')[0];

    // Assess
    expect(used).toEqual({ rung: 'adopt', rungs: ['adopt'] });
    expect(header).toContain('SUCCEEDED (recovered, rung adopt)');
  });

  it("takes a failed execution's rung from the record in its own last notification", () => {
    // Prepare
    const failedView = view(null);
    const notifications = [
      notification('another-execution', { rung: 'repair', rungs: ['repair'] }),
      notification(failedView.name, {
        outcome: 'failed',
        rung: 'replace',
        rungs: ['restart-ipsec', 'replace'],
      }),
    ];

    // Act
    const used = rungOfView(failedView, notifications);

    // Assess
    expect(used).toEqual({ rung: 'replace', rungs: ['restart-ipsec', 'replace'] });
  });

  it('shows no rung when neither the report nor a notification carries one', () => {
    // Act
    const used = rungOfView(view(null), [notification('x', {})]);
    const header = renderExecution(view(null), '{"States":{}}', plain, used).split('\n')[0];

    // Assess
    expect(used).toEqual({});
    expect(header).toContain('FAILED (failed)');
  });
});
