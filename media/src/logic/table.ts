/**
 * The runs table's logic: columns (params and final metrics), sorting with mixed value types,
 * and "only params that differ".
 */
import type { RunSummary } from "@expman/runtime/contracts";

export interface Column {
  id: string;
  label: string;
  kind: "run" | "status" | "param" | "metric";
  get(r: RunSummary): unknown;
}

export function runLabel(r: RunSummary): string {
  return `${r.trialName} #${r.repeat}`;
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Param keys whose values are not the same in every run (a missing value counts as different). */
export function differingParams(runs: RunSummary[]): Set<string> {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.params ?? {})) keys.add(k);
  const out = new Set<string>();
  for (const k of keys) {
    const first = runs[0]?.params?.[k];
    if (runs.some((r) => !(k in (r.params ?? {})) || !sameValue(r.params[k], first))) out.add(k);
  }
  return out;
}

export function tableColumns(runs: RunSummary[], onlyDiffering: boolean): Column[] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const r of runs) {
    for (const k of Object.keys(r.params ?? {})) params.add(k);
    for (const k of Object.keys(r.finalMetrics ?? {})) metrics.add(k);
  }
  const differ = onlyDiffering ? differingParams(runs) : undefined;
  const cols: Column[] = [
    { id: "run", label: "Run", kind: "run", get: runLabel },
    { id: "status", label: "Status", kind: "status", get: (r) => r.status },
  ];
  for (const k of [...params].sort()) {
    if (differ && !differ.has(k)) continue;
    cols.push({ id: `param:${k}`, label: k, kind: "param", get: (r) => r.params?.[k] });
  }
  for (const k of [...metrics].sort())
    cols.push({ id: `metric:${k}`, label: k, kind: "metric", get: (r) => r.finalMetrics?.[k] });
  return cols;
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
  return sa.localeCompare(sb, undefined, { numeric: true });
}

export function sortRuns(runs: RunSummary[], column: Column | undefined, descending: boolean): RunSummary[] {
  if (!column) return [...runs];
  return [...runs].sort((ra, rb) => {
    const a = column.get(ra);
    const b = column.get(rb);
    const missing = a === undefined || a === null || b === undefined || b === null;
    const c = compareValues(a, b);
    // Missing values stay last whichever the direction.
    return missing ? c : descending ? -c : c;
  });
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
