/**
 * What the webview holds of one series (one run, one key): growable typed columns that live
 * deltas append to, the fetched data they extend, counts of values that cannot be drawn, and
 * cached smoothing and x columns that are extended, not recomputed, on append.
 */
import type { SeriesDelta, WireSeries } from "../../../client/src/webview/contract";
import { nonFiniteValue, type NonFiniteName } from "../../../runtime/src/common/non-finite";
import { continueEma, emptyEma, type EmaState } from "./smoothing";
import { MinMaxBlocks, upperBound } from "./downsample";

import type { Scope } from "../../../runtime/src/common/vocabulary";

export type { Scope };

export interface NonFiniteCounts {
  nan: number;
  posInf: number;
  negInf: number;
}

type Columns = Pick<WireSeries, "steps" | "values" | "times" | "nonFinite">;

function grow(a: Float64Array<ArrayBuffer>, need: number): Float64Array<ArrayBuffer> {
  if (need <= a.length) return a;
  const next = new Float64Array(Math.max(need, a.length * 2, 64));
  next.set(a);
  return next;
}

function decode(value: number | null, name: NonFiniteName | undefined): number {
  return value !== null && value !== undefined ? value : nonFiniteValue(name);
}

let instances = 0;

/**
 * Live points for a series this big wait in a queue while its columns are too small for them:
 * the columns grow in idle slices (growStep, one column per slice) and the queue is applied
 * after. Growing in the frame that brings the points copied every column of every run at once
 * (10 runs x 1 M points: a 0.5 s task).
 */
export const GROW_IN_IDLE_FROM = 262_144;

export class SeriesData {
  steps: Float64Array<ArrayBuffer> = new Float64Array(0);
  values: Float64Array<ArrayBuffer> = new Float64Array(0);
  times: Float64Array<ArrayBuffer> = new Float64Array(0);
  length = 0;
  /** The host sent a reduced series (min/max/last buckets); zooming re-fetches detail. */
  downsampled = false;
  /** Raw size in the database when downsampled, else equal to length. */
  totalPoints = 0;
  nonFinite: NonFiniteCounts = { nan: 0, posInf: 0, negInf: 0 };
  /** Whether the stored series was fetched from the host (live points may arrive before). */
  fetchState: "none" | "pending" | "done" | "failed" = "none";
  /** Bumped whenever existing points change (not on append). */
  generation = 0;
  /** Distinguishes instances in cache keys. */
  readonly instance = ++instances;

  private smooth = new Float64Array(0);
  private minMax: MinMaxBlocks | undefined;
  private minMaxGeneration = -1;
  private ema: EmaState = emptyEma(0.6);

  constructor(
    readonly runId: number,
    readonly key: string,
    readonly scope: Scope,
    /** Per-label series (SeriesKey.metric / label): drawn as one line of the metric's chart. */
    readonly label?: string,
    readonly metric?: string,
  ) {}

  /** The chart this series is drawn in: its metric's for a per-label series, else its key's. */
  get chartKey(): string {
    return this.label !== undefined ? (this.metric ?? this.key) : this.key;
  }

  get lastStep(): number {
    return this.length > 0 ? this.steps[this.length - 1] : -Infinity;
  }

  /** Live deltas waiting for the columns to grow (see GROW_IN_IDLE_FROM). */
  private queued: SeriesDelta[] = [];

  get queuedPoints(): number {
    let n = 0;
    for (const d of this.queued) n += d.steps.length;
    return n;
  }

  /**
   * Appends a live delta, or queues it when the columns of a big series would have to grow
   * first (growStep does that in idle time; drainQueued applies the queue). Returns how many
   * points were appended now.
   */
  appendLive(d: SeriesDelta): number {
    if (this.queued.length === 0 && (this.length < GROW_IN_IDLE_FROM || this.fits(d.steps.length)))
      return this.append(d);
    this.queued.push(d);
    return 0;
  }

  private fits(n: number): boolean {
    const need = this.length + n;
    return need <= this.steps.length && need <= this.values.length && need <= this.times.length;
  }

  /** Applies queued live points once the columns hold them; returns how many were appended. */
  drainQueued(): number {
    if (this.queued.length === 0 || !this.fits(this.queuedPoints)) return 0;
    let added = 0;
    for (const d of this.queued) added += this.append(d);
    this.queued = [];
    return added;
  }

  /** Appends the points of `c` whose step is beyond the last one held; returns how many. */
  append(c: Columns | SeriesDelta): number {
    const n = c.steps.length;
    let from = 0;
    // Deltas are append-only; anything not past our last step was already seen.
    if (this.length > 0) while (from < n && !(c.steps[from] > this.lastStep)) from++;
    const add = n - from;
    if (add <= 0) return 0;
    if (c.steps instanceof Float64Array && c.values instanceof Float64Array && c.times instanceof Float64Array) {
      const fast = this.appendPacked(c.steps, c.values, c.times, from, n);
      if (fast >= 0) return fast;
    }
    const need = this.length + add;
    this.steps = grow(this.steps, need);
    this.values = grow(this.values, need);
    this.times = grow(this.times, need);
    // Hot loop (millions of points): locals only, no calls unless a value is missing.
    const steps = this.steps;
    const values = this.values;
    const times = this.times;
    const inSteps = c.steps;
    const inValues = c.values;
    const inTimes = c.times;
    const names = c.nonFinite;
    const counts = this.nonFinite;
    let prev = this.lastStep;
    let k = this.length;
    for (let i = from; i < n; i++) {
      const s = inSteps[i];
      if (!(s > prev)) continue; // out of order inside a delta: keep the series sorted
      let v = inValues[i];
      if (v === null || v === undefined) v = decode(null, names?.[i]);
      if (v !== v) counts.nan++;
      else if (v === Infinity) counts.posInf++;
      else if (v === -Infinity) counts.negInf++;
      steps[k] = s;
      values[k] = v;
      times[k] = inTimes[i];
      prev = s;
      k++;
    }
    const added = k - this.length;
    this.length = k;
    this.totalPoints += added;
    return added;
  }

  /**
   * Packed columns that are strictly increasing: bulk copies (memcpy) plus one counting pass.
   * Returns -1 (and changes nothing) when the steps are not strictly increasing.
   */
  private appendPacked(
    inSteps: Float64Array,
    inValues: Float64Array,
    inTimes: Float64Array,
    from: number,
    n: number,
  ): number {
    let prev = this.lastStep;
    for (let i = from; i < n; i++) {
      const s = inSteps[i];
      if (!(s > prev)) return -1;
      prev = s;
    }
    const add = n - from;
    const need = this.length + add;
    if (this.length === 0 && from === 0 && inSteps.buffer instanceof ArrayBuffer) {
      // A fetched series into an empty store: adopt the message's arrays (no copy; the
      // message was cloned for us). The next live append copies into grown arrays.
      this.steps = inSteps as Float64Array<ArrayBuffer>;
      this.values = inValues as Float64Array<ArrayBuffer>;
      this.times = inTimes as Float64Array<ArrayBuffer>;
    } else {
      this.steps = grow(this.steps, need);
      this.values = grow(this.values, need);
      this.times = grow(this.times, need);
      this.steps.set(inSteps.subarray(from, n), this.length);
      this.values.set(inValues.subarray(from, n), this.length);
      this.times.set(inTimes.subarray(from, n), this.length);
    }
    const counts = this.nonFinite;
    for (let i = from; i < n; i++) {
      const v = inValues[i];
      if (v - v !== 0) {
        // NaN or ±Infinity (v - v is NaN for all three)
        if (v !== v) counts.nan++;
        else if (v > 0) counts.posInf++;
        else counts.negInf++;
      }
    }
    this.length = need;
    this.totalPoints += add;
    return add;
  }

  /** Replaces the held points with a fetched series, keeping live points newer than it. */
  replace(series: WireSeries): void {
    const tailFrom =
      series.steps.length > 0
        ? upperBound(this.steps, this.length, series.steps[series.steps.length - 1])
        : this.length;
    const tail = {
      steps: Array.from(this.steps.subarray(tailFrom, this.length)),
      values: Array.from(this.values.subarray(tailFrom, this.length)),
      times: Array.from(this.times.subarray(tailFrom, this.length)),
    };
    this.length = 0;
    this.totalPoints = 0;
    this.nonFinite = { nan: 0, posInf: 0, negInf: 0 };
    this.generation++;
    this.ema = emptyEma(this.ema.weight);
    this.append(series);
    this.downsampled = series.downsampled;
    this.totalPoints = Math.max(series.totalPoints, this.length);
    this.append(tail);
  }

  /**
   * Whether the columns should be grown ahead of need: less than a quarter of their capacity
   * is free. Growing copies every held point; done from an idle callback (growStep), one column
   * at a time, it never lands in a frame, where ten runs outgrowing 1 M points together used
   * to stall the panel for up to a second.
   */
  get wantsGrowth(): boolean {
    return this.length > 0 && (this.length + this.queuedPoints) * 4 > this.steps.length * 3;
  }

  /**
   * Grows one column (or the smoothing cache) to twice the capacity; returns false when none
   * needed it. Call repeatedly, one call per idle slice.
   */
  growStep(): boolean {
    if (this.wantsGrowth) {
      this.steps = grow(this.steps, Math.max(64, this.steps.length * 2));
      return true;
    }
    const cap = this.steps.length;
    if (this.values.length < cap) {
      this.values = grow(this.values, cap);
      return true;
    }
    if (this.times.length < cap) {
      this.times = grow(this.times, cap);
      return true;
    }
    if (this.smooth.length < cap) {
      const next = new Float64Array(cap);
      next.set(this.smooth.subarray(0, this.ema.length));
      this.smooth = next;
      return true;
    }
    return false;
  }

  /** Smoothed values for the held points (debiased EMA), extended incrementally. */
  smoothed(weight: number): Float64Array {
    if (weight !== this.ema.weight || this.ema.length > this.length) this.ema = emptyEma(weight);
    if (this.smooth.length < this.length) {
      const next = new Float64Array(Math.max(this.values.length, this.length));
      next.set(this.smooth.subarray(0, this.ema.length));
      this.smooth = next;
    }
    if (this.ema.length < this.length) this.ema = continueEma(this.values, this.length, this.smooth, this.ema);
    return this.smooth;
  }

  /** Block min/max summaries of the values, for fast zoomed downsampling (built on first use). */
  blocks(): MinMaxBlocks {
    if (!this.minMax) this.minMax = new MinMaxBlocks();
    // Appends keep the prefix; a replace (new generation) rebuilds.
    this.minMax.update(this.values, this.length, this.minMaxGeneration === this.generation);
    this.minMaxGeneration = this.generation;
    return this.minMax;
  }

  /** Index of the point nearest to step (for hover). */
  nearest(step: number): number {
    const i = upperBound(this.steps, this.length, step);
    if (i <= 0) return 0;
    if (i >= this.length) return this.length - 1;
    return step - this.steps[i - 1] <= this.steps[i] - step ? i - 1 : i;
  }
}

/** Store of every series the panel holds, by run and key. */
export class SeriesStore {
  private readonly byId = new Map<string, SeriesData>();
  /** Per-label series by run, scope and metric, labels in order of arrival. */
  private readonly byMetric = new Map<string, SeriesData[]>();

  /** A per-label series is keyed by its label too: its joined key may equal another series' key. */
  static id(runId: number, scope: Scope, key: string, label?: string): string {
    return label === undefined
      ? `${runId}\u0000${scope}\u0000${key}`
      : `${runId}\u0000${scope}\u0000${key}\u0000${label}`;
  }

  /** The series without a label named `key`. */
  get(runId: number, scope: Scope, key: string): SeriesData | undefined {
    return this.byId.get(SeriesStore.id(runId, scope, key));
  }

  /** The per-label series of a run's metric. */
  labelled(runId: number, scope: Scope, metric: string): readonly SeriesData[] {
    return this.byMetric.get(SeriesStore.id(runId, scope, metric)) ?? [];
  }

  ensure(runId: number, key: string, scope: Scope, label?: string, metric?: string): SeriesData {
    const id = SeriesStore.id(runId, scope, key, label);
    let s = this.byId.get(id);
    if (!s) {
      s = new SeriesData(runId, key, scope, label, label === undefined ? undefined : (metric ?? key));
      this.byId.set(id, s);
      if (label !== undefined) {
        const mid = SeriesStore.id(runId, scope, s.chartKey);
        (this.byMetric.get(mid) ?? this.byMetric.set(mid, []).get(mid)!).push(s);
      }
    }
    return s;
  }

  /** Applies live deltas; returns the chart ids (chartId) that changed. */
  applyDeltas(deltas: SeriesDelta[]): Set<string> {
    const changed = new Set<string>();
    for (const d of deltas) {
      const s = this.ensure(d.runId, d.key, d.scope, d.label, d.metric);
      if (s.appendLive(d) > 0) changed.add(chartId(d.scope, s.chartKey));
    }
    return changed;
  }

  all(): IterableIterator<SeriesData> {
    return this.byId.values();
  }
}

/** One chart per metric key and scope. */
export function chartId(scope: Scope, key: string): string {
  return `${scope}:${key}`;
}
