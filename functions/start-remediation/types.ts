/** start-remediation's domain types and output. */

/** An Unhealthy composite alarm's state. */
export interface AlarmState {
  readonly alarmName: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly stateValue: string;
  /** When the alarm entered its current state; null when AWS did not say. */
  readonly enteredAt: Date | null;
}

/** A remediation to start: one per alarm episode. */
export interface PlannedStart {
  readonly link: string;
  readonly alarmName: string;
  readonly executionName: string;
  /** The execution input, serialised once so both triggers send byte-identical input. */
  readonly input: string;
}

/** An alarm that starts nothing, and why. */
export interface Skipped {
  readonly link: string | null;
  readonly alarmName: string | null;
  readonly reason: string;
}

/** start-remediation's output. */
export interface StartResult {
  /** Executions started now. */
  readonly started: readonly {
    readonly link: string;
    readonly executionName: string;
    readonly executionArn: string | null;
  }[];
  /** Episodes whose execution already exists (the other trigger, or an earlier tick, started it). */
  readonly already: readonly { readonly link: string; readonly executionName: string }[];
  readonly skipped: readonly Skipped[];
}
