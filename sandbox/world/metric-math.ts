/**
 * CloudWatch metric math, the part alarms use, pure: an expression over the alarm's queries (by
 * their `Id`) evaluated period by period. Syntax and functions as
 * https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/using-metric-math.html documents
 * them: numbers, query ids, arithmetic `+ - * / ^`, comparison `== != < > <= >=` (1 or 0), logical
 * `AND`/`&&`, `OR`/`||`, `NOT`/`!`, parentheses, arrays `[a, b]`, and the functions
 * `IF(condition, trueValue[, falseValue])`, `FILL(series, value | REPEAT)`, `MIN`, `MAX`, `SUM`,
 * `AVG` (of one series: a scalar over the range; of an array: the value across the series at each
 * timestamp), `ABS`.
 *
 * Missing data: a period a metric has no datapoint for has no value (`undefined`). Operators
 * between two series combine them timestamp by timestamp, so a timestamp one of them lacks has no
 * result; with a scalar, every timestamp of the series. IF without a false value has no datapoint
 * where the condition is false. FILL gives every period of the evaluated range that has no value
 * the given value (REPEAT: the last earlier value). Anything else is refused with
 * MetricMathError, as CloudWatch refuses an invalid expression at PutMetricAlarm.
 */

/** An expression CloudWatch would refuse (or one this model does not implement). */
export class MetricMathError extends Error {
  override readonly name = 'MetricMathError';
}

/** A parsed expression. */
export type MathNode =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'id'; readonly id: string }
  | { readonly kind: 'keyword'; readonly word: 'REPEAT' }
  | { readonly kind: 'array'; readonly items: readonly MathNode[] }
  | { readonly kind: 'unary'; readonly op: '-' | 'NOT'; readonly operand: MathNode }
  | { readonly kind: 'binary'; readonly op: string; readonly left: MathNode; readonly right: MathNode }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly MathNode[] };

type Token = { readonly type: 'num' | 'name' | 'op'; readonly text: string };

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(&&|\|\||==|!=|<=|>=|[-+*/^<>!(),[\]]))/y;
  let index = 0;
  while (index < text.length) {
    if (/^\s*$/.test(text.slice(index))) break;
    pattern.lastIndex = index;
    const match = pattern.exec(text);
    if (!match) throw new MetricMathError(`cannot read the expression at "${text.slice(index)}"`);
    index = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ type: 'num', text: match[1] });
    else if (match[2] !== undefined) tokens.push({ type: 'name', text: match[2] });
    else if (match[3] !== undefined) tokens.push({ type: 'op', text: match[3] });
  }
  return tokens;
}

const BINARY_LEVELS: readonly (readonly string[])[] = [
  ['OR', '||'],
  ['AND', '&&'],
  ['==', '!=', '<', '>', '<=', '>='],
  ['+', '-'],
  ['*', '/'],
  ['^'],
];

/** Parses an expression (throws MetricMathError naming what it could not read). */
export function parseExpression(text: string): MathNode {
  const tokens = tokenize(text);
  let position = 0;
  const peek = () => tokens[position];
  const next = () => tokens[position++];
  const expect = (textWanted: string) => {
    const token = next();
    if (token?.text !== textWanted) {
      throw new MetricMathError(`expected "${textWanted}" in "${text}", found "${token?.text ?? 'the end'}"`);
    }
  };
  const opAt = (level: readonly string[]) => {
    const token = peek();
    if (!token) return undefined;
    const word = token.type === 'name' ? token.text.toUpperCase() : token.text;
    return (token.type === 'op' || token.type === 'name') && level.includes(word) ? word : undefined;
  };
  const binary = (depth: number): MathNode => {
    const level = BINARY_LEVELS[depth];
    if (!level) return unary();
    let left = binary(depth + 1);
    for (let op = opAt(level); op !== undefined; op = opAt(level)) {
      next();
      const normalized = op === '||' ? 'OR' : op === '&&' ? 'AND' : op;
      left = { kind: 'binary', op: normalized, left, right: binary(depth + 1) };
    }
    return left;
  };
  const unary = (): MathNode => {
    const token = peek();
    if (token && (token.text === '-' || token.text === '!' || token.text.toUpperCase() === 'NOT')) {
      next();
      return { kind: 'unary', op: token.text === '-' ? '-' : 'NOT', operand: unary() };
    }
    return primary();
  };
  const primary = (): MathNode => {
    const token = next();
    if (!token) throw new MetricMathError(`"${text}" ends too early`);
    if (token.type === 'num') return { kind: 'number', value: Number(token.text) };
    if (token.text === '(') {
      const inner = binary(0);
      expect(')');
      return inner;
    }
    if (token.text === '[') {
      const items: MathNode[] = [];
      while (peek()?.text !== ']') {
        items.push(binary(0));
        if (peek()?.text === ',') next();
        else break;
      }
      expect(']');
      return { kind: 'array', items };
    }
    if (token.type === 'name') {
      if (peek()?.text === '(') {
        next();
        const args: MathNode[] = [];
        while (peek()?.text !== ')') {
          args.push(binary(0));
          if (peek()?.text === ',') next();
          else break;
        }
        expect(')');
        return { kind: 'call', name: token.text.toUpperCase(), args };
      }
      if (token.text === 'REPEAT') return { kind: 'keyword', word: 'REPEAT' };
      if (!/^[a-z]/.test(token.text)) {
        throw new MetricMathError(
          `"${token.text}" is neither a function call nor a query id (ids start with a lowercase letter)`,
        );
      }
      return { kind: 'id', id: token.text };
    }
    throw new MetricMathError(`unexpected "${token.text}" in "${text}"`);
  };
  const tree = binary(0);
  if (position < tokens.length)
    throw new MetricMathError(`unexpected "${tokens[position]?.text}" in "${text}"`);
  return tree;
}

/** A value during evaluation: a scalar, one series (one value per period), or an array of series. */
type Value =
  | { readonly kind: 'scalar'; readonly value: number }
  | { readonly kind: 'series'; readonly values: readonly (number | undefined)[] }
  | { readonly kind: 'array'; readonly series: readonly (readonly (number | undefined)[])[] }
  | { readonly kind: 'repeat' };

const truthy = (value: number) => value !== 0;

function apply(op: string, a: number, b: number): number {
  switch (op) {
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      return a / b;
    case '^':
      return a ** b;
    case '==':
      return a === b ? 1 : 0;
    case '!=':
      return a !== b ? 1 : 0;
    case '<':
      return a < b ? 1 : 0;
    case '>':
      return a > b ? 1 : 0;
    case '<=':
      return a <= b ? 1 : 0;
    case '>=':
      return a >= b ? 1 : 0;
    case 'AND':
      return truthy(a) && truthy(b) ? 1 : 0;
    case 'OR':
      return truthy(a) || truthy(b) ? 1 : 0;
    default:
      throw new MetricMathError(`unknown operator ${op}`);
  }
}

function reduce(name: string, values: readonly number[]): number | undefined {
  if (values.length === 0) return undefined;
  switch (name) {
    case 'MIN':
      return Math.min(...values);
    case 'MAX':
      return Math.max(...values);
    case 'SUM':
      return values.reduce((s, v) => s + v, 0);
    case 'AVG':
      return values.reduce((s, v) => s + v, 0) / values.length;
    default:
      throw new MetricMathError(`unknown function ${name}`);
  }
}

/**
 * Evaluates `node` over `series` (each query id's value per period, `periods` long); returns the
 * expression's value per period. A scalar result is the same value in every period.
 */
export function evaluateExpression(
  node: MathNode,
  series: Readonly<Record<string, readonly (number | undefined)[]>>,
  periods: number,
): (number | undefined)[] {
  const asSeries = (value: Value, where: string): (number | undefined)[] => {
    if (value.kind === 'scalar') return Array.from({ length: periods }, () => value.value);
    if (value.kind === 'series') return [...value.values];
    throw new MetricMathError(`${where} needs a time series or a number`);
  };
  const zip = (a: Value, b: Value, f: (x: number, y: number) => number): Value => {
    if (a.kind === 'scalar' && b.kind === 'scalar') return { kind: 'scalar', value: f(a.value, b.value) };
    const left = asSeries(a, 'an operator');
    const right = asSeries(b, 'an operator');
    return {
      kind: 'series',
      values: left.map((x, i) => {
        const y = right[i];
        return x === undefined || y === undefined ? undefined : f(x, y);
      }),
    };
  };
  const evaluate = (n: MathNode): Value => {
    switch (n.kind) {
      case 'number':
        return { kind: 'scalar', value: n.value };
      case 'keyword':
        return { kind: 'repeat' };
      case 'id': {
        const values = series[n.id];
        if (!values)
          throw new MetricMathError(
            `the expression names "${n.id}", which is not one of the alarm's queries`,
          );
        return { kind: 'series', values };
      }
      case 'array':
        return { kind: 'array', series: n.items.map((item) => asSeries(evaluate(item), 'an array item')) };
      case 'unary': {
        const operand = evaluate(n.operand);
        const f = n.op === '-' ? (x: number) => -x : (x: number) => (truthy(x) ? 0 : 1);
        if (operand.kind === 'scalar') return { kind: 'scalar', value: f(operand.value) };
        return {
          kind: 'series',
          values: asSeries(operand, n.op).map((x) => (x === undefined ? undefined : f(x))),
        };
      }
      case 'binary':
        return zip(evaluate(n.left), evaluate(n.right), (x, y) => apply(n.op, x, y));
      case 'call':
        return call(n.name, n.args.map(evaluate));
    }
  };
  const call = (name: string, args: Value[]): Value => {
    switch (name) {
      case 'IF': {
        const [condition, whenTrue, whenFalse] = args;
        if (!condition || !whenTrue || args.length > 3)
          throw new MetricMathError('IF takes (condition, trueValue[, falseValue])');
        const c = asSeries(condition, 'IF');
        const t = asSeries(whenTrue, 'IF');
        const f = whenFalse ? asSeries(whenFalse, 'IF') : undefined;
        return {
          kind: 'series',
          values: c.map((value, i) => (value === undefined ? undefined : truthy(value) ? t[i] : f?.[i])),
        };
      }
      case 'FILL': {
        const [target, filler] = args;
        if (!target || !filler || args.length !== 2)
          throw new MetricMathError('FILL takes (series, value | REPEAT)');
        const values = asSeries(target, 'FILL');
        if (filler.kind === 'repeat') {
          let last: number | undefined;
          return {
            kind: 'series',
            values: values.map((v) => {
              if (v !== undefined) last = v;
              return v ?? last;
            }),
          };
        }
        const fill = asSeries(filler, 'FILL');
        return { kind: 'series', values: values.map((v, i) => v ?? fill[i]) };
      }
      case 'ABS': {
        const [target] = args;
        if (!target || args.length !== 1) throw new MetricMathError('ABS takes one argument');
        if (target.kind === 'scalar') return { kind: 'scalar', value: Math.abs(target.value) };
        return {
          kind: 'series',
          values: asSeries(target, 'ABS').map((v) => (v === undefined ? undefined : Math.abs(v))),
        };
      }
      case 'MIN':
      case 'MAX':
      case 'SUM':
      case 'AVG': {
        const [target] = args;
        if (!target || args.length !== 1) throw new MetricMathError(`${name} takes one argument`);
        if (target.kind === 'array') {
          return {
            kind: 'series',
            values: Array.from({ length: periods }, (_, i) =>
              reduce(
                name,
                target.series.map((s) => s[i]).filter((v): v is number => v !== undefined),
              ),
            ),
          };
        }
        const values = asSeries(target, name).filter((v): v is number => v !== undefined);
        const result = reduce(name, values);
        return result === undefined
          ? { kind: 'series', values: Array.from({ length: periods }, () => undefined) }
          : { kind: 'scalar', value: result };
      }
      default:
        throw new MetricMathError(`the sandbox does not model the metric math function ${name}`);
    }
  };
  return asSeries(evaluate(node), 'the expression');
}
