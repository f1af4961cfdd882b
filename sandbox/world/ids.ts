/**
 * Deterministic AWS-shaped ids for one world (so two runs of a scenario print the same ids).
 * Addresses are data only, from the documentation ranges; nothing is ever sent to them.
 */

export class IdFactory {
  private readonly counters = new Map<string, number>();
  private hosts = 10;
  private publicHosts = 10;

  /** `prefix-` then 17 hex digits, e.g. `i-0a1000000000000001`. */
  next(prefix: string): string {
    const n = (this.counters.get(prefix) ?? 0) + 1;
    this.counters.set(prefix, n);
    // A per-prefix marker keeps ids of different kinds visually distinct.
    const marker = [...prefix].reduce((acc, ch) => (acc * 31 + ch.charCodeAt(0)) % 0xfff, 7);
    return `${prefix}-0${marker.toString(16).padStart(3, '0')}${n.toString(16).padStart(13, '0')}`;
  }

  /** A private address in the home VPC (data only). */
  privateIp(): string {
    this.hosts += 1;
    return `10.0.${Math.floor(this.hosts / 250)}.${this.hosts % 250}`;
  }

  /** A public address from TEST-NET-3, 203.0.113.0/24 (documentation range, data only). */
  publicIp(): string {
    this.publicHosts += 1;
    return `203.0.113.${this.publicHosts}`;
  }
}
