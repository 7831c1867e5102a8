// One CSV text field, made safe: environment-free, so the exports of the core and the renderer's own CSV
// downloads quote and defuse text the same way.

/**
 * A text field of CSV: a value a spreadsheet would run as a formula (starting with = + - @, a tab or a
 * carriage return) gets a leading apostrophe (OWASP's advice against CSV injection), and a field with a
 * quote, comma or line break is quoted with its quotes doubled (RFC 4180).
 */
export function csvText(s: string): string {
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
