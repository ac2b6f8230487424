/**
 * HTML building for the dashboard: the `html` tagged template escapes every interpolated value
 * unless it is already {@link SafeHtml} (another template's output), so text from tasks,
 * inputs and results can only ever render as text. Node-only (pure string building).
 */

/** Markup that is already safe: the output of {@link html}, never a raw string from outside. */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** `text` with `& < > " '` as entities: safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => ENTITIES[ch] ?? ch);
}

function render(value: unknown): string {
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

/**
 * Markup from a template: each `${value}` is escaped (arrays are rendered item by item;
 * `undefined`, `null` and `false` render as nothing) unless it is {@link SafeHtml}.
 */
export function html(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** A value as indented JSON text (for `<pre>`; escaped by {@link html} like any text). */
export function jsonText(value: unknown): string {
  if (value === undefined) return '';
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
