/**
 * CSV cells: RFC 4180 quoting, and text a spreadsheet will not run as a formula. A text cell
 * starting with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` (OWASP's
 * advice against CSV injection), so a metric key or trial name like `=cmd|' /C calc'!A0` opens
 * as text. Numbers are written as numbers (NaN and ±Infinity as those words). Pure and
 * dependency-free: the metrics panel's export bundles it into the webview, `expman export`
 * writes its CSV with it.
 */
const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\n\r]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  // A neutralised cell is quoted too, so the apostrophe is plainly part of the text.
  return NEEDS_QUOTES.test(text) || text !== value ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One CSV line (no line break) from its cells. */
export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return cells.map(csvCell).join(",");
}
