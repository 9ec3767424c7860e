/**
 * HTML built from templates in which every interpolated value is escaped,
 * unless it is markup this module made (Html). A figure, an operator id or an
 * error message can never become markup, whatever it holds.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }

/** Markup that is already safe: made by `html`, never from a raw string. */
export class Html {
  constructor(readonly markup: string) {}
  toString(): string {
    return this.markup
  }
}

export type HtmlValue = Html | string | number | null | undefined | readonly HtmlValue[]

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c)
}

function render(value: HtmlValue): string {
  if (value instanceof Html) return value.markup
  if (value === null || value === undefined) return ''
  if (Array.isArray(value)) return value.map(render).join('')
  return escapeHtml(String(value))
}

/** Tagged template: html`<td>${cell}</td>` escapes `cell`; arrays of Html are joined. */
export function html(strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html {
  let out = strings[0] ?? ''
  values.forEach((value, i) => {
    out += render(value) + (strings[i + 1] ?? '')
  })
  return new Html(out)
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>` and `&` are
 * written as \u escapes, so no value can close the script element or open a
 * comment; U+2028 and U+2029 likewise, for older parsers.
 */
export function jsonForScript(value: unknown): Html {
  const json = JSON.stringify(value).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return new Html(json)
}
