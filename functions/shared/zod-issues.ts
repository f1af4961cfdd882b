/** zod issues as one line each: the field, the value it had, and what to do about it. */
import type * as z from 'zod';

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => {
    if (typeof key === 'number') return `${acc}[${key}]`;
    return acc ? `${acc}.${String(key)}` : String(key);
  }, '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

/**
 * `links[0].vpn.region: got "us-moon-1": <the schema's message>` for each issue, reading the bad
 * value from `raw` (the input that was validated). Long values are cut to `maxValueLength`.
 */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  raw: unknown,
  { maxValueLength = Number.POSITIVE_INFINITY, unknownFieldHint = '' } = {},
): string[] {
  return issues.map((issue) => {
    const field = fieldPath(issue.path) || '(root)';
    if (issue.code === 'unrecognized_keys') {
      return `${field}: unknown field(s) ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}${unknownFieldHint}`;
    }
    const value = valueAt(raw, issue.path);
    const shown = value === undefined ? 'nothing (the field is missing)' : JSON.stringify(value);
    const cut = shown.length > maxValueLength ? `${shown.slice(0, maxValueLength - 3)}...` : shown;
    return `${field}: got ${cut}: ${issue.message}`;
  });
}
