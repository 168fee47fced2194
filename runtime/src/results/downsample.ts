/**
 * Reducing a metric series to a bounded number of points for charts. The step range is cut
 * into `buckets` equal intervals; each bucket keeps its minimum, its maximum and its last
 * point (by arrival), plus its first NaN if it has one, so spikes and divergences survive
 * any reduction. At most 4 points per bucket come out, in step order. One pass, no sorting
 * of the input, and out-of-order steps are fine.
 */
export class BucketReducer {
  private readonly lo: number;
  private readonly scale: number;
  private readonly last: number;
  // Per bucket: the arrival index of each kept point (-1 when none), and its step/value/time.
  private readonly minI: Float64Array;
  private readonly maxI: Float64Array;
  private readonly lastI: Float64Array;
  private readonly nanI: Float64Array;
  private readonly minV: Float64Array;
  private readonly maxV: Float64Array;
  private readonly keptStep: Float64Array;
  private readonly keptValue: Float64Array;
  private readonly keptTime: Float64Array;
  private arrival = 0;

  /** `lo..hi` is the step range the buckets cover; points outside are clamped to the ends. */
  constructor(
    readonly buckets: number,
    lo: number,
    hi: number,
  ) {
    this.lo = lo;
    this.last = buckets - 1;
    this.scale = hi > lo ? buckets / (hi - lo) : 0;
    this.minI = new Float64Array(buckets).fill(-1);
    this.maxI = new Float64Array(buckets).fill(-1);
    this.lastI = new Float64Array(buckets).fill(-1);
    this.nanI = new Float64Array(buckets).fill(-1);
    this.minV = new Float64Array(buckets);
    this.maxV = new Float64Array(buckets);
    // The kept points, by slot: bucket * 4 + role (0 min, 1 max, 2 last, 3 first NaN).
    this.keptStep = new Float64Array(buckets * 4);
    this.keptValue = new Float64Array(buckets * 4);
    this.keptTime = new Float64Array(buckets * 4);
  }

  add(step: number, value: number, time: number): void {
    const i = this.arrival++;
    let b = Math.floor((step - this.lo) * this.scale);
    if (!(b >= 0)) b = 0; // also catches NaN
    else if (b > this.last) b = this.last;
    const slot = b * 4;
    if (value !== value) {
      if (this.nanI[b] < 0) {
        this.nanI[b] = i;
        this.keep(slot + 3, step, value, time);
      }
      return;
    }
    if (this.minI[b] < 0 || value < this.minV[b]) {
      this.minI[b] = i;
      this.minV[b] = value;
      this.keep(slot, step, value, time);
    }
    if (this.maxI[b] < 0 || value > this.maxV[b]) {
      this.maxI[b] = i;
      this.maxV[b] = value;
      this.keep(slot + 1, step, value, time);
    }
    this.lastI[b] = i;
    this.keep(slot + 2, step, value, time);
  }

  private keep(slot: number, step: number, value: number, time: number): void {
    this.keptStep[slot] = step;
    this.keptValue[slot] = value;
    this.keptTime[slot] = time;
  }

  /** Points seen. */
  get count(): number {
    return this.arrival;
  }

  /** The kept points, bucket by bucket, each bucket's points in step order (ties: arrival). */
  result(): { steps: Float64Array; values: Float64Array; times: Float64Array; length: number } {
    const cap = this.buckets * 4;
    const steps = new Float64Array(cap);
    const values = new Float64Array(cap);
    const times = new Float64Array(cap);
    let n = 0;
    const roles = [this.minI, this.maxI, this.lastI, this.nanI];
    const picked: { slot: number; arrival: number }[] = [];
    for (let b = 0; b < this.buckets; b++) {
      picked.length = 0;
      for (let r = 0; r < 4; r++) {
        const arrival = roles[r][b];
        if (arrival < 0 || picked.some((p) => p.arrival === arrival)) continue;
        picked.push({ slot: b * 4 + r, arrival });
      }
      if (picked.length > 1) {
        picked.sort((a, z) => this.keptStep[a.slot] - this.keptStep[z.slot] || a.arrival - z.arrival);
      }
      for (const p of picked) {
        steps[n] = this.keptStep[p.slot];
        values[n] = this.keptValue[p.slot];
        times[n] = this.keptTime[p.slot];
        n++;
      }
    }
    return { steps, values, times, length: n };
  }
}
