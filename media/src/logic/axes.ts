/**
 * X axis transforms. Step uses the steps as they are; relative time is seconds since the run
 * started; wall time is seconds since the epoch (uPlot's time scale unit). Derived columns are
 * cached per series and extended on append.
 */
import type { XAxisMode } from "../../../client/src/webview/contract";
import type { SeriesData } from "./series-store";

export function xValue(mode: XAxisMode, step: number, time: number, origin: number): number {
  if (mode === "step") return step;
  if (mode === "relative") return (time - origin) / 1000;
  return time / 1000;
}

interface Cached {
  mode: XAxisMode;
  origin: number;
  generation: number;
  length: number;
  xs: Float64Array;
}

const cache = new WeakMap<SeriesData, Cached>();

/** The x column of a series for a mode; relative time counts from `origin` (ms). */
export function xColumn(s: SeriesData, mode: XAxisMode, origin: number): Float64Array {
  if (mode === "step") return s.steps;
  let c = cache.get(s);
  if (!c || c.mode !== mode || c.origin !== origin || c.generation !== s.generation || c.length > s.length) {
    c = { mode, origin, generation: s.generation, length: 0, xs: new Float64Array(s.times.length) };
    cache.set(s, c);
  }
  if (c.xs.length < s.times.length) {
    const next = new Float64Array(s.times.length);
    next.set(c.xs.subarray(0, c.length));
    c.xs = next;
  }
  // Wall clocks can step back a little; keep x non-decreasing so bucketing stays valid.
  let prev = c.length > 0 ? c.xs[c.length - 1] : -Infinity;
  for (let i = c.length; i < s.length; i++) {
    const x = xValue(mode, s.steps[i], s.times[i], origin);
    prev = x > prev ? x : prev;
    c.xs[i] = prev;
  }
  c.length = s.length;
  return c.xs;
}

/** Maps an x range back to a step range for a series (for zoom re-fetches). */
export function stepRange(s: SeriesData, xs: ArrayLike<number>, lo: number, hi: number): [number, number] | null {
  if (s.length === 0) return null;
  let a = 0;
  while (a < s.length && xs[a] < lo) a++;
  let b = s.length - 1;
  while (b > a && xs[b] > hi) b--;
  if (a >= s.length) return null;
  return [s.steps[Math.max(0, a - 1)], s.steps[Math.min(s.length - 1, b + 1)]];
}
