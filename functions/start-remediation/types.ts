/** start-remediation's domain types and output. */

/** A link Outage alarm's state. */
export interface AlarmState {
  readonly alarmName: string;
  /** `OK`, `ALARM` or `INSUFFICIENT_DATA`. */
  readonly stateValue: string;
  /** When the alarm entered its current state; null when AWS did not say. */
  readonly enteredAt: Date | null;
}

/** What one trigger saw of one link. */
export interface Observation {
  readonly link: string;
  /**
   * `failing`: tunnels below minTunnelsUp or the canary failed (or the Outage alarm is in ALARM);
   * `healthy`: both figures read and good; `unknown`: a collection failure left it undecided.
   */
  readonly state: 'failing' | 'healthy' | 'unknown';
  /** When it was seen (the tick's check time, or the time the alarm entered ALARM). */
  readonly at: Date;
  /** Which trigger saw it. */
  readonly source: 'monitor' | 'alarm';
  /** `outage` (failing), `redundancy-lost` (fewer than all tunnels up, at least minTunnelsUp), else null. */
  readonly severity: 'outage' | 'redundancy-lost' | null;
  readonly detail: string;
}

/** An alarm (or link) that starts nothing, and why. */
export interface Skipped {
  readonly link: string | null;
  readonly alarmName: string | null;
  readonly reason: string;
}

/** What start-remediation decided for one link, and why (logged and returned). */
export interface LinkDecision {
  readonly link: string;
  readonly observed: Observation['state'];
  readonly severity: Observation['severity'];
  readonly decision:
    | 'opened'
    | 'started'
    | 'already'
    | 'advanced'
    | 'waiting'
    | 'healthy-tick'
    | 'closed'
    | 'none';
  /** The incident's start (ISO) when there is one. */
  readonly incident: string | null;
  readonly attempt: number | null;
  readonly executionName: string | null;
  readonly detail: string;
}

/** start-remediation's output. */
export interface StartResult {
  /** Executions started now. */
  readonly started: readonly {
    readonly link: string;
    readonly executionName: string;
    readonly executionArn: string | null;
  }[];
  /** Attempts whose execution already exists (the other trigger, or an earlier tick, started it). */
  readonly already: readonly { readonly link: string; readonly executionName: string }[];
  readonly skipped: readonly Skipped[];
  /** One entry per link observed: the incident decision. */
  readonly decisions: readonly LinkDecision[];
}
