/**
 * The sandbox's Step Functions: StopExecution (ABORTED; an ended execution is left as it is; an
 * unknown ARN is ExecutionDoesNotExist) and GetExecutionHistory (API shape, reverse order, pages).
 */
import { describe, expect, it } from 'vitest';
import { type ExecutionRecord, type MachineRecord, SfnModel } from '#sandbox/world/sfn.ts';

const MACHINE: MachineRecord = {
  id: 'remediation',
  arn: 'arn:aws:states:us-east-1:111111111111:stateMachine:vpn-guard-remediation',
  type: 'STANDARD',
  definition: '{}',
  timeoutSeconds: 2100,
};

function model(): { sfn: SfnModel; stopped: ExecutionRecord[]; record: () => ExecutionRecord } {
  const stopped: ExecutionRecord[] = [];
  let last: ExecutionRecord | undefined;
  const sfn = new SfnModel((machine, name, input, startedBy) => {
    last = {
      machine: machine.id,
      name,
      arn: `${machine.arn.replace(':stateMachine:', ':execution:')}:${name}`,
      input,
      startDate: 0,
      startedBy,
      status: 'RUNNING',
      history: [
        { type: 'ExecutionStarted', timestamp: 0 },
        { type: 'StateEntered', timestamp: 1, state: 'ValidateInput', stateType: 'Task' },
        { type: 'StateExited', timestamp: 2, state: 'ValidateInput', stateType: 'Task' },
        { type: 'StateEntered', timestamp: 3, state: 'WaitForReplacement', stateType: 'Wait' },
      ],
      path: [],
      done: Promise.resolve(),
    };
    return last;
  });
  sfn.addMachine(MACHINE);
  sfn.bindStopper((record) => {
    stopped.push(record);
    record.status = 'ABORTED';
    record.stopDate = 10;
  });
  return {
    sfn,
    stopped,
    record: () => {
      if (!last) throw new Error('no execution');
      return last;
    },
  };
}

describe('StopExecution', () => {
  it('ends a running execution ABORTED and leaves an ended one as it is', () => {
    const { sfn, stopped, record } = model();
    sfn.startExecution({ stateMachineArn: MACHINE.arn, name: 'x', input: '{}' }, 'harness');
    expect(sfn.stopExecution({ executionArn: record().arn, error: 'Operator' }, 5).stopDate).toEqual(
      new Date(10),
    );
    expect(record().status).toBe('ABORTED');
    sfn.stopExecution({ executionArn: record().arn }, 20);
    expect(stopped).toHaveLength(1);
  });

  it('answers ExecutionDoesNotExist for an unknown execution', () => {
    const { sfn } = model();
    expect(() => sfn.stopExecution({ executionArn: `${MACHINE.arn}:nope` }, 0)).toThrow(
      expect.objectContaining({ name: 'ExecutionDoesNotExist' }),
    );
  });
});

describe('GetExecutionHistory', () => {
  it('lists the events as the API does, newest first with reverseOrder, in pages', () => {
    const { sfn, record } = model();
    sfn.startExecution({ stateMachineArn: MACHINE.arn, name: 'x', input: '{}' }, 'harness');
    const newest = sfn.getExecutionHistory({ executionArn: record().arn, reverseOrder: true, maxResults: 2 });
    expect(
      newest.events?.map((e) => [
        e.id,
        e.type,
        e.stateEnteredEventDetails?.name ?? e.stateExitedEventDetails?.name,
      ]),
    ).toEqual([
      [4, 'WaitStateEntered', 'WaitForReplacement'],
      [3, 'TaskStateExited', 'ValidateInput'],
    ]);
    const rest = sfn.getExecutionHistory({
      executionArn: record().arn,
      reverseOrder: true,
      maxResults: 2,
      nextToken: newest.nextToken,
    });
    expect(rest.events?.map((e) => e.id)).toEqual([2, 1]);
    expect(rest.nextToken).toBeUndefined();
  });

  it('refuses maxResults above 1000', () => {
    const { sfn, record } = model();
    sfn.startExecution({ stateMachineArn: MACHINE.arn, name: 'x', input: '{}' }, 'harness');
    expect(() => sfn.getExecutionHistory({ executionArn: record().arn, maxResults: 1001 })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );
  });
});
