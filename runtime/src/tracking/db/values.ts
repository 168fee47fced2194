/**
 * How values that are not plain numbers are stored. Metric values: numbers as they are
 * (NaN and ±Infinity included), booleans as 0/1, bigints as numbers; anything else (strings,
 * objects, null) as JSON text in `metric_text`. Params: nested plain objects are flattened to
 * dotted keys, each leaf stored as JSON.
 */

import { encodeNumber, jsonReplacer } from "../../common/non-finite";
import { numericValue } from "../metric-value";

export { numericValue };

const MAX_JSON_CHARS = 64 * 1024;

/**
 * JSON for storage that never throws: non-finite numbers as their names, bigints as strings,
 * cycles and unserialisable objects as their String() form, and very long texts cut.
 */
export function safeJson(value: unknown): string {
  let text: string | undefined;
  try {
    const seen = new WeakSet<object>();
    text = JSON.stringify(value, (key, v: unknown) => {
      if (typeof v === "number" || typeof v === "bigint") return jsonReplacer(key, v);
      if (typeof v === "function") return `[function ${v.name || "anonymous"}]`;
      if (typeof v === "object" && v !== null) {
        if (seen.has(v)) return "[circular]";
        seen.add(v);
      }
      return v;
    });
  } catch {
    text = undefined;
  }
  if (text === undefined) text = JSON.stringify(String(value));
  if (text.length > MAX_JSON_CHARS)
    text = JSON.stringify(`${text.slice(0, MAX_JSON_CHARS)}... (${text.length} chars, cut)`);
  return text;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `{a: {b: 1}, c: [1, 2]}` -> `{"a.b": 1, "c": [1, 2]}`; undefined leaves are dropped. Two
 * keys that flatten to one (`{"a.b": 1, a: {b: 2}}`) are refused, naming both, rather than
 * one silently replacing the other.
 */
export function flattenParams(
  params: Record<string, unknown>,
  prefix = "",
  out: Record<string, unknown> = {},
  origin = new Map<string, string>(),
): Record<string, unknown> {
  for (const [key, value] of Object.entries(params)) {
    const full = prefix ? `${prefix}.${key}` : key;
    const path = prefix ? `${origin.get(`\u0000${prefix}`) ?? prefix} > ${JSON.stringify(key)}` : JSON.stringify(key);
    if (value === undefined) continue;
    if (isPlainObject(value) && Object.keys(value).length > 0) {
      origin.set(`\u0000${full}`, path);
      flattenParams(value, full, out, origin);
      continue;
    }
    const earlier = origin.get(full);
    if (earlier !== undefined) {
      throw new TypeError(
        `logParams: the params ${earlier} and ${path} both flatten to the key '${full}'; rename one of them (nothing of this call was stored).`,
      );
    }
    origin.set(full, path);
    out[full] = value;
  }
  return out;
}

/** Checkpoint metrics as stored: numbers (non-finite ones by name: encodeNumber) or strings. */
export function checkpointMetricsJson(metrics: Record<string, unknown>): string {
  const out: Record<string, number | string> = {};
  for (const [key, value] of Object.entries(metrics)) {
    const n = numericValue(value);
    if (n === undefined) out[key] = typeof value === "string" ? value : safeJson(value);
    else out[key] = encodeNumber(n);
  }
  return JSON.stringify(out);
}
