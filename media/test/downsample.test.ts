import { test } from "node:test";
import assert from "node:assert/strict";
import {
  IndexList,
  LiveBuckets,
  bucketWidth,
  downsampleRange,
  lowerBound,
  scanBuckets,
  upperBound,
} from "../src/logic/downsample";

function series(n: number, f: (i: number) => number): { xs: Float64Array; ys: Float64Array } {
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    xs[i] = i;
    ys[i] = f(i);
  }
  return { xs, ys };
}

function isStrictlyIncreasing(a: ArrayLike<number>): boolean {
  for (let i = 1; i < a.length; i++) if (!(a[i] > a[i - 1])) return false;
  return true;
}

test("bucket width is a power of two giving at most the asked number of buckets", () => {
  assert.equal(bucketWidth(1000, 1000), 1);
  assert.equal(bucketWidth(1_000_000, 1000), 1024);
  assert.ok(1_000_000 / bucketWidth(1_000_000, 1000) <= 1000);
});

test("binary searches", () => {
  const xs = [1, 2, 2, 3];
  assert.equal(lowerBound(xs, 4, 2), 1);
  assert.equal(upperBound(xs, 4, 2), 3);
  assert.equal(lowerBound(xs, 4, 10), 4);
});

test("few points: every point is kept", () => {
  const { xs, ys } = series(100, (i) => i);
  assert.equal(downsampleRange(xs, ys, 100, 0, 99, 1000).length, 100);
});

test("a single spike in a million points survives, as do the global min, the last point and the order", () => {
  const n = 1_000_000;
  const { xs, ys } = series(n, (i) => Math.sin(i / 1000));
  ys[123_457] = 50;
  ys[777_777] = -50;
  const idx = downsampleRange(xs, ys, n, 0, n - 1, 800);
  assert.ok(idx.length <= 800 * 3 + 2, `${idx.length} points`);
  const kept = new Set(idx);
  assert.ok(kept.has(123_457), "the spike is drawn");
  assert.ok(kept.has(777_777), "the dip is drawn");
  assert.ok(kept.has(n - 1), "the newest point is drawn");
  assert.ok(isStrictlyIncreasing(idx));
});

test("non-finite values are skipped, a bucket of only NaN leaves a gap", () => {
  const n = 10_000;
  const { xs, ys } = series(n, (i) => (i >= 4096 && i < 8192 ? NaN : i % 10));
  const idx = downsampleRange(xs, ys, n, 0, n - 1, 2);
  for (const i of idx) assert.ok(Number.isFinite(ys[i]));
});

test("a zoomed range keeps one neighbour each side so lines reach the edges", () => {
  const { xs, ys } = series(1000, (i) => i);
  const idx = downsampleRange(xs, ys, 1000, 100, 200, 1000);
  assert.equal(idx[0], 99);
  assert.equal(idx[idx.length - 1], 201);
});

test("LiveBuckets: appending in pieces gives the same indices as one fresh pass", () => {
  const n = 200_000;
  const { xs, ys } = series(n, (i) => Math.sin(i * 0.37) * (1 + (i % 1013 === 0 ? 20 : 0)));
  const live = new LiveBuckets();
  let got: Int32Array = new Int32Array(0);
  for (const end of [10, 3000, 3001, 50_000, 65_537, 131_072, 131_073, 199_999, 200_000]) {
    // Grown copies, as the store makes them: same data key, new arrays.
    got = live.update(Float64Array.from(xs), Float64Array.from(ys), end, 500, "gen1").slice();
  }
  const fresh = new LiveBuckets().update(xs, ys, n, 500, "other");
  assert.deepEqual(Array.from(got), Array.from(fresh));
  // And it agrees with the range function over the whole series.
  const width = bucketWidth(xs[n - 1] - xs[0], 500);
  assert.ok(width >= 256);
});

test("LiveBuckets: growth across many width doublings, with NaN runs and x gaps, equals one fresh pass at every size", () => {
  const n = 120_000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let seed = 11;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    xs[i] = i + (i > 40_000 ? 5_000 : 0) + (i > 90_000 ? 77_777 : 0); // gaps: empty buckets
    ys[i] = (seed / 2147483648) * 3 + (i % 4099 === 0 ? 50 : 0);
    if (i % 97 < 3 || (i > 60_000 && i < 60_500)) ys[i] = NaN; // NaN points and a NaN-only stretch
    if (i % 1000 === 1) ys[i] = ys[i - 1]; // ties
  }
  const live = new LiveBuckets();
  for (let end = 2000; end <= n; end += 1777) {
    const got = Array.from(live.update(xs, ys, end, 300, "g"));
    const fresh = new IndexList();
    scanBuckets(xs, ys, 0, end, bucketWidth(xs[end - 1] - xs[0], 300), fresh);
    assert.deepEqual(got, Array.from(fresh.view()), `at ${end} points`);
  }
});

test("block summaries give the same min/max/last as a full scan, for any range, after appends too", async () => {
  const { MinMaxBlocks, downsampleRangeFast } = await import("../src/logic/downsample");
  const n = 300_000;
  const xs = new Float64Array(n);
  const ys = new Float64Array(n);
  let seed = 7;
  for (let i = 0; i < n; i++) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    xs[i] = i * 2 + (i > 150_000 ? 1000 : 0); // uneven x: a gap in the middle
    ys[i] = seed / 2147483648 + (i % 9973 === 0 ? 30 : 0);
    if (i % 5003 === 0) ys[i] = NaN;
  }
  const blocks = new MinMaxBlocks();
  blocks.update(ys, 100_000, false);
  blocks.update(ys, n, true); // extended, as after live appends
  for (const [lo, hi, buckets] of [
    [0, xs[n - 1], 500],
    [1234, 98_765, 300],
    [290_000, 310_000, 100],
    [10, 20, 1000],
  ]) {
    const slow = downsampleRange(xs, ys, n, lo, hi, buckets);
    const fast = downsampleRangeFast(xs, n, lo, hi, buckets, blocks);
    // Same drawn values per bucket (index ties between equal values may differ).
    assert.deepEqual(
      Array.from(fast, (i) => ys[i]),
      Array.from(slow, (i) => ys[i]),
      `${lo}..${hi}`,
    );
  }
});
