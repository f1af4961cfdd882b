/**
 * A strict reader for the XML subset AWS uses in `CustomerGatewayConfiguration`: nested elements with
 * text, attributes, the five predefined entities and numeric references, comments and the XML
 * declaration. No DTDs, namespaces or mixed content (AWS's document has none).
 *
 * Why not a library: none is installed that may be used directly (the SDK's own parser,
 * `@aws-sdk/xml-builder`, is marked "internal, do not depend on it"; `fast-xml-parser` is not in the
 * tree), and the renderer must bundle with no native code. The subset is small and fixed, and anything
 * outside it is refused rather than guessed at.
 */

/** One element: its name, attributes, child elements in document order, and its text (trimmed). */
export interface XmlElement {
  readonly name: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly children: readonly XmlElement[];
  readonly text: string;
}

/** Thrown on input outside the subset or malformed; `offset` is the character where reading stopped. */
export class XmlSyntaxError extends Error {
  override readonly name = 'XmlSyntaxError';
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} at character ${offset}`);
  }
}

const NAME = /[A-Za-z_][\w.-]*/y;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Parses a document and returns its root element. */
export function parseXml(source: string): XmlElement {
  let at = 0;

  const fail = (message: string): never => {
    throw new XmlSyntaxError(message, at);
  };
  const skipSpace = () => {
    while (at < source.length && ' \t\r\n'.includes(source.charAt(at))) at++;
  };
  const skipMisc = () => {
    for (;;) {
      skipSpace();
      if (source.startsWith('<?', at)) {
        const end = source.indexOf('?>', at);
        if (end < 0) fail('unterminated processing instruction');
        at = end + 2;
      } else if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
      } else if (source.startsWith('<!', at)) {
        fail('DTDs and CDATA are not part of the AWS configuration format');
      } else {
        return;
      }
    }
  };
  const readName = (): string => {
    NAME.lastIndex = at;
    const match = NAME.exec(source);
    if (!match) return fail('expected a name');
    at += match[0].length;
    return match[0];
  };
  const decode = (raw: string): string =>
    raw.replace(/&(#x[0-9a-fA-F]+|#\d+|\w+);|&/g, (whole, ref: string | undefined) => {
      if (ref === undefined) return fail(`bare "&" in text`);
      if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
      if (ref.startsWith('#')) return String.fromCodePoint(Number.parseInt(ref.slice(1), 10));
      const value = ENTITIES[ref];
      return value ?? fail(`unknown entity ${whole}`);
    });

  const readElement = (): XmlElement => {
    if (source.charAt(at) !== '<') fail('expected "<"');
    at++;
    const name = readName();
    const attributes: Record<string, string> = {};
    for (;;) {
      skipSpace();
      const next = source.charAt(at);
      if (next === '/' || next === '>') break;
      const attribute = readName();
      skipSpace();
      if (source.charAt(at) !== '=') fail(`expected "=" after attribute ${attribute}`);
      at++;
      skipSpace();
      const quote = source.charAt(at);
      if (quote !== '"' && quote !== "'") fail('expected a quoted attribute value');
      const end = source.indexOf(quote, at + 1);
      if (end < 0) fail('unterminated attribute value');
      attributes[attribute] = decode(source.slice(at + 1, end));
      at = end + 1;
    }
    if (source.startsWith('/>', at)) {
      at += 2;
      return { name, attributes, children: [], text: '' };
    }
    if (source.charAt(at) !== '>') fail('expected ">"');
    at++;
    const children: XmlElement[] = [];
    let text = '';
    for (;;) {
      const lt = source.indexOf('<', at);
      if (lt < 0) fail(`element <${name}> is not closed`);
      text += source.slice(at, lt);
      at = lt;
      if (source.startsWith('</', at)) {
        at += 2;
        const closing = readName();
        if (closing !== name) fail(`</${closing}> closes <${name}>`);
        skipSpace();
        if (source.charAt(at) !== '>') fail('expected ">"');
        at++;
        break;
      }
      if (source.startsWith('<!--', at)) {
        const end = source.indexOf('-->', at);
        if (end < 0) fail('unterminated comment');
        at = end + 3;
        continue;
      }
      if (source.startsWith('<!', at) || source.startsWith('<?', at)) {
        fail('CDATA and processing instructions inside elements are not part of the format');
      }
      children.push(readElement());
    }
    const trimmed = text.trim();
    if (children.length > 0 && trimmed !== '') fail(`<${name}> mixes text and elements`);
    return { name, attributes, children, text: decode(trimmed) };
  };

  skipMisc();
  if (at >= source.length) fail('no root element');
  const root = readElement();
  skipMisc();
  if (at < source.length) fail('content after the root element');
  return root;
}

/** The children of `element` named `name`, in document order. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** The text at a `>`-separated path below `element` (first match at each step), or undefined. */
export function textAt(element: XmlElement, path: string): string | undefined {
  let current: XmlElement | undefined = element;
  for (const step of path.split('>')) {
    current = current?.children.find((child) => child.name === step);
  }
  return current === undefined || current.text === '' ? undefined : current.text;
}
