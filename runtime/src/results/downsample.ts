/**
 * Reducing a metric series to a bounded number of points for charts. The buckets are the one
 * rule the webview draws with too (common/buckets.ts: edges at multiples of a power-of-two
 * width, at most `buckets` of them over the step range, plus one where the range straddles an
 * edge); each bucket keeps its minimum, its maximum and its last point (by arrival), plus its
 * first NaN if it has one, so spikes and divergences survive any reduction. At most 4 points
 * per bucket come out, in step order. One pass, no sorting of the input, and out-of-order
 * steps are fine.
 *
 * Speed: series are mostly in step order, so consecutive points share a bucket. The scan keeps
 * the current bucket's state in locals and only touches the per-bucket arrays when the bucket
 * changes (about `buckets` times for ordered data), which keeps the loop tight.
 */
import { bucketOf, bucketWidth } from "../common/buckets";

const MIN = 0;
const MAX = 1;
const LAST = 2;
const NAN = 3;

/** Which points of a chunk to take: steps in [lo, hi] (or (lo, hi] when `loExclusive`). */
export interface StepFilter {
  lo: number;
  hi: number;
  loExclusive: boolean;
}

export class BucketReducer {
  /** Buckets actually kept: `buckets`, or one more where the range straddles an edge. */
  private readonly slots: number;
  private readonly width: number;
  /** The bucket number of `lo`: slot 0. */
  private readonly first: number;
  private readonly lastBucket: number;
  /** Per slot (bucket * 4 + role): arrival index (-1 = none), step, value, time. */
  private readonly arrival: Float64Array;
  private readonly step: Float64Array;
  private readonly value: Float64Array;
  private readonly time: Float64Array;
  private seen = 0;

  /** `lo..hi` is the step range the buckets cover; points outside are clamped to the ends. */
  constructor(buckets: number, lo: number, hi: number) {
    this.width = bucketWidth(hi - lo, buckets);
    this.first = bucketOf(lo, this.width);
    const last = bucketOf(hi, this.width);
    this.slots = Number.isFinite(this.first) && last > this.first ? last - this.first + 1 : 1;
    this.lastBucket = this.slots - 1;
    this.arrival = new Float64Array(this.slots * 4).fill(-1);
    this.step = new Float64Array(this.slots * 4);
    this.value = new Float64Array(this.slots * 4);
    this.time = new Float64Array(this.slots * 4);
  }

  /** Points seen. */
  get count(): number {
    return this.seen;
  }

  add(step: number, value: number, time: number): void {
    this.addColumns(Float64Array.of(step), Float64Array.of(value), Float64Array.of(time), 1, 0);
  }

  /**
   * Adds the first `n` points of parallel columns. A NaN step stands for "no step" and is
   * replaced by `indexBase + i` (the point's index in its series). Returns how many were taken.
   */
  addColumns(
    steps: Float64Array,
    values: Float64Array,
    times: Float64Array,
    n: number,
    indexBase: number,
    filter?: StepFilter,
  ): number {
    const fLo = filter ? filter.lo : -Infinity;
    const fHi = filter ? filter.hi : Infinity;
    const exclusive = filter ? filter.loExclusive : false;
    const arrival = this.arrival;
    const stepOut = this.step;
    const valueOut = this.value;
    const timeOut = this.time;
    let taken = 0;
    const width = this.width;
    const first = this.first;
    const lastBucket = this.lastBucket;
    let cur = -1;
    // The current bucket's state, in locals.
    let minA = -1,
      minS = 0,
      minV = 0,
      minT = 0;
    let maxA = -1,
      maxS = 0,
      maxV = 0,
      maxT = 0;
    let lastA = -1,
      lastS = 0,
      lastV = 0,
      lastT = 0;
    let nanA = -1,
      nanS = 0,
      nanT = 0;
    let seen = this.seen;
    for (let i = 0; i < n; i++) {
      let s = steps[i];
      if (s !== s) s = indexBase + i;
      if (exclusive ? !(s > fLo) : !(s >= fLo)) continue;
      if (!(s <= fHi)) continue;
      taken++;
      let b = Math.floor(s / width) - first; // bucketOf, inlined: this loop runs per point
      b = b >= 0 ? (b > lastBucket ? lastBucket : b) : 0; // NaN -> 0
      if (b !== cur) {
        if (cur >= 0)
          this.put(
            cur * 4,
            minA,
            minS,
            minV,
            minT,
            maxA,
            maxS,
            maxV,
            maxT,
            lastA,
            lastS,
            lastV,
            lastT,
            nanA,
            nanS,
            nanT,
          );
        cur = b;
        const slot = cur * 4;
        minA = arrival[slot + MIN];
        minS = stepOut[slot + MIN];
        minV = valueOut[slot + MIN];
        minT = timeOut[slot + MIN];
        maxA = arrival[slot + MAX];
        maxS = stepOut[slot + MAX];
        maxV = valueOut[slot + MAX];
        maxT = timeOut[slot + MAX];
        lastA = arrival[slot + LAST];
        lastS = stepOut[slot + LAST];
        lastV = valueOut[slot + LAST];
        lastT = timeOut[slot + LAST];
        nanA = arrival[slot + NAN];
        nanS = stepOut[slot + NAN];
        nanT = timeOut[slot + NAN];
      }
      const a = seen++;
      const v = values[i];
      if (v !== v) {
        if (nanA < 0) {
          nanA = a;
          nanS = s;
          nanT = times[i];
        }
        continue;
      }
      const t = times[i];
      if (minA < 0 || v < minV) {
        minA = a;
        minS = s;
        minV = v;
        minT = t;
      }
      if (maxA < 0 || v > maxV) {
        maxA = a;
        maxS = s;
        maxV = v;
        maxT = t;
      }
      lastA = a;
      lastS = s;
      lastV = v;
      lastT = t;
    }
    if (cur >= 0)
      this.put(cur * 4, minA, minS, minV, minT, maxA, maxS, maxV, maxT, lastA, lastS, lastV, lastT, nanA, nanS, nanT);
    this.seen = seen;
    return taken;
  }

  /** Writes a bucket's state back (a call, not a closure: the scan's locals stay in registers). */
  private put(
    slot: number,
    minA: number,
    minS: number,
    minV: number,
    minT: number,
    maxA: number,
    maxS: number,
    maxV: number,
    maxT: number,
    lastA: number,
    lastS: number,
    lastV: number,
    lastT: number,
    nanA: number,
    nanS: number,
    nanT: number,
  ): void {
    const arrival = this.arrival,
      step = this.step,
      value = this.value,
      time = this.time;
    arrival[slot + MIN] = minA;
    step[slot + MIN] = minS;
    value[slot + MIN] = minV;
    time[slot + MIN] = minT;
    arrival[slot + MAX] = maxA;
    step[slot + MAX] = maxS;
    value[slot + MAX] = maxV;
    time[slot + MAX] = maxT;
    arrival[slot + LAST] = lastA;
    step[slot + LAST] = lastS;
    value[slot + LAST] = lastV;
    time[slot + LAST] = lastT;
    arrival[slot + NAN] = nanA;
    step[slot + NAN] = nanS;
    value[slot + NAN] = NaN;
    time[slot + NAN] = nanT;
  }

  /** The kept points, bucket by bucket, each bucket's points in step order (ties: arrival). */
  result(): { steps: Float64Array; values: Float64Array; times: Float64Array; length: number } {
    const cap = this.slots * 4;
    const steps = new Float64Array(cap);
    const values = new Float64Array(cap);
    const times = new Float64Array(cap);
    let n = 0;
    const picked: number[] = [];
    for (let b = 0; b < this.slots; b++) {
      picked.length = 0;
      for (let r = 0; r < 4; r++) {
        const slot = b * 4 + r;
        const a = this.arrival[slot];
        if (a < 0 || picked.some((p) => this.arrival[p] === a)) continue;
        picked.push(slot);
      }
      if (picked.length > 1) picked.sort((x, z) => this.step[x] - this.step[z] || this.arrival[x] - this.arrival[z]);
      for (const slot of picked) {
        steps[n] = this.step[slot];
        values[n] = this.value[slot];
        times[n] = this.time[slot];
        n++;
      }
    }
    return { steps, values, times, length: n };
  }
}
