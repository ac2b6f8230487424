/**
 * The condition language of DAG nodes: a small, safe expression over the outputs of a node's
 * dependencies (`extract.rows > 0 && "eu" in extract.regions`), parsed once when the DAG is
 * validated into a plain-JSON AST and evaluated when the node becomes ready.
 *
 * Workflow-safe: no Node built-ins, no I/O, no `eval`, and no regular expressions (a hand-written
 * scanner cannot backtrack, whatever a condition contains).
 *
 * Grammar, lowest precedence first:
 *
 *     or         = and { "||" and }
 *     and        = not { "&&" not }
 *     not        = "!" not | comparison
 *     comparison = member [ ("==" | "!=" | "<" | "<=" | ">" | ">=") member ]     (no chaining)
 *     member     = unary [ "in" unary ]                                           (no chaining)
 *     unary      = "-" unary | primary
 *     primary    = number | string | "true" | "false" | "null" | "(" or ")"
 *                | "[" [ or { "," or } ] "]" | "len(" or ")" | "exists(" path ")" | path
 *     path       = name { "." name | "[" (number | string) "]" }
 *     name       = [A-Za-z_][A-Za-z0-9_-]*
 *
 * There is no arithmetic except unary minus. Names may contain hyphens (node ids do), so `a-b` is
 * one name; `a - b` is an error. `len` and `exists` are functions only when followed by `(`.
 * `!` binds looser than comparisons, so `!a == b` means `!(a == b)`, and `a == !b` needs
 * parentheses: `a == (!b)`.
 */
import { CascadenceError } from './errors';

const MAX_LENGTH = 1000;
const MAX_DEPTH = 32;

/** Comparison operators of the condition language. */
export type ComparisonOperator = '==' | '!=' | '<' | '<=' | '>' | '>=';

/** A path such as `extract.rows[0]["name"]`: a root name (a dependency id or `outputs`) and accessors. */
export interface PathCondition {
  type: 'path';
  root: string;
  /** Property names (`.name`, `["name"]`) and array indexes (`[0]`). */
  keys: Array<string | number>;
}

/**
 * A parsed condition: a tree of plain JSON objects, so it can travel in workflow inputs and be
 * compared or stored. Build it with {@link parseCondition}; run it with {@link evaluateCondition}.
 */
export type Condition =
  | { type: 'literal'; value: string | number | boolean | null }
  | { type: 'array'; items: Condition[] }
  | PathCondition
  | { type: 'not'; arg: Condition }
  | { type: 'negate'; arg: Condition }
  | { type: 'and'; args: Condition[] }
  | { type: 'or'; args: Condition[] }
  | { type: 'compare'; op: ComparisonOperator; left: Condition; right: Condition }
  | { type: 'in'; left: Condition; right: Condition }
  | { type: 'len'; arg: Condition }
  | { type: 'exists'; arg: PathCondition };

// ---------------------------------------------------------------------------------------------
// Scanner

interface Token {
  kind: 'name' | 'number' | 'string' | 'op' | 'end';
  /** Source text (for `op`, the operator; for `end`, empty). */
  text: string;
  /** Decoded value of numbers and strings. */
  value?: string | number;
  /** 0-based offset in the condition text. */
  pos: number;
}

type Fail = (problem: string, pos: number) => never;

const TWO_CHAR_OPS = new Set(['&&', '||', '==', '!=', '<=', '>=']);
const ONE_CHAR_OPS = new Set(['(', ')', '[', ']', ',', '.', '!', '<', '>', '-']);
const ESCAPES = new Map([
  ['\\', '\\'],
  ["'", "'"],
  ['"', '"'],
  ['n', '\n'],
  ['t', '\t'],
]);

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function isNamePart(c: number): boolean {
  return isNameStart(c) || isDigit(c) || c === 45;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

/** JSON-quotes text and also escapes the characters JSON leaves raw that some readers take as line breaks. */
function quote(text: string): string {
  return JSON.stringify(text)
    .split('\u0085')
    .join('\\u0085')
    .split('\u2028')
    .join('\\u2028')
    .split('\u2029')
    .join('\\u2029');
}

function describeChar(text: string, pos: number): string {
  const code = text.codePointAt(pos) as number;
  const shown = quote(String.fromCodePoint(code));
  return code > 32 && code < 127 ? shown : `${shown} (U+${code.toString(16).toUpperCase().padStart(4, '0')})`;
}

function scanNumber(text: string, start: number, fail: Fail): Token {
  let i = start;
  while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  if (text[i] === '.') {
    i++;
    if (!isDigit(text.charCodeAt(i))) fail('malformed number: expected a digit after "."', i);
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  }
  if (text[i] === 'e' || text[i] === 'E') {
    i++;
    if (text[i] === '+' || text[i] === '-') i++;
    if (!isDigit(text.charCodeAt(i))) fail('malformed number: expected a digit in the exponent', i);
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
  }
  const next = text.charCodeAt(i);
  if (isNameStart(next) || isDigit(next) || next === 46) fail('malformed number', start);
  const source = text.slice(start, i);
  const value = Number(source);
  if (!Number.isFinite(value)) fail('number out of range', start);
  return { kind: 'number', text: source, value, pos: start };
}

function scanString(text: string, start: number, fail: Fail): Token {
  const q = text[start];
  let value = '';
  let i = start + 1;
  for (;;) {
    const ch = text[i];
    if (ch === undefined || ch === '\n' || ch === '\r') return fail('unterminated string', start);
    if (ch === q) break;
    if (ch === '\\') {
      const esc = text[i + 1];
      const decoded = esc === undefined ? undefined : ESCAPES.get(esc);
      if (decoded === undefined) {
        if (esc === undefined || esc === '\n' || esc === '\r') fail('unterminated string', start);
        // A control or line-separator character is shown escaped, so the message stays on one line.
        const code = esc.charCodeAt(0);
        const control = code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029;
        const shown = control ? `u${code.toString(16).padStart(4, '0')}` : esc;
        fail(`unknown escape "\\${shown}" in string (use \\\\ \\' \\" \\n or \\t)`, i);
      }
      value += decoded;
      i += 2;
    } else {
      value += ch;
      i++;
    }
  }
  return { kind: 'string', text: text.slice(start, i + 1), value, pos: start };
}

function tokenize(text: string, fail: Fail): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (isSpace(c)) {
      i++;
      continue;
    }
    let token: Token;
    if (isNameStart(c)) {
      let end = i + 1;
      while (end < text.length && isNamePart(text.charCodeAt(end))) end++;
      token = { kind: 'name', text: text.slice(i, end), pos: i };
    } else if (isDigit(c)) {
      token = scanNumber(text, i, fail);
    } else if (c === 34 || c === 39) {
      token = scanString(text, i, fail);
    } else {
      const two = text.slice(i, i + 2);
      const three = text.slice(i, i + 3);
      if (three === '===' || three === '!==') fail(`"${three}" is not an operator; use "${three.slice(0, 2)}"`, i);
      if (TWO_CHAR_OPS.has(two)) token = { kind: 'op', text: two, pos: i };
      else if (ONE_CHAR_OPS.has(text[i] as string)) token = { kind: 'op', text: text[i] as string, pos: i };
      else if (c === 61) return fail('"=" is not an operator; use "==" to compare', i);
      else if (c === 38) return fail('"&" is not an operator; use "&&"', i);
      else if (c === 124) return fail('"|" is not an operator; use "||"', i);
      else return fail(`unexpected character ${describeChar(text, i)}`, i);
    }
    tokens.push(token);
    i = token.pos + token.text.length;
  }
  tokens.push({ kind: 'end', text: '', pos: text.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const COMPARISONS = new Set<string>(['==', '!=', '<', '<=', '>', '>=']);
const LITERAL_NAMES = new Map<string, boolean | null>([
  ['true', true],
  ['false', false],
  ['null', null],
]);
const FUNCTIONS = new Set(['len', 'exists']);

function describe(token: Token): string {
  switch (token.kind) {
    case 'end':
      return 'the end of the condition';
    case 'name':
      return token.text === 'in' ? '"in"' : `name ${quote(token.text)}`;
    case 'number':
      return `number ${token.text}`;
    case 'string':
      return 'a string';
    default:
      return `"${token.text}"`;
  }
}

class Parser {
  private index = 0;
  private depth = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly fail: Fail,
  ) {}

  parse(): Condition {
    const result = this.or();
    const token = this.peek();
    if (token.kind !== 'end') this.unexpected(token, 'expected an operator or the end');
    return result;
  }

  private peek(): Token {
    return this.tokens[this.index] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.index++;
    return token;
  }

  private isOp(text: string): boolean {
    const token = this.peek();
    return token.kind === 'op' && token.text === text;
  }

  /** Fails on a token that cannot follow a complete value, with a hint for the usual suspects. */
  private unexpected(token: Token, expected: string): never {
    if (token.kind === 'op' && token.text === '-') {
      return this.fail(
        'unexpected "-": there is no subtraction (a name with a hyphen is written without spaces)',
        token.pos,
      );
    }
    if (token.kind === 'op' && token.text === '!') {
      return this.fail('unexpected "!": wrap a negation in parentheses, as in a == (!b)', token.pos);
    }
    return this.fail(`${expected}, found ${describe(token)}`, token.pos);
  }

  private enter(token: Token): void {
    this.depth++;
    if (this.depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH} levels`, token.pos);
  }

  private or(): Condition {
    const args = [this.and()];
    while (this.isOp('||')) {
      this.next();
      args.push(this.and());
    }
    return args.length === 1 ? (args[0] as Condition) : { type: 'or', args };
  }

  private and(): Condition {
    const args = [this.not()];
    while (this.isOp('&&')) {
      this.next();
      args.push(this.not());
    }
    return args.length === 1 ? (args[0] as Condition) : { type: 'and', args };
  }

  private not(): Condition {
    if (this.isOp('!')) {
      this.next();
      return { type: 'not', arg: this.not() };
    }
    return this.comparison();
  }

  private comparison(): Condition {
    const left = this.member();
    const token = this.peek();
    if (token.kind !== 'op' || !COMPARISONS.has(token.text)) return left;
    this.next();
    const right = this.member();
    const after = this.peek();
    if (after.kind === 'op' && COMPARISONS.has(after.text)) {
      this.fail('comparisons cannot be chained; join them with && or add parentheses', after.pos);
    }
    return { type: 'compare', op: token.text as ComparisonOperator, left, right };
  }

  private member(): Condition {
    const left = this.unary();
    if (!this.isName('in')) return left;
    this.next();
    const right = this.unary();
    if (this.isName('in')) this.fail('"in" cannot be chained; add parentheses', this.peek().pos);
    return { type: 'in', left, right };
  }

  private isName(text: string): boolean {
    const token = this.peek();
    return token.kind === 'name' && token.text === text;
  }

  private unary(): Condition {
    if (this.isOp('-')) {
      this.next();
      return { type: 'negate', arg: this.unary() };
    }
    return this.primary();
  }

  private primary(): Condition {
    const token = this.peek();
    if (token.kind === 'number' || token.kind === 'string') {
      this.next();
      return { type: 'literal', value: token.value as string | number };
    }
    if (token.kind === 'name' && token.text !== 'in') {
      const literal = LITERAL_NAMES.get(token.text);
      if (literal !== undefined) {
        this.next();
        return { type: 'literal', value: literal };
      }
      const after = this.tokens[this.index + 1] as Token;
      if (after.kind === 'op' && after.text === '(') return this.call();
      return this.path();
    }
    if (token.kind === 'op' && token.text === '(') {
      this.next();
      this.enter(token);
      const inner = this.or();
      this.close(token, ')');
      return inner;
    }
    if (token.kind === 'op' && token.text === '[') return this.array();
    const previous = this.tokens[this.index - 1];
    const after = previous === undefined ? '' : ` after ${describe(previous)}`;
    if (token.kind === 'op' && token.text === '!' && previous !== undefined) this.unexpected(token, '');
    return this.fail(`expected a value${after}, found ${describe(token)}`, token.pos);
  }

  /** Consumes the closing bracket of `open`, or fails saying which bracket is unclosed. */
  private close(open: Token, closing: string): void {
    const token = this.peek();
    if (token.kind === 'op' && token.text === closing) {
      this.next();
      this.depth--;
      return;
    }
    if (token.kind === 'end') this.fail(`unclosed "${open.text}"`, open.pos);
    this.unexpected(token, `expected "${closing}" to close the "${open.text}" at column ${open.pos + 1}`);
  }

  private array(): Condition {
    const open = this.next();
    this.enter(open);
    const items: Condition[] = [];
    if (!this.isOp(']')) {
      items.push(this.or());
      while (this.isOp(',')) {
        this.next();
        items.push(this.or());
      }
    }
    this.close(open, ']');
    return { type: 'array', items };
  }

  private call(): Condition {
    const name = this.next();
    const open = this.next();
    if (!FUNCTIONS.has(name.text)) {
      this.fail(`unknown function ${quote(name.text)}; the functions are len and exists`, name.pos);
    }
    this.enter(open);
    const argToken = this.peek();
    if (argToken.kind === 'op' && argToken.text === ')') this.fail(`${name.text}() takes one argument`, argToken.pos);
    const arg = this.or();
    if (this.isOp(',')) this.fail(`${name.text}() takes one argument`, this.peek().pos);
    this.close(open, ')');
    if (name.text === 'len') return { type: 'len', arg };
    if (arg.type !== 'path') this.fail('exists() takes a path, as in exists(extract.rows)', argToken.pos);
    return { type: 'exists', arg };
  }

  private path(): PathCondition {
    const root = this.next();
    const keys: Array<string | number> = [];
    for (;;) {
      if (this.isOp('.')) {
        this.next();
        const name = this.peek();
        if (name.kind !== 'name') this.fail(`expected a name after ".", found ${describe(name)}`, name.pos);
        keys.push(this.next().text);
      } else if (this.isOp('[')) {
        const open = this.next();
        const key = this.peek();
        if (key.kind !== 'number' && key.kind !== 'string') {
          this.fail(`expected a number or a string inside "[ ]", found ${describe(key)}`, key.pos);
        }
        this.next();
        keys.push(key.value as string | number);
        const close = this.peek();
        if (close.kind === 'end') this.fail('unclosed "["', open.pos);
        if (close.kind !== 'op' || close.text !== ']') this.fail(`expected "]", found ${describe(close)}`, close.pos);
        this.next();
      } else {
        return { type: 'path', root: root.text, keys };
      }
    }
  }
}

/**
 * Parses a condition once, when its DAG is validated.
 *
 * Limits: at most 1000 characters and 32 levels of brackets. Columns are 1-based offsets into
 * the whole text (a line break counts as one character).
 * @throws CascadenceError VALIDATION with one line: `condition "<text>": <problem> at column <n>`.
 */
export function parseCondition(text: string): Condition {
  const source: unknown = text;
  const shown =
    typeof source !== 'string'
      ? quote(String(source))
      : source.length > MAX_LENGTH
        ? quote(`${source.slice(0, 40)}…`)
        : quote(source);
  const fail: Fail = (problem, pos) => {
    throw new CascadenceError('VALIDATION', `condition ${shown}: ${problem} at column ${pos + 1}`);
  };
  if (typeof source !== 'string') return fail(`must be a string, not ${source === null ? 'null' : typeof source}`, 0);
  if (source.length > MAX_LENGTH) {
    return fail(`is ${source.length} characters long; the limit is ${MAX_LENGTH}`, MAX_LENGTH);
  }
  const tokens = tokenize(source, fail);
  if (tokens[0]?.kind === 'end') return fail('is empty', 0);
  return new Parser(tokens, fail).parse();
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // Any realm's Object.prototype (or none): the workflow sandbox and Jest each have their own.
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** An own, enumerable data property; never a prototype member, and never runs a getter. */
function ownValue(container: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(container, key);
  return descriptor !== undefined && descriptor.enumerable === true && 'value' in descriptor
    ? descriptor.value
    : undefined;
}

function child(value: unknown, key: string | number): unknown {
  if (Array.isArray(value)) {
    const inRange = typeof key === 'number' && Number.isInteger(key) && key >= 0 && key < value.length;
    return inRange ? ownValue(value, String(key)) : undefined;
  }
  return isPlainObject(value) ? ownValue(value, String(key)) : undefined;
}

function lookup(path: PathCondition, scope: unknown): unknown {
  let value = typeof scope === 'object' && scope !== null ? ownValue(scope, path.root) : undefined;
  for (const key of path.keys) {
    if (value === undefined) return undefined;
    value = child(value, key);
  }
  return value;
}

/** Deep equality of JSON values; other objects only equal themselves. `pending` guards against cycles. */
function equal(a: unknown, b: unknown, pending: Array<[unknown, unknown]> = []): boolean {
  if (a === b) return true;
  const arrays = Array.isArray(a) && Array.isArray(b);
  if (!arrays && !(isPlainObject(a) && isPlainObject(b))) return false;
  const x = a as object;
  const y = b as object;
  if (pending.some(([p, q]) => p === x && q === y)) return true;
  pending.push([x, y]);
  try {
    if (arrays) {
      const xs = x as unknown[];
      const ys = y as unknown[];
      if (xs.length !== ys.length) return false;
      for (let i = 0; i < xs.length; i++) {
        if (!equal(ownValue(xs, String(i)), ownValue(ys, String(i)), pending)) return false;
      }
      return true;
    }
    const keys = Object.keys(x);
    if (keys.length !== Object.keys(y).length) return false;
    for (const key of keys) {
      if (!Object.prototype.propertyIsEnumerable.call(y, key)) return false;
      if (!equal(ownValue(x, key), ownValue(y, key), pending)) return false;
    }
    return true;
  } finally {
    pending.pop();
  }
}

function ordered(op: ComparisonOperator, a: unknown, b: unknown): boolean {
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const x = a as number | string;
  const y = b as number | string;
  switch (op) {
    case '<':
      return x < y;
    case '<=':
      return x <= y;
    case '>':
      return x > y;
    case '>=':
      return x >= y;
    default:
      return false;
  }
}

function contains(container: unknown, item: unknown): boolean {
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) if (equal(item, ownValue(container, String(i)))) return true;
    return false;
  }
  return (
    typeof item === 'string' && isPlainObject(container) && Object.prototype.propertyIsEnumerable.call(container, item)
  );
}

function length(value: unknown): number {
  if (typeof value === 'string' || Array.isArray(value)) return value.length;
  return isPlainObject(value) ? Object.keys(value).length : 0;
}

function evaluate(node: Condition, scope: unknown): unknown {
  switch (node.type) {
    case 'literal':
      return node.value;
    case 'array':
      return node.items.map((item) => evaluate(item, scope));
    case 'path':
      return lookup(node, scope);
    case 'not':
      return !evaluate(node.arg, scope);
    case 'negate': {
      const value = evaluate(node.arg, scope);
      return typeof value === 'number' ? -value : undefined;
    }
    case 'and': {
      let value: unknown = true;
      for (const arg of node.args) {
        value = evaluate(arg, scope);
        if (!value) return value;
      }
      return value;
    }
    case 'or': {
      let value: unknown = false;
      for (const arg of node.args) {
        value = evaluate(arg, scope);
        if (value) return value;
      }
      return value;
    }
    case 'compare': {
      const left = evaluate(node.left, scope);
      const right = evaluate(node.right, scope);
      if (node.op === '==') return equal(left, right);
      if (node.op === '!=') return !equal(left, right);
      return ordered(node.op, left, right);
    }
    case 'in':
      return contains(evaluate(node.right, scope), evaluate(node.left, scope));
    case 'len':
      return length(evaluate(node.arg, scope));
    case 'exists':
      return lookup(node.arg, scope) !== undefined;
    default:
      return undefined;
  }
}

/**
 * Whether a parsed condition holds over `scope` (dependency outputs by node id, plus `outputs`).
 *
 * Pure and total: a missing path reads as `undefined`, ordering mismatched types is false,
 * `==` is strict (so `1 == "1"` and `missing == null` are false; use `exists(...)`), and arrays
 * and objects compare by deep equality. `&&` and `||` yield an operand, as in JavaScript, and the
 * result is JavaScript truthiness (empty arrays and objects are truthy). Paths read only own
 * properties of plain objects and arrays, never prototype members or getters.
 */
export function evaluateCondition(condition: Condition, scope: Record<string, unknown>): boolean {
  try {
    return Boolean(evaluate(condition, scope));
  } catch {
    // Only a hostile scope gets here (a Proxy whose traps throw, data nested deeper than the
    // stack): a workflow must not fail on it, so the node is skipped instead.
    return false;
  }
}

/**
 * The distinct root names a condition reads, in order of first use (e.g. `["extract", "outputs"]`),
 * so DAG validation can check that each is a dependency (or `outputs`).
 */
export function conditionRoots(condition: Condition): string[] {
  const roots: string[] = [];
  const visit = (node: Condition): void => {
    switch (node.type) {
      case 'path':
        if (!roots.includes(node.root)) roots.push(node.root);
        return;
      case 'array':
        node.items.forEach(visit);
        return;
      case 'and':
      case 'or':
        node.args.forEach(visit);
        return;
      case 'not':
      case 'negate':
      case 'len':
      case 'exists':
        visit(node.arg);
        return;
      case 'compare':
      case 'in':
        visit(node.left);
        visit(node.right);
        return;
      default:
        return;
    }
  };
  visit(condition);
  return roots;
}
