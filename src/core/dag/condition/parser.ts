/**
 * The parser of the condition language: tokens to the {@link Condition} tree (grammar in
 * `./index.ts`), with one-line errors naming the column. Workflow-safe.
 */
import { CascadenceError } from '../../errors';
import type { ComparisonOperator, Condition, PathCondition } from './ast';
import { quote, tokenize, type Fail, type Token } from './scanner';

const MAX_LENGTH = 1000;
const MAX_DEPTH = 32;

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
    return this.chain('||', 'or', () => this.and());
  }

  private and(): Condition {
    return this.chain('&&', 'and', () => this.not());
  }

  /** `operand { op operand }`: one `or` / `and` node, or the lone operand. */
  private chain(op: '||' | '&&', type: 'or' | 'and', operand: () => Condition): Condition {
    const args = [operand()];
    while (this.isOp(op)) {
      this.next();
      args.push(operand());
    }
    return args.length === 1 ? (args[0] as Condition) : { type, args };
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
