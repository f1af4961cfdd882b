import { describe, expect, it } from 'vitest';
import { colorEnabled, formatDuration, LiveStatus, makeStyle, renderHistoryLine } from '../../cli/render.ts';
import { Collector } from './support.ts';

describe('terminal-aware rendering', () => {
  it('colours only a terminal, and never when NO_COLOR is set', () => {
    // Prepare
    const tty = new Collector(true);
    const pipe = new Collector(false);

    // Act
    const onTerminal = colorEnabled(tty, {});
    const withNoColor = colorEnabled(tty, { NO_COLOR: '1' });
    const onPipe = colorEnabled(pipe, {});
    const forced = colorEnabled(pipe, { FORCE_COLOR: '1' });
    const emptyNoColor = colorEnabled(tty, { NO_COLOR: '' });

    // Assess
    expect(onTerminal).toBe(true);
    expect(withNoColor).toBe(false);
    expect(onPipe).toBe(false);
    expect(forced).toBe(true);
    expect(emptyNoColor).toBe(true);
  });

  it('redraws the progress line in place on a terminal and clears it before an event line', () => {
    // Prepare
    const tty = new Collector(true);
    const live = new LiveStatus(tty);

    // Act
    live.progress('… ReplaceInstance (5s elapsed)', 5);
    live.progress('… ReplaceInstance (8s elapsed)', 8);
    live.line('event');
    live.done();

    // Assess
    expect(tty.text).toBe(
      '… ReplaceInstance (5s elapsed)\r\u001b[2K… ReplaceInstance (8s elapsed)\r\u001b[2Kevent\n',
    );
  });

  it('writes plain progress lines off a terminal, at most one every 30 seconds', () => {
    // Prepare
    const pipe = new Collector(false);
    const live = new LiveStatus(pipe);

    // Act
    for (const elapsed of [0, 3, 29, 30, 45, 61]) live.progress(`… at ${elapsed}s`, elapsed);

    // Assess
    expect(pipe.text).toBe('… at 0s\n… at 30s\n… at 61s\n');
  });

  it('marks failures in red only when colour is on', () => {
    // Prepare
    const line = {
      timestamp: new Date('2026-11-26T20:30:00.000Z'),
      type: 'TaskFailed',
      state: 'RepointRoutes',
      detail: 'GatewayUpdateError: ReplaceRoute failed',
    };

    // Act
    const coloured = renderHistoryLine(line, makeStyle(true));
    const plain = renderHistoryLine(line, makeStyle(false));

    // Assess
    expect(coloured).toContain('\u001b[31mGatewayUpdateError: ReplaceRoute failed\u001b[39m');
    expect(plain).toBe(
      '20:30:00.000Z  TaskFailed                 RepointRoutes              GatewayUpdateError: ReplaceRoute failed',
    );
  });

  it('formats durations as a person reads them', () => {
    // Assess
    expect([0, 59, 164, 3725].map(formatDuration)).toEqual(['0s', '59s', '2m 44s', '1h 2m 5s']);
  });
});
