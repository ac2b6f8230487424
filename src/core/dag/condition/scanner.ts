/**
 * The scanner of the condition language: text to tokens, without regular expressions (a
 * hand-written scanner cannot backtrack, whatever a condition contains). Workflow-safe.
 */

export interface Token {
  kind: 'name' | 'number' | 'string' | 'op' | 'end';
  /** Source text (for `op`, the operator; for `end`, empty). */
  text: string;
  /** Decoded value of numbers and strings. */
  value?: string | number;
  /** 0-based offset in the condition text. */
  pos: number;
}

export type Fail = (problem: string, pos: number) => never;

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
export function quote(text: string): string {
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

export function tokenize(text: string, fail: Fail): Token[] {
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
