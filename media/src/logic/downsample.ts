/**
 * Min/max/last downsampling that keeps spikes: the x range is cut into buckets and each
 * bucket contributes the indices of its lowest, highest and last finite point, in x order.
 * The buckets are the runtime's (runtime/src/common/buckets.ts, the results store reduces with
 * the same rule): edges at multiples of a power-of-two width, so while a live series grows the
 * finished buckets stay valid and only the last one is rescanned (see LiveBuckets).
 */
import { bucketOf, bucketWidth } from "../../../runtime/src/common/buckets";

export { bucketWidth };

/** First index i with xs[i] >= x (xs ascending, first n entries). */
export function lowerBound(xs: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index i with xs[i] > x. */
export function upperBound(xs: ArrayLike<number>, n: number, x: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Growable list of indices. */
export class IndexList {
  data: Int32Array;
  length = 0;
  constructor(capacity = 256) {
    this.data = new Int32Array(Math.max(4, capacity));
  }
  push(i: number): void {
    if (this.length === this.data.length) {
      const next = new Int32Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = i;
  }
  truncate(n: number): void {
    this.length = Math.min(this.length, n);
  }
  view(): Int32Array {
    return this.data.subarray(0, this.length);
  }
}

/**
 * Scans xs/ys over [from, to) and pushes min/max/last indices per bucket of width `width`
 * to `out`. Returns the index where the last bucket began (rescan from there when appending).
 */
export function scanBuckets(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  from: number,
  to: number,
  width: number,
  out: IndexList,
): number {
  let i = from;
  let lastBucketStart = from;
  while (i < to) {
    const bucket = bucketOf(xs[i], width);
    const bucketEnd = (bucket + 1) * width;
    lastBucketStart = i;
    let minI = -1;
    let maxI = -1;
    let lastI = -1;
    let minV = Infinity;
    let maxV = -Infinity;
    for (; i < to && xs[i] < bucketEnd; i++) {
      const y = ys[i];
      if (y === y && y !== Infinity && y !== -Infinity) {
        if (y < minV) {
          minV = y;
          minI = i;
        }
        if (y > maxV) {
          maxV = y;
          maxI = i;
        }
        lastI = i;
      }
    }
    if (lastI < 0) continue; // a bucket of non-finite values only: a gap
    // Emit in index order without duplicates.
    const a = minI < maxI ? minI : maxI;
    const b = minI < maxI ? maxI : minI;
    out.push(a);
    if (b !== a) out.push(b);
    if (lastI !== b) out.push(lastI);
  }
  return lastBucketStart;
}

/**
 * Indices to draw for xs in [lo, hi]: every point when there are few, otherwise min/max/last
 * per bucket. One point either side of the range is included so lines reach the edges.
 */
export function downsampleRange(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  n: number,
  lo: number,
  hi: number,
  buckets: number,
): Int32Array {
  const start = Math.max(0, lowerBound(xs, n, lo) - 1);
  const end = Math.min(n, upperBound(xs, n, hi) + 1);
  const count = end - start;
  const out = new IndexList(Math.min(count, buckets * 3 + 8));
  if (count <= buckets * 3) {
    for (let i = start; i < end; i++) out.push(i);
    return out.view();
  }
  const width = bucketWidth(hi - lo, buckets);
  scanBuckets(xs, ys, start, end, width, out);
  return out.view();
}

/**
 * Downsampling of a whole, growing series, kept per bucket (first, min, max and last finite
 * index). An append rescans only the last, open bucket. When the series doubles its span the
 * bucket width doubles and, the edges being multiples of a power of two, every new bucket is
 * two old ones: they are merged (work per bucket, not per point), so a growing series never
 * pays a full rescan in a frame. Gives exactly what one fresh scanBuckets pass gives.
 */
export class LiveBuckets {
  private width = 0;
  private count = 0;
  private id = new Float64Array(64);
  private start = new Int32Array(64);
  private minI = new Int32Array(64);
  private maxI = new Int32Array(64);
  private lastI = new Int32Array(64);
  private scanned = 0;
  private dataKey: string | undefined;
  private readonly out = new IndexList();

  /**
   * `dataKey` names the data: equal keys promise that xs/ys[0, scanned) are unchanged (the
   * arrays may have been grown into copies), so only the last bucket is rescanned.
   */
  update(xs: ArrayLike<number>, ys: ArrayLike<number>, n: number, buckets: number, dataKey: string): Int32Array {
    if (n === 0) return new Int32Array(0);
    if (n <= buckets * 3) {
      this.width = 0;
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = i;
      return out;
    }
    const width = bucketWidth(xs[n - 1] - xs[0], buckets);
    if (dataKey !== this.dataKey || n < this.scanned || this.width === 0 || width < this.width) {
      this.count = 0;
      this.width = width;
    }
    this.dataKey = dataKey;
    while (this.width < width) this.mergePairs(ys);
    // Rescan the open bucket: it may have gained points.
    let from = 0;
    if (this.count > 0) from = this.start[--this.count];
    this.scan(xs, ys, from, n);
    this.scanned = n;
    const out = this.out;
    out.truncate(0);
    for (let k = 0; k < this.count; k++) {
      const minI = this.minI[k];
      if (minI < 0) continue; // non-finite values only: a gap
      const maxI = this.maxI[k];
      const lastI = this.lastI[k];
      const a = minI < maxI ? minI : maxI;
      const b = minI < maxI ? maxI : minI;
      out.push(a);
      if (b !== a) out.push(b);
      if (lastI !== b) out.push(lastI);
    }
    return out.view();
  }

  private scan(xs: ArrayLike<number>, ys: ArrayLike<number>, from: number, to: number): void {
    const width = this.width;
    let i = from;
    while (i < to) {
      const bucket = bucketOf(xs[i], width);
      const bucketEnd = (bucket + 1) * width;
      const first = i;
      let minI = -1;
      let maxI = -1;
      let lastI = -1;
      let minV = Infinity;
      let maxV = -Infinity;
      for (; i < to && xs[i] < bucketEnd; i++) {
        const y = ys[i];
        if (y === y && y !== Infinity && y !== -Infinity) {
          if (y < minV) {
            minV = y;
            minI = i;
          }
          if (y > maxV) {
            maxV = y;
            maxI = i;
          }
          lastI = i;
        }
      }
      this.push(bucket, first, minI, maxI, lastI);
    }
  }

  private push(id: number, start: number, minI: number, maxI: number, lastI: number): void {
    if (this.count === this.id.length) {
      const cap = this.count * 2;
      const f = new Float64Array(cap);
      f.set(this.id);
      this.id = f;
      for (const name of ["start", "minI", "maxI", "lastI"] as const) {
        const a = new Int32Array(cap);
        a.set(this[name]);
        this[name] = a;
      }
    }
    const k = this.count++;
    this.id[k] = id;
    this.start[k] = start;
    this.minI[k] = minI;
    this.maxI[k] = maxI;
    this.lastI[k] = lastI;
  }

  /** Doubles the width: buckets 2k and 2k+1 become bucket k (min of mins, max of maxes, last last). */
  private mergePairs(ys: ArrayLike<number>): void {
    this.width *= 2;
    let w = 0;
    for (let r = 0; r < this.count; r++) {
      const id = Math.floor(this.id[r] / 2);
      if (w > 0 && this.id[w - 1] === id) {
        const k = w - 1;
        const minI = this.minI[r];
        if (minI >= 0) {
          if (this.minI[k] < 0) {
            this.minI[k] = minI;
            this.maxI[k] = this.maxI[r];
          } else {
            // Ties keep the earlier index, as one pass does (strict < and >).
            if (ys[minI] < ys[this.minI[k]]) this.minI[k] = minI;
            if (ys[this.maxI[r]] > ys[this.maxI[k]]) this.maxI[k] = this.maxI[r];
          }
          this.lastI[k] = this.lastI[r];
        }
        continue;
      }
      this.id[w] = id;
      this.start[w] = this.start[r];
      this.minI[w] = this.minI[r];
      this.maxI[w] = this.maxI[r];
      this.lastI[w] = this.lastI[r];
      w++;
    }
    this.count = w;
  }

  /** Forget everything (data replaced, not appended). */
  reset(): void {
    this.width = 0;
    this.dataKey = undefined;
    this.count = 0;
  }
}

/**
 * Per-block (BLOCK points) indices of the lowest and highest finite value, so the min/max of
 * any index range costs two partial scans plus one look per whole block. Zoom redraws over
 * millions of held points use it instead of scanning every point. Extended on append.
 */
export const BLOCK = 256;

export class MinMaxBlocks {
  private minIdx = new Int32Array(0);
  private maxIdx = new Int32Array(0);
  /** Points covered by finished blocks. */
  private covered = 0;
  private ys: ArrayLike<number> | undefined;

  /** Brings the blocks up to date with ys[0, n) (same array, or a grown copy with the same prefix). */
  update(ys: ArrayLike<number>, n: number, sameData: boolean): void {
    if (!sameData) this.covered = 0;
    this.ys = ys;
    const blocks = Math.floor(n / BLOCK);
    if (this.minIdx.length < blocks) {
      const cap = Math.max(blocks, this.minIdx.length * 2, 16);
      const min = new Int32Array(cap);
      const max = new Int32Array(cap);
      min.set(this.minIdx.subarray(0, this.covered / BLOCK));
      max.set(this.maxIdx.subarray(0, this.covered / BLOCK));
      this.minIdx = min;
      this.maxIdx = max;
    }
    for (let b = this.covered / BLOCK; b < blocks; b++) {
      let minI = -1;
      let maxI = -1;
      let minV = Infinity;
      let maxV = -Infinity;
      for (let i = b * BLOCK, end = i + BLOCK; i < end; i++) {
        const y = ys[i];
        if (y - y !== 0) continue;
        if (y < minV) {
          minV = y;
          minI = i;
        }
        if (y > maxV) {
          maxV = y;
          maxI = i;
        }
      }
      this.minIdx[b] = minI;
      this.maxIdx[b] = maxI;
    }
    this.covered = blocks * BLOCK;
  }

  /** Min/max/last finite indices of [a, b) pushed in index order; nothing if none is finite. */
  range(a: number, b: number, out: IndexList): void {
    const ys = this.ys!;
    let minI = -1;
    let maxI = -1;
    let minV = Infinity;
    let maxV = -Infinity;
    const consider = (i: number) => {
      const y = ys[i];
      if (i < 0 || y - y !== 0) return;
      if (y < minV) {
        minV = y;
        minI = i;
      }
      if (y > maxV) {
        maxV = y;
        maxI = i;
      }
    };
    const firstBlock = Math.ceil(a / BLOCK);
    const lastBlock = Math.min(Math.floor(b / BLOCK), this.covered / BLOCK);
    if (firstBlock >= lastBlock) {
      for (let i = a; i < b; i++) consider(i);
    } else {
      for (let i = a; i < firstBlock * BLOCK; i++) consider(i);
      for (let k = firstBlock; k < lastBlock; k++) {
        consider(this.minIdx[k]);
        consider(this.maxIdx[k]);
      }
      for (let i = lastBlock * BLOCK; i < b; i++) consider(i);
    }
    if (minI < 0) return;
    let lastI = b - 1;
    while (lastI >= a && ys[lastI] - ys[lastI] !== 0) lastI--;
    const lo = minI < maxI ? minI : maxI;
    const hi = minI < maxI ? maxI : minI;
    out.push(lo);
    if (hi !== lo) out.push(hi);
    if (lastI !== hi) out.push(lastI);
  }
}

/**
 * downsampleRange with block summaries: the same min/max/last per x bucket, found with a
 * binary search per bucket edge and the blocks, so the cost follows the bucket count, not the
 * number of points in the range.
 */
export function downsampleRangeFast(
  xs: ArrayLike<number>,
  n: number,
  lo: number,
  hi: number,
  buckets: number,
  blocks: MinMaxBlocks,
): Int32Array {
  const start = Math.max(0, lowerBound(xs, n, lo) - 1);
  const end = Math.min(n, upperBound(xs, n, hi) + 1);
  const out = new IndexList(buckets * 3 + 8);
  if (end - start <= buckets * 3) {
    for (let i = start; i < end; i++) out.push(i);
    return out.view();
  }
  const width = bucketWidth(hi - lo, buckets);
  let a = start;
  while (a < end) {
    const bucketEnd = (bucketOf(xs[a], width) + 1) * width;
    let b = lowerBound(xs, end, bucketEnd);
    if (b <= a) b = a + 1;
    blocks.range(a, b, out);
    a = b;
  }
  return out.view();
}
