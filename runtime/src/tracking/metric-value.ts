/**
 * What a metric value is: the one rule for it as a number, shared by every tracker that stores
 * numbers (the database, TensorBoard scalars, MLflow metrics):
 *  - numbers pass unchanged, NaN and ±Infinity included;
 *  - booleans become 1 / 0, bigints the nearest double, `Number` objects unwrap;
 *  - anything else (strings, objects, null, undefined) is not a number: undefined here, and each
 *    tracker documents what it does instead (the database keeps it as text, TensorBoard writes a
 *    text summary, MLflow skips it with one warning).
 */
export function numericValue(value: unknown): number | undefined {
  switch (typeof value) {
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      return Number(value);
    case "object":
      return value instanceof Number ? value.valueOf() : undefined;
    default:
      return undefined;
  }
}

/** A short printable form of any value, for text summaries and warnings. */
export function describeValue(value: unknown, max = 2000): string {
  if (typeof value === "string") return value.length > max ? `${value.slice(0, max)}…` : value;
  let text: string;
  try {
    text = JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
