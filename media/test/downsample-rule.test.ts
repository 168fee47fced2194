// One bucket rule (runtime/src/common/buckets.ts) for the results store's reduction
// (runtime/src/results/downsample.ts, what `expman serve` sends) and the chart's
// (media/src/logic/downsample.ts, what the webview draws). One table: each row is reduced by
// both, and both must keep the same points, so a zoomed-out chart of a reduced series shows the
// spikes the store kept. The store also keeps a bucket's first NaN (a divergence to mark); the
// chart skips non-finite values (gaps), so its expectation is the row's without NaN steps.
import { test } from "node:test";
import assert from "node:assert/strict";
import { BucketReducer } from "../../runtime/src/results/downsample";
import { LiveBuckets, downsampleRange } from "../src/logic/downsample";
import { bucketOf, bucketWidth } from "../../runtime/src/common/buckets";

interface Row {
  name: string;
  points: [step: number, value: number][];
  buckets: number;
  /** Steps the store keeps, in step order. */
  kept: number[];
}

const table: Row[] = [
  {
    name: "span 11 over 2 buckets: width 8, min/max/last of [0,8) and [8,16)",
    points: [
      [0, 5],
      [1, 9],
      [3, 1],
      [4, 4],
      [6, 2],
      [7, 2],
      [10, 3],
      [11, 0],
    ],
    buckets: 2,
    kept: [1, 3, 7, 10, 11],
  },
  {
    name: "a range straddling an edge gets one bucket more (5..12 over 2: width 4, [4,8) [8,12) [12,16))",
    points: [
      [5, 1],
      [6, 3],
      [7, 2],
      [8, 0],
      [9, 0],
      [10, 5],
      [11, 4],
      [12, 7],
    ],
    buckets: 2,
    kept: [5, 6, 7, 8, 10, 11, 12],
  },
  {
    name: "ties: the first min and the first max win, then the last point",
    points: Array.from({ length: 16 }, (_, i): [number, number] => [i, 1]),
    buckets: 2,
    kept: [0, 7, 8, 15],
  },
  {
    name: "a NaN: the store keeps the bucket's first NaN, the chart leaves it out",
    points: [
      [0, 5],
      [1, 9],
      [2, NaN],
      [3, 1],
      [4, NaN],
      [6, 2],
      [7, 2],
      [10, 3],
    ],
    buckets: 2,
    kept: [1, 2, 3, 7, 10],
  },
];

function storeKeeps(points: [number, number][], buckets: number): number[] {
  const steps = points.map((p) => p[0]);
  const reducer = new BucketReducer(buckets, Math.min(...steps), Math.max(...steps));
  for (const [s, v] of points) reducer.add(s, v, s);
  const r = reducer.result();
  return Array.from(r.steps.subarray(0, r.length));
}

function chartKeeps(points: [number, number][], buckets: number): { range: number[]; live: number[] } {
  const xs = Float64Array.from(points, (p) => p[0]);
  const ys = Float64Array.from(points, (p) => p[1]);
  const n = points.length;
  assert.ok(n > buckets * 3, "the chart reduces only above 3 points a bucket: make the row longer");
  const range = Array.from(downsampleRange(xs, ys, n, xs[0], xs[n - 1], buckets), (i) => xs[i]);
  const live = Array.from(new LiveBuckets().update(xs, ys, n, buckets, "row"), (i) => xs[i]);
  return { range, live };
}

for (const row of table) {
  test(`downsample rule: ${row.name}`, () => {
    assert.deepEqual(storeKeeps(row.points, row.buckets), row.kept, "results store");
    const nan = new Set(row.points.filter((p) => Number.isNaN(p[1])).map((p) => p[0]));
    const chart = chartKeeps(row.points, row.buckets);
    const expected = row.kept.filter((s) => !nan.has(s));
    assert.deepEqual(chart.range, expected, "chart, zoomed range");
    assert.deepEqual(chart.live, expected, "chart, live series");
  });
}

test("downsample rule: 100k points with spikes, from step 1000: store and chart keep the same points", () => {
  const points: [number, number][] = [];
  for (let i = 0; i < 100_000; i++) points.push([1000 + i, Math.sin(i / 700) + (i % 9973 === 0 ? 40 : 0)]);
  const kept = storeKeeps(points, 300);
  const chart = chartKeeps(points, 300);
  assert.deepEqual(chart.range, kept);
  assert.deepEqual(chart.live, kept);
  // The bound the store promises: at most 4 points a bucket, over at most buckets + 1 buckets.
  assert.ok(kept.length <= 301 * 4, `${kept.length} points`);
  for (let i = 0; i < 100_000; i += 9973) assert.ok(kept.includes(1000 + i), `the spike at step ${1000 + i} survives`);
});

test("downsample rule: widths are powers of two, buckets are numbered from step 0", () => {
  assert.equal(bucketWidth(11, 2), 8);
  assert.equal(bucketWidth(1_000_000, 1000), 1024);
  assert.equal(bucketWidth(0, 10), 1);
  assert.equal(bucketWidth(10, 1000), 1 / 64);
  assert.deepEqual([bucketOf(7, 8), bucketOf(8, 8), bucketOf(-1, 8)], [0, 1, -1]);
});
