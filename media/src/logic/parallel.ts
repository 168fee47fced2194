/**
 * Parallel coordinates and the parameter/metric scatter, as numbers: which axes there are
 * (every parameter that varies, every chosen final metric), where each run sits on each axis
 * (0 = bottom, 1 = top), which runs a set of brushes keeps, and when an axis reads better on a
 * log scale. Pure: no DOM; the canvases in media/src/plots draw what this computes.
 */
import type { CompareMetric } from "../../../client/src/webview/contract";
import type { RunSummary } from "@expman/runtime/contracts";
import { differingParams } from "./table";

/**
 * A final metric per run: its last value or its best (lowest or highest) value. The panel
 * contract's type: the choices are saved with the panel's settings.
 */
export type MetricChoice = CompareMetric;

export type AxisScale = "linear" | "log" | "category";

export interface Axis {
  id: string;
  label: string;
  kind: "param" | "metric";
  scale: AxisScale;
  /** Data range of the axis (numbers; for categories 0..n-1). */
  min: number;
  max: number;
  /** Category names in axis order (bottom to top), for category axes. */
  categories: string[];
}

export interface ParallelData {
  axes: Axis[];
  runIds: number[];
  /** Position of run r on axis a at [r * axes.length + a], 0..1 from the bottom; NaN when missing. */
  positions: Float32Array;
  /** The values the positions came from, same layout (category axes: the category index). */
  values: Float64Array;
}

/** Metrics lower is better for, by name (loss, error, perplexity...); the rest: higher is better. */
export function defaultDirection(key: string): "min" | "max" {
  return /loss|err|mse|mae|rmse|perplex|nll|time|latency|regret/i.test(key) ? "min" : "max";
}

/**
 * Whether values read better on a log axis: all positive and spanning two decades or more
 * (learning rates 1e-4..1e-2, say); accuracies in 0.5..0.99 stay linear.
 */
export function wantsLog(values: ArrayLike<number>): boolean {
  let min = Infinity;
  let max = -Infinity;
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (v <= 0) return false;
    if (v < min) min = v;
    if (v > max) max = v;
    n++;
  }
  return n >= 2 && max / min >= 100;
}

/** The lowest or highest finite value of a column, NaN when there is none. */
export function bestOf(values: ArrayLike<number>, length: number, direction: "min" | "max"): number {
  let best = NaN;
  for (let i = 0; i < length; i++) {
    const v = values[i];
    if (!Number.isFinite(v)) continue;
    if (best !== best || (direction === "min" ? v < best : v > best)) best = v;
  }
  return best;
}

/** Every metric key with a final value in some run, sorted. */
export function metricKeys(runs: readonly RunSummary[]): string[] {
  const keys = new Set<string>();
  for (const r of runs) for (const k of Object.keys(r.finalMetrics ?? {})) keys.add(k);
  return [...keys].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** Parameters whose value differs between the runs, sorted: one axis each. */
export function varyingParams(runs: readonly RunSummary[]): string[] {
  if (runs.length < 2) return [];
  return [...differingParams(runs as RunSummary[])].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

function numeric(v: unknown): number | undefined {
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? 1 : 0;
  return undefined;
}

/**
 * Builds the axes and every run's position on them. `metricValue` gives a run's value of a
 * chosen metric (best from its series, or last), NaN when it has none.
 */
export function buildParallel(
  runs: readonly RunSummary[],
  params: readonly string[],
  metrics: readonly MetricChoice[],
  metricValue: (run: RunSummary, choice: MetricChoice) => number,
): ParallelData {
  const nAxes = params.length + metrics.length;
  const n = runs.length;
  const values = new Float64Array(n * nAxes).fill(NaN);
  const axes: Axis[] = [];
  const column = (a: number): Float64Array => {
    const c = new Float64Array(n);
    for (let r = 0; r < n; r++) c[r] = values[r * nAxes + a];
    return c;
  };
  params.forEach((name, a) => {
    const raw = runs.map((r) => r.params?.[name]);
    const allNumeric = raw.every((v) => v === undefined || v === null || numeric(v) !== undefined);
    if (allNumeric) {
      raw.forEach((v, r) => (values[r * nAxes + a] = numeric(v) ?? NaN));
      axes.push(numericAxis(`param:${name}`, name, "param", column(a)));
    } else {
      const names = [...new Set(raw.filter((v) => v !== undefined).map(categoryName))].sort((x, y) =>
        x.localeCompare(y, undefined, { numeric: true }),
      );
      const index = new Map(names.map((c, i) => [c, i]));
      raw.forEach((v, r) => (values[r * nAxes + a] = v === undefined ? NaN : index.get(categoryName(v))!));
      axes.push({
        id: `param:${name}`,
        label: name,
        kind: "param",
        scale: "category",
        min: 0,
        max: Math.max(0, names.length - 1),
        categories: names,
      });
    }
  });
  metrics.forEach((m, i) => {
    const a = params.length + i;
    runs.forEach((r, j) => (values[j * nAxes + a] = metricValue(r, m)));
    const label = `${m.key} (${m.pick === "best" ? `best, ${m.direction}` : "last"})`;
    axes.push(numericAxis(`metric:${m.key}`, label, "metric", column(a)));
  });
  const positions = new Float32Array(n * nAxes);
  for (let r = 0; r < n; r++)
    for (let a = 0; a < nAxes; a++) positions[r * nAxes + a] = axisPosition(axes[a], values[r * nAxes + a]);
  return { axes, runIds: runs.map((r) => r.id), positions, values };
}

function categoryName(v: unknown): string {
  return typeof v === "string" ? v : JSON.stringify(v);
}

function numericAxis(id: string, label: string, kind: Axis["kind"], col: Float64Array): Axis {
  let min = Infinity;
  let max = -Infinity;
  for (const v of col)
    if (Number.isFinite(v)) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
  if (min === Infinity) [min, max] = [0, 1];
  return { id, label, kind, scale: wantsLog(col) ? "log" : "linear", min, max, categories: [] };
}

/** Where a value sits on an axis, 0 (bottom) to 1 (top); NaN for a missing value. */
export function axisPosition(axis: Axis, v: number): number {
  if (!Number.isFinite(v)) return NaN;
  if (axis.scale === "category") return axis.max > 0 ? v / axis.max : 0.5;
  if (axis.scale === "log") {
    const lo = Math.log10(axis.min);
    const hi = Math.log10(axis.max);
    return hi > lo ? (Math.log10(v) - lo) / (hi - lo) : 0.5;
  }
  return axis.max > axis.min ? (v - axis.min) / (axis.max - axis.min) : 0.5;
}

/** The value at a position on an axis (inverse of axisPosition), for labels and brush ranges. */
export function axisValue(axis: Axis, p: number): number {
  if (axis.scale === "category") return axis.max > 0 ? p * axis.max : 0;
  if (axis.scale === "log") {
    const lo = Math.log10(axis.min);
    const hi = Math.log10(axis.max);
    return Math.pow(10, lo + p * (hi - lo));
  }
  return axis.min + p * (axis.max - axis.min);
}

/** A brush: the kept range of one axis, in positions (0..1, lo <= hi). */
export type Brushes = ReadonlyMap<number, readonly [number, number]>;

/**
 * Runs every brush keeps (a run with no value on a brushed axis is not kept); null when no
 * brush is set, meaning "no constraint".
 */
export function brushedRuns(data: ParallelData, brushes: Brushes): number[] | null {
  if (brushes.size === 0) return null;
  const nAxes = data.axes.length;
  const list = [...brushes].filter(([a]) => a < nAxes);
  const out: number[] = [];
  for (let r = 0; r < data.runIds.length; r++) {
    let keep = true;
    for (const [a, [lo, hi]] of list) {
      const p = data.positions[r * nAxes + a];
      if (!(p >= lo && p <= hi)) {
        keep = false;
        break;
      }
    }
    if (keep) out.push(data.runIds[r]);
  }
  return out;
}

/** Tick positions and labels of an axis: categories, decades on log axes, 5 steps otherwise. */
export function axisTicks(axis: Axis, format: (v: number) => string): { p: number; label: string }[] {
  if (axis.scale === "category") return axis.categories.map((c, i) => ({ p: axisPosition(axis, i), label: c }));
  if (axis.scale === "log") {
    const out: { p: number; label: string }[] = [];
    for (let e = Math.ceil(Math.log10(axis.min)); e <= Math.floor(Math.log10(axis.max)); e++) {
      const v = Number(`1e${e}`); // exact, unlike Math.pow(10, -4)
      out.push({ p: axisPosition(axis, v), label: format(v) });
    }
    if (out.length >= 2) return out;
  }
  if (axis.max === axis.min) return [{ p: 0.5, label: format(axis.min) }];
  return [0, 0.25, 0.5, 0.75, 1].map((p) => ({ p, label: format(axisValue(axis, p)) }));
}
