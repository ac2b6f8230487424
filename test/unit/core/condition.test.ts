import fc from 'fast-check';
import { fuzzRuns } from '../../helpers/fuzz';
import { conditionRoots, evaluateCondition, parseCondition, type Condition } from '../../../src/core/dag/condition';
import { isCascadenceError, type CascadenceError } from '../../../src/core/errors';

function run(text: string, scope: Record<string, unknown> = {}): boolean {
  return evaluateCondition(parseCondition(text), scope);
}

function rejection(text: string): CascadenceError {
  try {
    parseCondition(text);
  } catch (err) {
    if (!isCascadenceError(err)) throw err;
    return err;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

const scope = {
  extract: {
    rows: 3,
    name: 'orders',
    empty: '',
    zero: 0,
    none: null,
    flag: true,
    list: [1, 'two', { three: 3 }, [4]],
    tags: ['eu', 'us'],
    nested: { a: { b: { c: 'deep' } } },
    'with-hyphen': 7,
    'key with spaces': 'ok',
    '1': 'one',
    emptyList: [],
    emptyObject: {},
  },
  'load-2': { ok: false, count: -2 },
  outputs: { extract: { rows: 3 } },
};

describe('parseCondition / evaluateCondition: constructs', () => {
  it.each<[string, boolean]>([
    // literals
    ['true', true],
    ['false', false],
    ['null', false],
    ['0', false],
    ['1', true],
    ['0.5', true],
    ['1e3 == 1000', true],
    ['1.5E-1 == 0.15', true],
    ['2e+2 == 200', true],
    ['007 == 7', true],
    ['""', false],
    ["''", false],
    ['"x"', true],
    ["'it\\'s' == \"it's\"", true],
    ['"say \\"hi\\"" == \'say "hi"\'', true],
    ['\'a\\\\b\' == "a\\\\b"', true],
    ['len("a\\nb\\tc") == 5', true],
    ['[]', true],
    ['[1, 2] == [1, 2]', true],
    ['[1, [2, "x"]] == [1, [2, "x"]]', true],
    ['[1, 2] == [2, 1]', false],
    // paths
    ['extract.rows', true],
    ['extract.rows == 3', true],
    ['extract.zero', false],
    ['extract.empty', false],
    ['extract.none', false],
    ['extract.missing', false],
    ['extract.missing.deeper.still', false],
    ['extract.name == "orders"', true],
    ['extract.nested.a.b.c == "deep"', true],
    ['extract["nested"]["a"].b["c"] == "deep"', true],
    ['extract.list[0] == 1', true],
    ['extract.list[1] == "two"', true],
    ['extract.list[2].three == 3', true],
    ['extract.list[3][0] == 4', true],
    ['exists(extract.list[4])', false],
    ['exists(extract.list[1.5])', false],
    ['exists(extract.list["0"])', false],
    ['extract["with-hyphen"] == 7', true],
    ['extract.with-hyphen == 7', true],
    ['extract["key with spaces"] == "ok"', true],
    ['extract[1] == "one"', true],
    ['load-2.count == -2', true],
    ['load-2.ok', false],
    ['outputs.extract.rows == 3', true],
    ['extract . rows == 3', true],
    ['extract.emptyList', true],
    ['extract.emptyObject', true],
    ['nobody', false],
    ['nobody.at.all == null', false],
    // unary minus
    ['-1 < 0', true],
    ['-extract.rows == -3', true],
    ['--3 == 3', true],
    ['-0 == 0', true],
    ['-extract.name', false],
    // not
    ['!false', true],
    ['!true', false],
    ['!!extract.rows', true],
    ['!extract.missing', true],
    ['!extract.emptyList', false],
    // comparisons
    ['extract.rows != 4', true],
    ['extract.rows < 4', true],
    ['extract.rows <= 3', true],
    ['extract.rows > 3', false],
    ['extract.rows >= 3', true],
    ['"abc" < "abd"', true],
    ['"B" < "a"', true],
    ['"10" < "9"', true],
    ['"a" <= "a"', true],
    ['"b" >= "a"', true],
    ['1 < "2"', false],
    ['"1" >= 1', false],
    ['extract.missing < 1', false],
    ['extract.missing >= 1', false],
    ['null <= null', false],
    ['true > false', false],
    ['[1] < [2]', false],
    ['1 == "1"', false],
    ['1 != "1"', true],
    ['extract.missing == null', false],
    ['extract.none == null', true],
    ['true == true', true],
    ['extract.tags == ["eu", "us"]', true],
    ['extract.list[2] == extract.list[2]', true],
    ['outputs.extract == outputs.extract', true],
    ['extract.emptyObject == outputs.missing', false],
    // membership
    ['"eu" in extract.tags', true],
    ['"fr" in extract.tags', false],
    ['4 in extract.list', false],
    ['[4] in extract.list', true],
    ['"rows" in extract', true],
    ['"nothing" in extract', false],
    ['"constructor" in extract', false],
    ['"toString" in extract', false],
    ['"__proto__" in extract', false],
    ['1 in extract', false],
    ['"r" in "rows"', false],
    ['1 in [1, 2]', true],
    ['"1" in [1, 2]', false],
    ['extract.rows in [1, 2, 3]', true],
    ['"x" in extract.missing', false],
    ['[] in [[]]', true],
    // builtins
    ['len(extract.tags) == 2', true],
    ['len(extract.name) == 6', true],
    ['len(extract.nested) == 1', true],
    ['len(extract.rows) == 0', true],
    ['len(extract.missing) == 0', true],
    ['len(extract.emptyList)', false],
    ['len([1, 2, 3]) > 2', true],
    ['exists(extract.none)', true],
    ['exists(extract.zero)', true],
    ['exists(extract.missing)', false],
    ['exists(nobody)', false],
    ['exists(extract)', true],
    // and / or
    ['true && true', true],
    ['true && false', false],
    ['false || true', true],
    ['false || false', false],
    ['extract.rows > 0 && "eu" in extract.tags', true],
    ['extract.missing || extract.zero || extract.name == "orders"', true],
    // && and || yield an operand, as in JavaScript
    ['(extract.missing || 5) == 5', true],
    ['(extract.rows && "x") == "x"', true],
    ['(0 && 1) == 0', true],
  ])('%s → %s', (text, expected) => {
    expect(run(text, scope)).toBe(expected);
  });

  it('reads names that are builtins or start with "in" as paths when not called', () => {
    expect(run('len == 1 && exists.x == 2 && inner == 3', { len: 1, exists: { x: 2 }, inner: 3 })).toBe(true);
  });

  it('allows reserved words as property names', () => {
    expect(
      run('a.in == 1 && a.true == 2 && a.null == 3 && a.len == 4', { a: { in: 1, true: 2, null: 3, len: 4 } }),
    ).toBe(true);
  });

  it('accepts whitespace, tabs and line breaks between tokens', () => {
    expect(run('\n  extract.rows\t>\r\n 0 \n', scope)).toBe(true);
  });
});

describe('precedence', () => {
  it.each<[string, string]>([
    ['a || b && c', 'a || (b && c)'],
    ['a && b || c', '(a && b) || c'],
    ['!a && b', '(!a) && b'],
    ['!a || b', '(!a) || b'],
    ['!a == b', '!(a == b)'],
    ['!a in b', '!(a in b)'],
    ['a in b == c', '(a in b) == c'],
    ['c == a in b', 'c == (a in b)'],
    ['-a in b', '(-a) in b'],
    ['-a < b', '(-a) < b'],
    ['a == b && c != d || e < f', '((a == b) && (c != d)) || (e < f)'],
    ['len(a) == 2 && exists(b)', '(len(a) == 2) && exists(b)'],
  ])('%s parses as %s', (text, grouped) => {
    expect(parseCondition(text)).toStrictEqual(parseCondition(grouped));
  });

  it('groups by precedence where it changes the result', () => {
    expect(run('true || true && false')).toBe(true);
    expect(run('(true || true) && false')).toBe(false);
    expect(run('!1 == 2')).toBe(true); // !(1 == 2)
    expect(run('(!1) == 2')).toBe(false);
    expect(run('!"a" in ["a"]')).toBe(false); // !("a" in ["a"])
    expect(run('"a" in ["a"] == true')).toBe(true); // ("a" in ["a"]) == true
  });

  it('builds n-ary and/or nodes and plain JSON', () => {
    expect(parseCondition('a || b.c[0]["d"] || !-1')).toStrictEqual({
      type: 'or',
      args: [
        { type: 'path', root: 'a', keys: [] },
        { type: 'path', root: 'b', keys: ['c', 0, 'd'] },
        { type: 'not', arg: { type: 'negate', arg: { type: 'literal', value: 1 } } },
      ],
    });
    expect(parseCondition('x in [1, "y"] && len(z) >= 2 && exists(w)')).toStrictEqual({
      type: 'and',
      args: [
        {
          type: 'in',
          left: { type: 'path', root: 'x', keys: [] },
          right: {
            type: 'array',
            items: [
              { type: 'literal', value: 1 },
              { type: 'literal', value: 'y' },
            ],
          },
        },
        {
          type: 'compare',
          op: '>=',
          left: { type: 'len', arg: { type: 'path', root: 'z', keys: [] } },
          right: { type: 'literal', value: 2 },
        },
        { type: 'exists', arg: { type: 'path', root: 'w', keys: [] } },
      ],
    });
  });
});

describe('prototype safety', () => {
  it.each([
    'extract.constructor',
    'extract.__proto__',
    'extract.toString',
    'extract.hasOwnProperty',
    'extract["constructor"]',
    'extract["__proto__"]',
    'extract.tags.length',
    'extract.tags["length"]',
    'extract.tags.map',
    'extract.name.length',
    'extract.tags.constructor.name',
    'extract.__proto__.polluted',
    'constructor',
    '__proto__',
    'toString',
    'valueOf',
  ])('%s is undefined', (path) => {
    expect(run(`exists(${path})`, scope)).toBe(false);
    expect(run(path, scope)).toBe(false);
  });

  it('reads an own "__proto__" key of JSON data, which is data, not the prototype', () => {
    const data = JSON.parse('{"a": {"__proto__": {"x": 1}}}') as Record<string, unknown>;
    expect(run('a.__proto__.x == 1', data)).toBe(true);
    expect(run('"__proto__" in a', data)).toBe(true);
  });

  it('reads only plain objects and arrays, never class instances, maps or dates', () => {
    class Box {
      value = 1;
    }
    const odd = { box: new Box(), map: new Map([['value', 1]]), date: new Date(0), str: new String('abc') };
    expect(run('exists(box.value) || exists(map.value) || exists(date.getTime) || exists(str[0])', odd)).toBe(false);
    expect(run('len(box) == 0 && len(map) == 0 && !("value" in box)', odd)).toBe(true);
    expect(run('exists(bare.x)', { bare: Object.assign(Object.create(null) as object, { x: 1 }) })).toBe(true);
  });

  it('never runs getters in the scope', () => {
    const getter = jest.fn(() => 1);
    const data = { a: Object.defineProperty({}, 'x', { get: getter, enumerable: true }) };
    expect(run('exists(a.x)', data)).toBe(false);
    expect(getter).not.toHaveBeenCalled();
  });

  it('does not let evaluation mutate the scope or Object.prototype', () => {
    const data = JSON.parse(JSON.stringify(scope)) as Record<string, unknown>;
    run('extract.__proto__.polluted == 1 || extract.constructor.prototype == 1', data);
    expect(data).toStrictEqual(JSON.parse(JSON.stringify(scope)));
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('evaluateCondition is total', () => {
  it('returns false for a hostile scope instead of throwing', () => {
    const hostile = new Proxy(
      {},
      {
        getOwnPropertyDescriptor() {
          throw new Error('trap');
        },
      },
    );
    expect(evaluateCondition(parseCondition('a.b == 1'), { a: hostile })).toBe(false);
    expect(evaluateCondition(parseCondition('a.b'), hostile as Record<string, unknown>)).toBe(false);
  });

  it('compares cyclic structures without looping', () => {
    const a: Record<string, unknown> = { n: 1 };
    a['self'] = a;
    const b: Record<string, unknown> = { n: 1 };
    b['self'] = b;
    const c: Record<string, unknown> = { n: 2 };
    c['self'] = c;
    expect(run('a == b', { a, b })).toBe(true);
    expect(run('a == c', { a, c })).toBe(false);
    expect(run('a in [b]', { a, b })).toBe(true);
  });

  it('treats a malformed AST as false rather than throwing', () => {
    expect(evaluateCondition({ type: 'bogus' } as unknown as Condition, {})).toBe(false);
    expect(evaluateCondition({ type: 'and' } as unknown as Condition, {})).toBe(false);
    expect(evaluateCondition(parseCondition('a'), null as unknown as Record<string, unknown>)).toBe(false);
  });
});

describe('errors', () => {
  it.each<[string, string]>([
    ['', 'condition "": is empty at column 1'],
    ['   ', 'condition "   ": is empty at column 1'],
    ['(a && b', 'condition "(a && b": unclosed "(" at column 1'],
    ['a && (b || (c)', 'condition "a && (b || (c)": unclosed "(" at column 6'],
    ['(a b)', 'condition "(a b)": expected ")" to close the "(" at column 1, found name "b" at column 4'],
    ['a &&', 'condition "a &&": expected a value after "&&", found the end of the condition at column 5'],
    ['a ||', 'condition "a ||": expected a value after "||", found the end of the condition at column 5'],
    ['a ==', 'condition "a ==": expected a value after "==", found the end of the condition at column 5'],
    ['a == )', 'condition "a == )": expected a value after "==", found ")" at column 6'],
    ['!', 'condition "!": expected a value after "!", found the end of the condition at column 2'],
    ['a in', 'condition "a in": expected a value after "in", found the end of the condition at column 5'],
    [')', 'condition ")": expected a value, found ")" at column 1'],
    ['&& a', 'condition "&& a": expected a value, found "&&" at column 1'],
    ['a @ b', 'condition "a @ b": unexpected character "@" at column 3'],
    ['a == $x', 'condition "a == $x": unexpected character "$" at column 6'],
    ['a\u00a0== 1', 'condition "a\u00a0== 1": unexpected character "\u00a0" (U+00A0) at column 2'],
    ['a == "abc', 'condition "a == \\"abc": unterminated string at column 6'],
    ["a == 'abc\\'", 'condition "a == \'abc\\\\\'": unterminated string at column 6'],
    ['a == "ab\ncd"', 'condition "a == \\"ab\\ncd\\"": unterminated string at column 6'],
    [
      'a == "\\x"',
      'condition "a == \\"\\\\x\\"": unknown escape "\\x" in string (use \\\\ \\\' \\" \\n or \\t) at column 7',
    ],
    ['a = 1', 'condition "a = 1": "=" is not an operator; use "==" to compare at column 3'],
    ['a === 1', 'condition "a === 1": "===" is not an operator; use "==" at column 3'],
    ['a !== 1', 'condition "a !== 1": "!==" is not an operator; use "!=" at column 3'],
    ['a & b', 'condition "a & b": "&" is not an operator; use "&&" at column 3'],
    ['a | b', 'condition "a | b": "|" is not an operator; use "||" at column 3'],
    ['a b', 'condition "a b": expected an operator or the end, found name "b" at column 3'],
    ['a 1', 'condition "a 1": expected an operator or the end, found number 1 at column 3'],
    ['a)', 'condition "a)": expected an operator or the end, found ")" at column 2'],
    [
      'a - b',
      'condition "a - b": unexpected "-": there is no subtraction (a name with a hyphen is written without spaces) at column 3',
    ],
    ['a == !b', 'condition "a == !b": unexpected "!": wrap a negation in parentheses, as in a == (!b) at column 6'],
    [
      'a < b < c',
      'condition "a < b < c": comparisons cannot be chained; join them with && or add parentheses at column 7',
    ],
    [
      'a == b != c',
      'condition "a == b != c": comparisons cannot be chained; join them with && or add parentheses at column 8',
    ],
    ['a in b in c', 'condition "a in b in c": "in" cannot be chained; add parentheses at column 8'],
    ['1.', 'condition "1.": malformed number: expected a digit after "." at column 3'],
    ['1e', 'condition "1e": malformed number: expected a digit in the exponent at column 3'],
    ['1e+', 'condition "1e+": malformed number: expected a digit in the exponent at column 4'],
    ['12abc', 'condition "12abc": malformed number at column 1'],
    ['1.2.3', 'condition "1.2.3": malformed number at column 1'],
    ['.5', 'condition ".5": expected a value, found "." at column 1'],
    ['1e999 > 0', 'condition "1e999 > 0": number out of range at column 1'],
    ['a.', 'condition "a.": expected a name after ".", found the end of the condition at column 3'],
    ['a.1', 'condition "a.1": expected a name after ".", found number 1 at column 3'],
    ['a[b]', 'condition "a[b]": expected a number or a string inside "[ ]", found name "b" at column 3'],
    ['a[-1]', 'condition "a[-1]": expected a number or a string inside "[ ]", found "-" at column 3'],
    ['a[0', 'condition "a[0": unclosed "[" at column 2'],
    ['a[0 1]', 'condition "a[0 1]": expected "]", found number 1 at column 5'],
    ['[1, 2', 'condition "[1, 2": unclosed "[" at column 1'],
    ['[1 2]', 'condition "[1 2]": expected "]" to close the "[" at column 1, found number 2 at column 4'],
    ['[1, ]', 'condition "[1, ]": expected a value after ",", found "]" at column 5'],
    ['foo(a)', 'condition "foo(a)": unknown function "foo"; the functions are len and exists at column 1'],
    ['len()', 'condition "len()": len() takes one argument at column 5'],
    ['len(a, b)', 'condition "len(a, b)": len() takes one argument at column 6'],
    ['len(a', 'condition "len(a": unclosed "(" at column 4'],
    ['exists(1)', 'condition "exists(1)": exists() takes a path, as in exists(extract.rows) at column 8'],
    ['exists(a == 1)', 'condition "exists(a == 1)": exists() takes a path, as in exists(extract.rows) at column 8'],
    ['in', 'condition "in": expected a value, found "in" at column 1'],
    ['(a).b', 'condition "(a).b": expected an operator or the end, found "." at column 4'],
    ['true.x', 'condition "true.x": expected an operator or the end, found "." at column 5'],
  ])('%j → %s', (text, message) => {
    const err = rejection(text);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe(message);
  });

  it('counts a line break as one column and keeps the message on one line', () => {
    const err = rejection('a &&\n  b ||\n  @');
    expect(err.message).toBe('condition "a &&\\n  b ||\\n  @": unexpected character "@" at column 15');
    expect(err.message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
    expect(rejection('a\u2028b').message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
  });

  it('allows 1000 characters and rejects 1001, quoting only the start of the text', () => {
    const longest = `a == "${'x'.repeat(993)}"`;
    expect(longest).toHaveLength(1000);
    expect(run(longest, { a: 'x'.repeat(993) })).toBe(true);
    const err = rejection(`${longest} `);
    expect(err.code).toBe('VALIDATION');
    expect(err.message).toBe(
      `condition ${JSON.stringify(`${longest.slice(0, 40)}…`)}: is 1001 characters long; the limit is 1000 at column 1001`,
    );
  });

  it('allows 32 levels of nesting and rejects 33', () => {
    expect(run(`${'('.repeat(32)}true${')'.repeat(32)}`)).toBe(true);
    expect(run(`${'['.repeat(32)}${']'.repeat(32)}`)).toBe(true);
    expect(rejection(`${'('.repeat(33)}true${')'.repeat(33)}`).message).toMatch(
      /: nesting deeper than 32 levels at column 33$/,
    );
    expect(rejection(`${'len('.repeat(20)}${'['.repeat(13)}a`).message).toMatch(
      /: nesting deeper than 32 levels at column 93$/,
    );
  });

  it('bounds long chains of prefix operators by the length limit, not the stack', () => {
    expect(run(`${'!'.repeat(998)}a`, { a: 1 })).toBe(true);
    expect(run(`${'-'.repeat(998)}1`)).toBe(true);
    expect(run(Array.from({ length: 150 }, (_, i) => `a${i}`).join('||'), { a149: 1 })).toBe(true);
  });

  it('rejects a text that is not a string', () => {
    expect(rejection(42 as unknown as string).message).toBe('condition "42": must be a string, not number at column 1');
    expect(rejection(null as unknown as string).message).toBe(
      'condition "null": must be a string, not null at column 1',
    );
  });
});

describe('conditionRoots', () => {
  it.each<[string, string[]]>([
    ['extract.rows > 0 && outputs.extract.rows > 0', ['extract', 'outputs']],
    ['true', []],
    ['a || b || a.x', ['a', 'b']],
    ['!exists(x) && len(y[0]) in [z, -w]', ['x', 'y', 'z', 'w']],
    ['load-2.ok == (node_3.x != "a")', ['load-2', 'node_3']],
    ['"literal.path" in list', ['list']],
  ])('%s reads %j', (text, roots) => {
    expect(conditionRoots(parseCondition(text))).toStrictEqual(roots);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const ROOTS = ['a', 'b', 'node-1', '_x', 'outputs', 'constructor', '__proto__'];
const KEYS = ['x', 'y', '0', 'constructor', '__proto__', 'length', 'toString'];
const ACCESSORS = ['.x', '.y', '[0]', '[1]', '["x"]', "['y']", '.constructor', '["__proto__"]', '.length', '[1.5]'];

function stringLiteral(value: string, q: '"' | "'"): string {
  let out = q;
  for (const ch of value) {
    if (ch === '\\' || ch === q) out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else out += ch;
  }
  return out + q;
}

const stringValue = fc.string({ maxLength: 8, unit: 'binary' }).map((s) => s.split('\r').join(''));
const numberText = fc.oneof(
  fc.nat({ max: 1000 }).map(String),
  fc.tuple(fc.nat({ max: 99 }), fc.nat({ max: 999 })).map(([i, f]) => `${i}.${f}`),
  fc
    .tuple(fc.nat({ max: 9 }), fc.constantFrom('e', 'E'), fc.constantFrom('', '+', '-'), fc.nat({ max: 20 }))
    .map((parts) => parts.join('')),
);
const pathText = fc
  .tuple(fc.constantFrom(...ROOTS), fc.array(fc.constantFrom(...ACCESSORS), { maxLength: 3 }))
  .map(([root, accessors]) => root + accessors.join(''));
const atomText = fc.oneof(
  pathText,
  numberText,
  fc.tuple(stringValue, fc.constantFrom<'"' | "'">('"', "'")).map(([s, q]) => stringLiteral(s, q)),
  fc.constantFrom('true', 'false', 'null', '[]'),
  pathText.map((p) => `exists(${p})`),
);

const expressionText = fc
  .letrec<{ expr: string }>((tie) => ({
    expr: fc.oneof(
      { maxDepth: 5, depthSize: 'small' },
      atomText,
      fc.tuple(fc.constantFrom('!', '-', '!!', '- -'), tie('expr')).map(([op, e]) => `${op}(${e})`),
      fc
        .tuple(tie('expr'), fc.constantFrom('||', '&&', '==', '!=', '<', '<=', '>', '>=', 'in'), tie('expr'))
        .map(([l, op, r]) => `(${l}) ${op} (${r})`),
      fc.array(tie('expr'), { maxLength: 3 }).map((items) => `[${items.join(', ')}]`),
      tie('expr').map((e) => `len(${e})`),
    ),
  }))
  .expr.filter((text) => text.length <= 1000);

/** JSON values whose keys often match the generated paths. */
const { json: shapedJson } = fc.letrec<{ json: unknown }>((tie) => ({
  json: fc.oneof(
    { maxDepth: 4, depthSize: 'small' },
    fc.constantFrom(null, true, false, 0, 1, -1, 1.5, '', 'x', '0', 'eu'),
    fc.array(tie('json'), { maxLength: 4 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('json'), { maxKeys: 4 }),
  ),
}));
const jsonScope = fc.dictionary(fc.constantFrom(...ROOTS, 'other'), fc.oneof(shapedJson, fc.jsonValue()), {
  maxKeys: 6,
});
const anyScope = fc.dictionary(
  fc.constantFrom(...ROOTS),
  fc.anything({
    withMap: true,
    withSet: true,
    withDate: true,
    withNullPrototype: true,
    withBoxedValues: true,
    withBigInt: true,
    withTypedArray: true,
    withSparseArray: true,
  }),
  { maxKeys: 4 },
);

describe('properties', () => {
  const tokenSoup = fc
    .array(
      fc.constantFrom(
        'a',
        'b.c',
        '[0]',
        '"s"',
        "'t'",
        '1',
        '2.5e3',
        '(',
        ')',
        '[',
        ']',
        ',',
        '.',
        '!',
        '-',
        '&&',
        '||',
        '==',
        '!=',
        '<',
        '>=',
        'in',
        'len(',
        'exists(',
        'true',
        'null',
        '=',
        '\\',
        '"',
        ' ',
        '\n',
        '@',
      ),
      { maxLength: 30 },
    )
    .map((parts) => parts.join(''));

  it('parseCondition returns or throws a one-line VALIDATION error, nothing else', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ maxLength: 1200 }), tokenSoup), (text) => {
        try {
          parseCondition(text);
        } catch (err) {
          expect(isCascadenceError(err)).toBe(true);
          const { code, message } = err as CascadenceError;
          expect(code).toBe('VALIDATION');
          expect(message).toMatch(/^condition ".*": .+ at column [1-9]\d*$/);
          expect(message).not.toMatch(/[\r\n\u0085\u2028\u2029]/);
        }
      }),
      { numRuns: fuzzRuns(2000) },
    );
  });

  it('generated valid expressions parse', () => {
    fc.assert(
      fc.property(expressionText, (text) => {
        expect(() => parseCondition(text)).not.toThrow();
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('string literals decode to the text they encode', () => {
    fc.assert(
      fc.property(stringValue, fc.constantFrom<'"' | "'">('"', "'"), (value, q) => {
        expect(parseCondition(stringLiteral(value, q))).toStrictEqual({ type: 'literal', value });
      }),
    );
  });

  it('evaluateCondition returns a boolean and never throws, for JSON and for arbitrary scopes', () => {
    fc.assert(
      fc.property(expressionText, fc.oneof(jsonScope, anyScope), (text, data) => {
        const condition = parseCondition(text);
        expect(typeof evaluateCondition(condition, data)).toBe('boolean');
      }),
      { numRuns: fuzzRuns(1000) },
    );
  });

  it('parses deterministically, and the AST round-trips through JSON with identical evaluation', () => {
    fc.assert(
      fc.property(expressionText, fc.array(jsonScope, { minLength: 1, maxLength: 3 }), (text, scopes) => {
        const condition = parseCondition(text);
        expect(parseCondition(text)).toStrictEqual(condition);
        const copy = JSON.parse(JSON.stringify(condition)) as Condition;
        expect(copy).toStrictEqual(condition);
        for (const data of scopes) expect(evaluateCondition(copy, data)).toBe(evaluateCondition(condition, data));
        expect(conditionRoots(copy)).toStrictEqual(conditionRoots(condition));
      }),
      { numRuns: fuzzRuns(500) },
    );
  });

  it('conditionRoots lists exactly the roots that can change the result', () => {
    fc.assert(
      fc.property(expressionText, jsonScope, (text, data) => {
        const condition = parseCondition(text);
        const roots = new Set(conditionRoots(condition));
        const trimmed = Object.fromEntries(Object.entries(data).filter(([key]) => roots.has(key)));
        expect(evaluateCondition(condition, trimmed)).toBe(evaluateCondition(condition, data));
      }),
      { numRuns: fuzzRuns(300) },
    );
  });
});
