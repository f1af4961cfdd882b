/** The local runner on a shared simulated clock: Wait states and retries wait for simulated time. */
import { describe, expect, it } from 'vitest';
import { installSimulatedDate, SimClock } from '#sandbox/clock.ts';
import { runLocalExecution } from '#sandbox/local-sfn.ts';

const ARN = 'arn:aws:lambda:us-east-1:111111111111:function:step';
const MACHINE = 'arn:aws:states:us-east-1:111111111111:stateMachine:test';

const definition = (waitSeconds: number) =>
  JSON.stringify({
    StartAt: 'First',
    States: {
      First: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: ARN, Payload: { step: 'first' } },
        Next: 'Pause',
      },
      Pause: { Type: 'Wait', Seconds: waitSeconds, Next: 'Second' },
      Second: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: ARN, Payload: { step: 'second' } },
        Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 5, BackoffRate: 2, MaxAttempts: 3 }],
        End: true,
      },
    },
  });

describe('local runner on a simulated clock', () => {
  it('interleaves two executions by their Wait states and retry backoffs, in simulated time', async () => {
    const clock = new SimClock({ start: 0 });
    const restore = installSimulatedDate(() => clock.now());
    try {
      const seen: string[] = [];
      let flaky = 2;
      const step = (name: string) => async (event: unknown) => {
        const { step: which } = event as { step: string };
        if (name === 'b' && which === 'second' && flaky-- > 0) {
          throw Object.assign(new Error('try again'), { name: 'Flaky' });
        }
        seen.push(`${name}.${which}@${clock.now() / 1000}`);
        return {};
      };
      const run = (name: string, wait: number) =>
        clock.spawn(name, (activity) =>
          runLocalExecution({
            definition: definition(wait),
            functions: { [ARN]: step(name) },
            input: {},
            executionName: name,
            stateMachineArn: MACHINE,
            sleep: (seconds) => activity.sleep(seconds),
          }),
        );
      const a = run('a', 60);
      const b = run('b', 10);
      await clock.runUntil(120_000);
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.status).toBe('SUCCEEDED');
      expect(rb.status).toBe('SUCCEEDED');
      // b: waits 10 s, fails twice, retried after 5 s then 10 s of backoff.
      expect(seen).toEqual(['a.first@0', 'b.first@0', 'b.second@25', 'a.second@60']);
      const waitExit = rb.history.find((e) => e.type === 'StateExited' && e.state === 'Pause');
      expect(waitExit?.timestamp).toBe(10_000);
    } finally {
      restore();
    }
  });
});
