/**
 * Parsing YAML files whose problems must name a line: the document, a line counter, and one
 * VALIDATION error with `<file>:<line>:<col>` for a syntax error.
 */
import { LineCounter, parseDocument, type Document } from 'yaml';
import { CascadenceError } from '../core/errors';

/**
 * Parses `text` (from `file`) into a YAML document.
 * @throws CascadenceError VALIDATION `<file>:<line>:<col>: not valid YAML: ...`.
 */
export function parseYamlFile(text: string, file: string): { doc: Document.Parsed; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false });
  const e = doc.errors[0];
  if (e) {
    const pos = lineCounter.linePos(e.pos[0]);
    throw new CascadenceError(
      'VALIDATION',
      `${file}:${pos.line}:${pos.col}: not valid YAML: ${e.message.split('\n')[0] ?? 'parse error'}`,
    );
  }
  return { doc, lineCounter };
}
