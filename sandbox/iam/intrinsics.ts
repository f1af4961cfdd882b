/**
 * CloudFormation's intrinsic functions, as far as policy documents use them, resolved to the
 * world's values (CloudFormation User Guide, "Intrinsic function reference" and "Pseudo
 * parameters reference"):
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference.html
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html
 *
 * `Ref` (resources and pseudo parameters), `Fn::GetAtt`, `Fn::Join`, `Fn::Sub` (both forms),
 * `Fn::Select`, `Fn::Split`. Anything else (`Fn::If`, `Fn::ImportValue`, ...) throws: a template
 * using it needs the resolver extended, never a silent guess.
 */

/** What `Ref` and `Fn::GetAtt` of a logical id resolve to in the world. */
export interface ReferenceResolver {
  /** `Ref` of a pseudo parameter (`AWS::Region`, ...) or a resource's logical id. */
  ref(name: string): string;
  getAtt(logicalId: string, attribute: string): string;
}

/** An intrinsic the resolver does not handle (or malformed input to one). */
export class UnresolvableIntrinsicError extends Error {
  override readonly name = 'UnresolvableIntrinsicError';
}

/** `value` with every intrinsic replaced by its world value (objects and arrays walked). */
export function resolveIntrinsics(value: unknown, resolver: ReferenceResolver): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveIntrinsics(item, resolver));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  const [first] = entries;
  if (entries.length === 1 && first && (first[0] === 'Ref' || first[0].startsWith('Fn::'))) {
    return resolveFunction(first[0], first[1], resolver);
  }
  return Object.fromEntries(entries.map(([key, item]) => [key, resolveIntrinsics(item, resolver)]));
}

function resolveString(value: unknown, resolver: ReferenceResolver, where: string): string {
  const resolved = resolveIntrinsics(value, resolver);
  if (typeof resolved !== 'string' && typeof resolved !== 'number') {
    throw new UnresolvableIntrinsicError(`${where} expects a string, got ${JSON.stringify(resolved)}`);
  }
  return String(resolved);
}

function resolveFunction(name: string, argument: unknown, resolver: ReferenceResolver): unknown {
  switch (name) {
    case 'Ref':
      if (typeof argument !== 'string') throw new UnresolvableIntrinsicError('Ref takes a name');
      return resolver.ref(argument);
    case 'Fn::GetAtt': {
      const [logicalId, ...attribute] =
        typeof argument === 'string' ? argument.split('.') : (argument as string[]);
      if (typeof logicalId !== 'string' || attribute.length === 0)
        throw new UnresolvableIntrinsicError(`Fn::GetAtt ${JSON.stringify(argument)}`);
      return resolver.getAtt(logicalId, attribute.join('.'));
    }
    case 'Fn::Join': {
      const [separator, items] = argument as [string, unknown];
      const values = resolveIntrinsics(items, resolver);
      if (!Array.isArray(values)) throw new UnresolvableIntrinsicError('Fn::Join takes a list');
      return values.map((item) => resolveString(item, resolver, 'Fn::Join')).join(separator);
    }
    case 'Fn::Sub': {
      const [template, variables] =
        typeof argument === 'string' ? [argument, {}] : (argument as [string, Record<string, unknown>]);
      return template.replace(/\$\{([^}]+)\}/g, (whole, key: string) => {
        // `${!Literal}` is CloudFormation's escape for a literal `${Literal}`.
        if (key.startsWith('!')) return `\${${key.slice(1)}}`;
        if (key in variables) return resolveString(variables[key], resolver, `Fn::Sub \${${key}}`);
        const dot = key.indexOf('.');
        if (dot > 0 && !key.startsWith('AWS::'))
          return resolver.getAtt(key.slice(0, dot), key.slice(dot + 1));
        return whole.length > 0 ? resolver.ref(key) : whole;
      });
    }
    case 'Fn::Select': {
      const [index, items] = argument as [unknown, unknown];
      const values = resolveIntrinsics(items, resolver);
      const at = Number(resolveIntrinsics(index, resolver));
      if (!Array.isArray(values) || !Number.isInteger(at) || at < 0 || at >= values.length)
        throw new UnresolvableIntrinsicError(`Fn::Select ${JSON.stringify(argument)}`);
      return values[at];
    }
    case 'Fn::Split': {
      const [separator, source] = argument as [string, unknown];
      return resolveString(source, resolver, 'Fn::Split').split(separator);
    }
    default:
      throw new UnresolvableIntrinsicError(`${name} is not resolved by the sandbox's IAM model`);
  }
}
