/**
 * A small, real evaluator for the DynamoDB expression subset VPN Guard uses:
 *
 * - ConditionExpression: `attribute_exists(path)`, `attribute_not_exists(path)`, comparisons
 *   (`=`, `<>`, `<`, `<=`, `>`, `>=`), `AND`, `OR`, `NOT`, parentheses.
 * - UpdateExpression: `SET` (with `+`, `-`, `list_append`, `if_not_exists`), `REMOVE`, `ADD`.
 *
 * Paths are names, `#placeholders`, `.member` and `[index]`. Anything else (BETWEEN, IN, size,
 * begins_with, contains, attribute_type, DELETE, ...) throws {@link UnsupportedExpressionError}: the
 * sandbox fails loudly rather than guess. Mistakes AWS rejects are DynamoDB ValidationExceptions
 * ({@link ExpressionValidationError}): undefined or unused placeholders, type errors, updating a key.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type Item = Record<string, AttributeValue>;

/** A mistake DynamoDB itself rejects with ValidationException. */
export class ExpressionValidationError extends Error {
  override readonly name = 'ValidationException';
}

/** Valid DynamoDB syntax the sandbox does not model. */
export class UnsupportedExpressionError extends Error {
  override readonly name = 'UnmodelledCommandError';
}

type Token =
  | { kind: 'name'; text: string }
  | { kind: 'placeholder'; text: string }
  | { kind: 'value'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expression.length) {
    const rest = expression.slice(i);
    const space = /^\s+/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    const match =
      /^(<>|<=|>=|[=<>(),.[\]+-])/.exec(rest) ??
      /^#[A-Za-z0-9_]+/.exec(rest) ??
      /^:[A-Za-z0-9_]+/.exec(rest) ??
      /^[0-9]+/.exec(rest) ??
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
    if (!match) {
      throw new ExpressionValidationError(
        `Invalid expression: Syntax error; token: "${rest.slice(0, 10)}", near: "${expression.slice(Math.max(0, i - 10), i + 10)}"`,
      );
    }
    const text = match[0];
    const kind: Token['kind'] = text.startsWith('#')
      ? 'placeholder'
      : text.startsWith(':')
        ? 'value'
        : /^[0-9]/.test(text)
          ? 'number'
          : /^[A-Za-z_]/.test(text)
            ? 'name'
            : 'punct';
    tokens.push({ kind, text } as Token);
    i += text.length;
  }
  return tokens;
}

type PathElement = { kind: 'member'; name: string } | { kind: 'index'; index: number };
type Path = PathElement[];

type Operand =
  | { kind: 'path'; path: Path; text: string }
  | { kind: 'value'; name: string }
  | { kind: 'if_not_exists'; path: Path; fallback: Operand }
  | { kind: 'list_append'; left: Operand; right: Operand }
  | { kind: 'arith'; op: '+' | '-'; left: Operand; right: Operand };

type Condition =
  | { kind: 'and' | 'or'; left: Condition; right: Condition }
  | { kind: 'not'; inner: Condition }
  | { kind: 'exists' | 'not_exists'; path: Path }
  | { kind: 'compare'; op: string; left: Operand; right: Operand };

const COMPARATORS = new Set(['=', '<>', '<', '<=', '>', '>=']);
const UNSUPPORTED_FUNCTIONS = new Set(['size', 'begins_with', 'contains', 'attribute_type']);

/** Placeholder bookkeeping across the expressions of one request. */
export class ExpressionContext {
  readonly usedNames = new Set<string>();
  readonly usedValues = new Set<string>();

  constructor(
    readonly names: Readonly<Record<string, string>> = {},
    readonly values: Readonly<Record<string, AttributeValue>> = {},
  ) {}

  name(placeholder: string): string {
    const resolved = this.names[placeholder];
    if (resolved === undefined) {
      throw new ExpressionValidationError(
        `Value provided in ExpressionAttributeNames unused in expressions or an expression attribute name used in the document path is not defined; attribute name: ${placeholder}`,
      );
    }
    this.usedNames.add(placeholder);
    return resolved;
  }

  value(placeholder: string): AttributeValue {
    const resolved = this.values[placeholder];
    if (resolved === undefined) {
      throw new ExpressionValidationError(
        `An expression attribute value used in expression is not defined; attribute value: ${placeholder}`,
      );
    }
    this.usedValues.add(placeholder);
    return resolved;
  }

  /** After parsing every expression of the request: AWS rejects placeholders nobody used. */
  checkAllUsed(): void {
    const unusedNames = Object.keys(this.names).filter((key) => !this.usedNames.has(key));
    if (unusedNames.length > 0) {
      throw new ExpressionValidationError(
        `Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(', ')}}`,
      );
    }
    const unusedValues = Object.keys(this.values).filter((key) => !this.usedValues.has(key));
    if (unusedValues.length > 0) {
      throw new ExpressionValidationError(
        `Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(', ')}}`,
      );
    }
  }
}

class Parser {
  private pos = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly context: ExpressionContext,
    private readonly source: string,
  ) {}

  private peek(offset = 0): Token | undefined {
    return this.tokens[this.pos + offset];
  }

  private next(): Token {
    const token = this.tokens[this.pos++];
    if (!token) throw new ExpressionValidationError(`Invalid expression: unexpected end of "${this.source}"`);
    return token;
  }

  private expect(text: string): void {
    const token = this.next();
    if (token.text !== text) {
      throw new ExpressionValidationError(
        `Invalid expression: Syntax error; expected "${text}" but got "${token.text}" in "${this.source}"`,
      );
    }
  }

  private isKeyword(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.kind === 'name' && token.text.toUpperCase() === word;
  }

  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  end(): void {
    if (!this.atEnd()) {
      throw new ExpressionValidationError(
        `Invalid expression: Syntax error; unexpected "${this.peek()?.text}" in "${this.source}"`,
      );
    }
  }

  // Conditions -------------------------------------------------------------------------------

  condition(): Condition {
    let left = this.conjunction();
    while (this.isKeyword('OR')) {
      this.next();
      left = { kind: 'or', left, right: this.conjunction() };
    }
    return left;
  }

  private conjunction(): Condition {
    let left = this.negation();
    while (this.isKeyword('AND')) {
      this.next();
      left = { kind: 'and', left, right: this.negation() };
    }
    return left;
  }

  private negation(): Condition {
    if (this.isKeyword('NOT')) {
      this.next();
      return { kind: 'not', inner: this.negation() };
    }
    return this.primary();
  }

  private primary(): Condition {
    const token = this.peek();
    if (token?.text === '(') {
      this.next();
      const inner = this.condition();
      this.expect(')');
      return inner;
    }
    if (token?.kind === 'name' && this.peek(1)?.text === '(') {
      if (token.text === 'attribute_exists' || token.text === 'attribute_not_exists') {
        this.next();
        this.expect('(');
        const path = this.path();
        this.expect(')');
        return { kind: token.text === 'attribute_exists' ? 'exists' : 'not_exists', path };
      }
      if (UNSUPPORTED_FUNCTIONS.has(token.text)) {
        throw new UnsupportedExpressionError(
          `the sandbox's DynamoDB does not model ${token.text}() (in "${this.source}")`,
        );
      }
      throw new ExpressionValidationError(
        `Invalid ConditionExpression: Invalid function name; function: ${token.text}`,
      );
    }
    const left = this.conditionOperand();
    if (this.isKeyword('BETWEEN') || this.isKeyword('IN')) {
      throw new UnsupportedExpressionError(
        `the sandbox's DynamoDB does not model ${this.peek()?.text.toUpperCase()} (in "${this.source}")`,
      );
    }
    const op = this.next();
    if (!COMPARATORS.has(op.text)) {
      throw new ExpressionValidationError(
        `Invalid ConditionExpression: Syntax error; token: "${op.text}" in "${this.source}"`,
      );
    }
    return { kind: 'compare', op: op.text, left, right: this.conditionOperand() };
  }

  private conditionOperand(): Operand {
    const token = this.peek();
    if (token?.kind === 'value') {
      this.next();
      this.context.value(token.text);
      return { kind: 'value', name: token.text };
    }
    if (token?.kind === 'name' && this.peek(1)?.text === '(') {
      throw new UnsupportedExpressionError(
        `the sandbox's DynamoDB does not model ${token.text}() as an operand (in "${this.source}")`,
      );
    }
    const start = this.pos;
    const path = this.path();
    return {
      kind: 'path',
      path,
      text: this.tokens
        .slice(start, this.pos)
        .map((t) => t.text)
        .join(''),
    };
  }

  path(): Path {
    const path: Path = [this.member()];
    for (;;) {
      const token = this.peek();
      if (token?.text === '.') {
        this.next();
        path.push(this.member());
      } else if (token?.text === '[') {
        this.next();
        const index = this.next();
        if (index.kind !== 'number') {
          throw new ExpressionValidationError(
            `Invalid expression: list index must be a number in "${this.source}"`,
          );
        }
        this.expect(']');
        path.push({ kind: 'index', index: Number(index.text) });
      } else {
        return path;
      }
    }
  }

  private member(): PathElement {
    const token = this.next();
    if (token.kind === 'placeholder') return { kind: 'member', name: this.context.name(token.text) };
    if (token.kind === 'name') return { kind: 'member', name: token.text };
    throw new ExpressionValidationError(
      `Invalid expression: Syntax error; token: "${token.text}" is not an attribute name in "${this.source}"`,
    );
  }

  // Updates ----------------------------------------------------------------------------------

  update(): UpdateAction[] {
    const actions: UpdateAction[] = [];
    const seen = new Set<string>();
    while (!this.atEnd()) {
      const keyword = this.next();
      const clause = keyword.text.toUpperCase();
      if (clause === 'DELETE') {
        throw new UnsupportedExpressionError(
          `the sandbox's DynamoDB does not model DELETE (in "${this.source}")`,
        );
      }
      if (clause !== 'SET' && clause !== 'REMOVE' && clause !== 'ADD') {
        throw new ExpressionValidationError(
          `Invalid UpdateExpression: Syntax error; token: "${keyword.text}" in "${this.source}"`,
        );
      }
      if (seen.has(clause)) {
        throw new ExpressionValidationError(
          `Invalid UpdateExpression: The "${clause}" section can only be used once in an update expression`,
        );
      }
      seen.add(clause);
      do {
        if (this.peek()?.text === ',') this.next();
        const path = this.path();
        if (clause === 'SET') {
          this.expect('=');
          actions.push({ kind: 'set', path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          actions.push({ kind: 'remove', path });
        } else {
          const token = this.next();
          if (token.kind !== 'value') {
            throw new ExpressionValidationError(
              `Invalid UpdateExpression: ADD needs a :value (in "${this.source}")`,
            );
          }
          this.context.value(token.text);
          actions.push({ kind: 'add', path, value: token.text });
        }
      } while (this.peek()?.text === ',');
    }
    return actions;
  }

  private setValue(): Operand {
    const left = this.setOperand();
    const op = this.peek()?.text;
    if (op === '+' || op === '-') {
      this.next();
      return { kind: 'arith', op, left, right: this.setOperand() };
    }
    return left;
  }

  private setOperand(): Operand {
    const token = this.peek();
    if (token?.kind === 'value') {
      this.next();
      this.context.value(token.text);
      return { kind: 'value', name: token.text };
    }
    if (token?.kind === 'name' && this.peek(1)?.text === '(') {
      this.next();
      this.expect('(');
      if (token.text === 'if_not_exists') {
        const path = this.path();
        this.expect(',');
        const fallback = this.setOperand();
        this.expect(')');
        return { kind: 'if_not_exists', path, fallback };
      }
      if (token.text === 'list_append') {
        const left = this.setOperand();
        this.expect(',');
        const right = this.setOperand();
        this.expect(')');
        return { kind: 'list_append', left, right };
      }
      throw new ExpressionValidationError(
        `Invalid UpdateExpression: Invalid function name; function: ${token.text}`,
      );
    }
    const start = this.pos;
    const path = this.path();
    return {
      kind: 'path',
      path,
      text: this.tokens
        .slice(start, this.pos)
        .map((t) => t.text)
        .join(''),
    };
  }
}

type UpdateAction =
  | { kind: 'set'; path: Path; value: Operand }
  | { kind: 'remove'; path: Path }
  | { kind: 'add'; path: Path; value: string };

/** A parsed ConditionExpression, ready to evaluate against items. */
export interface ParsedCondition {
  evaluate(item: Item | undefined): boolean;
}

/** Parses a ConditionExpression (placeholders are resolved against `context`). */
export function parseCondition(expression: string, context: ExpressionContext): ParsedCondition {
  const parser = new Parser(tokenize(expression), context, expression);
  const condition = parser.condition();
  parser.end();
  return { evaluate: (item) => evaluateCondition(condition, item ?? {}, context) };
}

/** A parsed UpdateExpression. */
export interface ParsedUpdate {
  /** The item after the update (the input is not modified). */
  apply(item: Item, keyAttributes: readonly string[]): Item;
}

/** Parses an UpdateExpression. */
export function parseUpdate(expression: string, context: ExpressionContext): ParsedUpdate {
  const parser = new Parser(tokenize(expression), context, expression);
  const actions = parser.update();
  parser.end();
  checkOverlaps(actions.map((action) => action.path));
  return { apply: (item, keys) => applyUpdate(actions, item, keys, context) };
}

function pathText(path: Path): string {
  return path
    .map((e) => (e.kind === 'member' ? `.${e.name}` : `[${e.index}]`))
    .join('')
    .slice(1);
}

function checkOverlaps(paths: Path[]): void {
  const texts = paths.map(pathText);
  for (let i = 0; i < texts.length; i++) {
    for (let j = i + 1; j < texts.length; j++) {
      const [a = '', b = ''] = [texts[i], texts[j]];
      if (
        a === b ||
        a.startsWith(`${b}.`) ||
        b.startsWith(`${a}.`) ||
        a.startsWith(`${b}[`) ||
        b.startsWith(`${a}[`)
      ) {
        throw new ExpressionValidationError(
          `Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${a}], path two: [${b}]`,
        );
      }
    }
  }
}

function resolve(item: Item, path: Path): AttributeValue | undefined {
  let current: AttributeValue | undefined;
  for (const [index, element] of path.entries()) {
    if (index === 0) {
      if (element.kind !== 'member') return undefined;
      current = item[element.name];
      continue;
    }
    if (!current) return undefined;
    if (element.kind === 'member') current = current.M?.[element.name];
    else current = current.L?.[element.index];
  }
  return current;
}

function operandValue(operand: Operand, item: Item, context: ExpressionContext): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return resolve(item, operand.path);
    case 'value':
      return context.value(operand.name);
    case 'if_not_exists':
      return resolve(item, operand.path) ?? operandValue(operand.fallback, item, context);
    case 'list_append': {
      const left = operandValue(operand.left, item, context);
      const right = operandValue(operand.right, item, context);
      if (!left?.L || !right?.L) {
        throw new ExpressionValidationError(
          'Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: not a list',
        );
      }
      return { L: [...left.L, ...right.L] };
    }
    case 'arith': {
      const left = operandValue(operand.left, item, context);
      const right = operandValue(operand.right, item, context);
      if (left?.N === undefined || right?.N === undefined) {
        throw new ExpressionValidationError(
          `Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ${operand.op}, operand type: ${left ? typeOf(left) : 'missing'}`,
        );
      }
      const result = operand.op === '+' ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N);
      return { N: String(result) };
    }
  }
}

function typeOf(value: AttributeValue): string {
  return Object.keys(value).find((key) => key !== '$unknown') ?? 'unknown';
}

/** Deep equality of two attribute values (sets compare as sets). */
export function attributeEquals(a: AttributeValue, b: AttributeValue): boolean {
  const ta = typeOf(a);
  if (ta !== typeOf(b)) return false;
  const va = (a as unknown as Record<string, unknown>)[ta];
  const vb = (b as unknown as Record<string, unknown>)[ta];
  switch (ta) {
    case 'N':
      return Number(va) === Number(vb);
    case 'S':
    case 'BOOL':
    case 'NULL':
      return va === vb;
    case 'B':
      return Buffer.compare(Buffer.from(va as Uint8Array), Buffer.from(vb as Uint8Array)) === 0;
    case 'SS':
    case 'NS': {
      const sa = new Set((va as string[]).map((x) => (ta === 'NS' ? String(Number(x)) : x)));
      const sb = new Set((vb as string[]).map((x) => (ta === 'NS' ? String(Number(x)) : x)));
      return sa.size === sb.size && [...sa].every((x) => sb.has(x));
    }
    case 'L': {
      const la = va as AttributeValue[];
      const lb = vb as AttributeValue[];
      return la.length === lb.length && la.every((x, i) => attributeEquals(x, lb[i] as AttributeValue));
    }
    case 'M': {
      const ma = va as Record<string, AttributeValue>;
      const mb = vb as Record<string, AttributeValue>;
      const keys = Object.keys(ma);
      return (
        keys.length === Object.keys(mb).length &&
        keys.every(
          (key) =>
            mb[key] !== undefined && attributeEquals(ma[key] as AttributeValue, mb[key] as AttributeValue),
        )
      );
    }
    default:
      throw new UnsupportedExpressionError(`the sandbox's DynamoDB does not compare ${ta} values`);
  }
}

function compare(op: string, a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  // A missing attribute makes every comparison false, `<>` included (DynamoDB semantics).
  if (!a || !b) return false;
  if (op === '=') return attributeEquals(a, b);
  if (op === '<>') return !attributeEquals(a, b);
  const ta = typeOf(a);
  if (ta !== typeOf(b) || !['N', 'S', 'B'].includes(ta)) return false;
  let order: number;
  if (ta === 'N') order = Number(a.N) - Number(b.N);
  else if (ta === 'S') order = Buffer.compare(Buffer.from(a.S ?? '', 'utf8'), Buffer.from(b.S ?? '', 'utf8'));
  else order = Buffer.compare(Buffer.from(a.B ?? new Uint8Array()), Buffer.from(b.B ?? new Uint8Array()));
  switch (op) {
    case '<':
      return order < 0;
    case '<=':
      return order <= 0;
    case '>':
      return order > 0;
    default:
      return order >= 0;
  }
}

function evaluateCondition(condition: Condition, item: Item, context: ExpressionContext): boolean {
  switch (condition.kind) {
    case 'and':
      return (
        evaluateCondition(condition.left, item, context) && evaluateCondition(condition.right, item, context)
      );
    case 'or':
      return (
        evaluateCondition(condition.left, item, context) || evaluateCondition(condition.right, item, context)
      );
    case 'not':
      return !evaluateCondition(condition.inner, item, context);
    case 'exists':
      return resolve(item, condition.path) !== undefined;
    case 'not_exists':
      return resolve(item, condition.path) === undefined;
    case 'compare':
      return compare(
        condition.op,
        operandValue(condition.left, item, context),
        operandValue(condition.right, item, context),
      );
  }
}

function clone(item: Item): Item {
  return structuredClone(item);
}

function setAt(item: Item, path: Path, value: AttributeValue | undefined): void {
  const invalid = () =>
    new ExpressionValidationError(
      'The document path provided in the update expression is invalid for update',
    );
  const [first, ...rest] = path;
  if (first?.kind !== 'member') throw invalid();
  if (rest.length === 0) {
    if (value === undefined) delete item[first.name];
    else item[first.name] = value;
    return;
  }
  let container: AttributeValue | undefined = item[first.name];
  for (const [index, element] of rest.entries()) {
    if (!container) throw invalid();
    const last = index === rest.length - 1;
    if (element.kind === 'member') {
      if (!container.M) throw invalid();
      if (last) {
        if (value === undefined) delete container.M[element.name];
        else container.M[element.name] = value;
        return;
      }
      container = container.M[element.name];
    } else {
      if (!container.L) throw invalid();
      if (last) {
        if (value === undefined) container.L.splice(element.index, 1);
        else if (element.index >= container.L.length) container.L.push(value);
        else container.L[element.index] = value;
        return;
      }
      container = container.L[element.index];
    }
  }
}

function applyUpdate(
  actions: UpdateAction[],
  original: Item,
  keys: readonly string[],
  context: ExpressionContext,
): Item {
  for (const action of actions) {
    const [first] = action.path;
    if (first?.kind === 'member' && keys.includes(first.name)) {
      throw new ExpressionValidationError(
        `Cannot update attribute ${first.name}. This attribute is part of the key`,
      );
    }
  }
  // Every operand reads the item as it was before the update (DynamoDB semantics).
  const item = clone(original);
  for (const action of actions) {
    if (action.kind === 'set') {
      const value = operandValue(action.value, original, context);
      if (value === undefined) {
        throw new ExpressionValidationError(
          'The provided expression refers to an attribute that does not exist in the item',
        );
      }
      setAt(item, action.path, structuredClone(value));
    } else if (action.kind === 'remove') {
      setAt(item, action.path, undefined);
    } else {
      const value = context.value(action.value);
      const current = resolve(original, action.path);
      if (value.N !== undefined) {
        if (current && current.N === undefined) {
          throw new ExpressionValidationError(
            'An operand in the update expression has an incorrect data type',
          );
        }
        setAt(item, action.path, { N: String(Number(current?.N ?? 0) + Number(value.N)) });
      } else if (value.SS || value.NS) {
        const kind = value.SS ? 'SS' : 'NS';
        const existing = (current?.[kind as 'SS'] as string[] | undefined) ?? [];
        if (current && !current[kind as 'SS']) {
          throw new ExpressionValidationError(
            'An operand in the update expression has an incorrect data type',
          );
        }
        const union = [...new Set([...existing, ...((value[kind as 'SS'] as string[]) ?? [])])];
        setAt(item, action.path, { [kind]: union } as unknown as AttributeValue);
      } else {
        throw new ExpressionValidationError(
          'Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: not a number or set',
        );
      }
    }
  }
  return item;
}
