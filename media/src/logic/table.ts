/**
 * The runs table's logic: columns (run, status, tags, note, params, metrics with their summary),
 * sorting with mixed value types, and "only params that differ".
 */
import type { RunSummary } from "@expman/runtime/contracts";
import type { MetricSummary } from "../../../client/src/webview/contract";

export type ColumnKind = "run" | "status" | "note" | "tags" | "param" | "metric";

export interface Column {
  id: string;
  label: string;
  kind: ColumnKind;
  /** The value shown, sorted and filtered (a metric column: its chosen summary). */
  get(r: RunSummary): unknown;
  /** Metric columns: the summary they show. */
  summary?: MetricSummary;
}

export function runLabel(r: RunSummary): string {
  return `${r.trialName} #${r.repeat}`;
}

/** Equal as JSON (NaN and ±Infinity all read null there), without stringifying plain values. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  if (ta === typeof b && ta !== "object") return ta === "number" && !Number.isFinite(a) && !Number.isFinite(b);
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Param keys whose values are not the same in every run (a missing value counts as different). */
export function differingParams(runs: RunSummary[]): Set<string> {
  const keys = new Set<string>();
  // for-in, not Object.keys: no array per run (10,000 runs list their params here).
  for (const r of runs) for (const k in r.params) keys.add(k);
  const out = new Set<string>();
  for (const k of keys) {
    const first = runs[0]?.params?.[k];
    if (runs.some((r) => !(k in (r.params ?? {})) || !sameValue(r.params[k], first))) out.add(k);
  }
  return out;
}

/**
 * Whether a smaller value of a metric is better: losses and errors go down, everything else
 * (accuracy, F1, reward) up. Read from the key's words, like the chart groups.
 */
export function lowerIsBetter(key: string): boolean {
  const parts = key.toLowerCase().split(/[/._\-\s]+/);
  return parts.some((p) =>
    [
      "loss",
      "error",
      "err",
      "mse",
      "mae",
      "rmse",
      "nll",
      "perplexity",
      "ppl",
      "wer",
      "cer",
      "time",
      "latency",
    ].includes(p),
  );
}

/** A metric's value for a summary: last, min, max, or the better of min and max for the key. */
export function metricValue(r: RunSummary, key: string, summary: MetricSummary): number | undefined {
  if (summary === "last") return r.finalMetrics?.[key];
  const range = r.metricRanges?.[key];
  if (!range) return undefined;
  const which = summary === "best" ? (lowerIsBetter(key) ? "min" : "max") : summary;
  return which === "min" ? range[0] : range[1];
}

export interface ColumnOptions {
  onlyDiffering?: boolean;
  summaries?: Record<string, MetricSummary>;
}

/**
 * Every column the runs offer: run, status, tags, note, then params and metrics by name.
 * Choosing, pinning and ordering are the table's (tableLayout).
 */
export function tableColumns(runs: RunSummary[], options: ColumnOptions = {}): Column[] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const k in r.params) params.add(k);
    for (const k in r.finalMetrics) metrics.add(k);
  }
  const differ = options.onlyDiffering ? differingParams(runs) : undefined;
  const cols: Column[] = [
    { id: "run", label: "Run", kind: "run", get: runLabel },
    // A run read from the Python original's database has no status (the API says FINISHED): say so.
    {
      id: "status",
      label: "Status",
      kind: "status",
      get: (r) => (r.origin === "python-original" ? "not recorded" : r.status),
    },
  ];
  // Always offered: a run without a note yet gets one from here.
  cols.push({ id: "tags", label: "Tags", kind: "tags", get: (r) => (r.tags?.length ? r.tags.join(", ") : undefined) });
  cols.push({ id: "note", label: "Note", kind: "note", get: (r) => r.note || undefined });
  for (const k of [...params].sort(naturalOrder)) {
    if (differ && !differ.has(k)) continue;
    cols.push({ id: `param:${k}`, label: k, kind: "param", get: (r) => r.params?.[k] });
  }
  for (const k of [...metrics].sort(naturalOrder)) {
    const id = `metric:${k}`;
    const summary = options.summaries?.[id] ?? "last";
    cols.push({ id, label: k, kind: "metric", summary, get: (r) => metricValue(r, k, summary) });
  }
  return cols;
}

/** Natural order (run10 after run9); one collator, created once: localeCompare with options is slow. */
const collator = new Intl.Collator(undefined, { numeric: true });

function naturalOrder(a: string, b: string): number {
  return collator.compare(a, b);
}

/** Orders values: numbers numerically, then strings naturally, missing values always last. */
export function compareValues(a: unknown, b: unknown): number {
  const missingA = a === undefined || a === null;
  const missingB = b === undefined || b === null;
  if (missingA || missingB) return missingA === missingB ? 0 : missingA ? 1 : -1;
  if (typeof a === "number" && typeof b === "number") {
    if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) === Number.isNaN(b) ? 0 : Number.isNaN(a) ? 1 : -1;
    return a - b;
  }
  if (typeof a === "number") return -1;
  if (typeof b === "number") return 1;
  const sa = typeof a === "string" ? a : JSON.stringify(a);
  const sb = typeof b === "string" ? b : JSON.stringify(b);
  return collator.compare(sa, sb);
}

/**
 * Sort keys of a column's values, computed once: every value gets an integer rank in
 * compareValues order (numbers, then strings naturally, equal values the same rank), and
 * missing values (undefined, null, NaN) get `MISSING`. Sorting 10,000 runs by these compares
 * integers; only the distinct strings meet the collator (a run name or a status column has a
 * few dozen), so a sort by name costs what a sort by a number costs.
 */
export interface SortRanks {
  ranks: Float64Array;
  /** Rank of a missing value: above every real rank. */
  missing: number;
}

export function sortRanks(values: readonly unknown[]): SortRanks {
  const numbers = new Set<number>();
  const strings = new Set<string>();
  const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  for (const v of values) {
    if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) continue;
    if (typeof v === "number") numbers.add(v);
    else strings.add(text(v));
  }
  const numRank = new Map<number, number>();
  const sortedNumbers = Float64Array.from(numbers).sort();
  let rank = -1;
  for (let i = 0; i < sortedNumbers.length; i++) {
    if (i === 0 || sortedNumbers[i] !== sortedNumbers[i - 1]) rank++;
    numRank.set(sortedNumbers[i], rank);
  }
  const strRank = new Map<string, number>();
  const sortedStrings = [...strings].sort(collator.compare);
  for (let i = 0; i < sortedStrings.length; i++) {
    // Strings the collator calls equal ("01" and "1" with numeric order) share a rank: they tie.
    if (i === 0 || collator.compare(sortedStrings[i - 1], sortedStrings[i]) !== 0) rank++;
    strRank.set(sortedStrings[i], rank);
  }
  const missing = rank + 1;
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === undefined || v === null || (typeof v === "number" && Number.isNaN(v))) ranks[i] = missing;
    else ranks[i] = typeof v === "number" ? numRank.get(v)! : strRank.get(text(v))!;
  }
  return { ranks, missing };
}

/**
 * Row order from sort keys: indices, missing values last whichever the direction, ties in
 * listing order. Each row becomes one number (rank x rows + index, exact below 2^53), so the
 * sort is a typed-array sort without a comparator.
 */
export function orderByRanks({ ranks, missing }: SortRanks, descending: boolean): number[] {
  const n = ranks.length;
  const packed = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = ranks[i];
    packed[i] = (descending && r !== missing ? missing - 1 - r : r) * n + i;
  }
  packed.sort();
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = packed[i] % n;
  return order;
}

/**
 * Row order for a column: indices into `runs`, missing values last whichever the direction,
 * ties in listing order. Values are read once per run (a 10,000-run sort reads 10,000).
 */
export function sortOrder(runs: readonly RunSummary[], column: Column | undefined, descending: boolean): number[] {
  if (!column) return runs.map((_, i) => i);
  return orderByRanks(sortRanks(runs.map((r) => column.get(r))), descending);
}

export function formatCell(v: unknown): string {
  if (v === undefined || v === null) return "—";
  if (typeof v === "number") return formatNumber(v);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a < 1e-3 || a >= 1e6)) return v.toExponential(4);
  return Number(v.toPrecision(6)).toString();
}

/** Chart groups: train/val/test by key prefix or suffix, everything else "custom" or "other". */
export function metricGroup(key: string, custom: boolean): string {
  const k = key.toLowerCase();
  const parts = k.split(/[/._\-\s]+/);
  const has = (...names: string[]) => parts.some((p) => names.includes(p));
  if (has("train", "training")) return "train";
  if (has("val", "valid", "validation", "eval")) return "val";
  if (has("test", "testing")) return "test";
  return custom ? "custom" : "other";
}

export const GROUP_ORDER = ["train", "val", "test", "other", "custom"];
