/**
 * Typed errors of the Libreswan renderer. Each names the input field that is missing or unusable, the
 * value it had, and what the operator does about it; nothing in AWS changed when one is thrown.
 */

/** Base of every renderer error: `field` is a path into the input (`Options.TunnelOptions[1].PreSharedKey`). */
export abstract class RenderError extends Error {
  abstract override readonly name: string;
  /** Where in the input the problem is, as a path from the render input's root. */
  readonly field: string;
  /** What to do about it. */
  readonly fix: string;

  constructor(field: string, problem: string, fix: string) {
    super(`${field}: ${problem}. Fix: ${fix}`);
    this.field = field;
    this.fix = fix;
  }
}

/** A field the rendered configuration needs is absent from the input. */
export class MissingFieldError extends RenderError {
  override readonly name = 'MissingFieldError';
}

/** A field is present but its value is not usable (malformed, out of range, contradictory). */
export class InvalidFieldError extends RenderError {
  override readonly name = 'InvalidFieldError';
}

/**
 * The tunnel's options and Libreswan have no proposal in common (for example a tunnel that allows only
 * DH group 2, which Libreswan 4.10 refuses), so no configuration could ever negotiate.
 */
export class UnsupportedProposalError extends RenderError {
  override readonly name = 'UnsupportedProposalError';
}
