/**
 * NaN and ±Infinity where JSON cannot hold them: one spelling, the names "NaN", "Infinity" and
 * "-Infinity" (JavaScript's String(x), also proto3 JSON's), defined here once. Three carriers
 * use it, each for a reason:
 *  - run events (`MetricsPoint.value`, checkpoint metrics): the name in place of the number
 *    (`encodeNumber` / `decodeNumber`), since a point travels alone;
 *  - results series (`Series.values` + `nonFinite`): null in the number column and the name in
 *    the index -> name map beside it, so the column stays numbers-or-null for every reader;
 *  - the webview's packed series: Float64Array holds the value itself (`nonFiniteValue`).
 * Values stored or sent as JSON (params, JSON metric values, performance reports) spell them the
 * same way, through `jsonReplacer`.
 * This module imports nothing, so the webview bundle takes it as is.
 */

export const NON_FINITE_NAMES = ["NaN", "Infinity", "-Infinity"] as const;
export type NonFiniteName = (typeof NON_FINITE_NAMES)[number];

/** The name of a number that is not finite. */
export function nonFiniteName(value: number): NonFiniteName {
  return value !== value ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}

/** The number a name stands for (NaN for a missing name: a null value with no name is NaN). */
export function nonFiniteValue(name: NonFiniteName | undefined): number {
  return name === "Infinity" ? Infinity : name === "-Infinity" ? -Infinity : NaN;
}

/** A number for JSON: finite ones as is, the others as their name. */
export function encodeNumber(value: number): number | NonFiniteName {
  return Number.isFinite(value) ? value : nonFiniteName(value);
}

/** Back from `encodeNumber` (and numeric strings); null for a string that is no number. */
export function decodeNumber(value: number | string): number | null {
  if (typeof value === "number") return value;
  if ((NON_FINITE_NAMES as readonly string[]).includes(value)) return nonFiniteValue(value as NonFiniteName);
  const n = Number(value);
  return Number.isNaN(n) ? null : n;
}

/** A `JSON.stringify` replacer: non-finite numbers as their names, bigints as decimal strings. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "number") return Number.isFinite(value) ? value : nonFiniteName(value);
  if (typeof value === "bigint") return value.toString();
  return value;
}
