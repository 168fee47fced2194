import { test } from "node:test";
import assert from "node:assert/strict";
import { GROW_IN_IDLE_FROM, SeriesData, SeriesStore, chartId } from "../src/logic/series-store";
import { debiasedEma } from "../src/logic/smoothing";
import type { WireSeries } from "../../client/src/webview/contract";

function wire(steps: number[], values: (number | null)[], extra: Partial<WireSeries> = {}): WireSeries {
  return {
    runId: 1,
    key: "loss",
    scope: "batch",
    steps,
    values,
    times: steps.map((s) => 1000 + s),
    totalPoints: steps.length,
    downsampled: false,
    ...extra,
  };
}

test("append keeps only points past the last step (append-only deltas, repeats dropped)", () => {
  const s = new SeriesData(1, "loss", "batch");
  assert.equal(s.append(wire([0, 1, 2], [1, 2, 3])), 3);
  assert.equal(s.append(wire([1, 2, 3, 4], [9, 9, 4, 5])), 2);
  assert.deepEqual(Array.from(s.steps.subarray(0, s.length)), [0, 1, 2, 3, 4]);
  assert.deepEqual(Array.from(s.values.subarray(0, s.length)), [1, 2, 3, 4, 5]);
});

test("null values decode through the nonFinite map and are counted", () => {
  const s = new SeriesData(1, "loss", "batch");
  s.append(wire([0, 1, 2, 3], [null, null, null, 1], { nonFinite: { 0: "NaN", 1: "Infinity", 2: "-Infinity" } }));
  assert.ok(Number.isNaN(s.values[0]));
  assert.equal(s.values[1], Infinity);
  assert.equal(s.values[2], -Infinity);
  assert.deepEqual(s.nonFinite, { nan: 1, posInf: 1, negInf: 1 });
});

test("packed Float64Array columns: bulk path, with counts; out-of-order input falls back and stays sorted", () => {
  const s = new SeriesData(1, "loss", "batch");
  const packed = wire([], []);
  packed.steps = Float64Array.from([0, 1, 2]);
  packed.values = Float64Array.from([1, NaN, Infinity]);
  packed.times = Float64Array.from([5, 6, 7]);
  s.append(packed);
  assert.equal(s.length, 3);
  assert.deepEqual(s.nonFinite, { nan: 1, posInf: 1, negInf: 0 });
  const messy = wire([], []);
  messy.steps = Float64Array.from([5, 4, 6]);
  messy.values = Float64Array.from([1, 2, 3]);
  messy.times = Float64Array.from([1, 2, 3]);
  s.append(messy);
  assert.deepEqual(Array.from(s.steps.subarray(0, s.length)), [0, 1, 2, 5, 6]);
});

test("replace swaps in a fetched series and keeps live points newer than it", () => {
  const s = new SeriesData(1, "loss", "batch");
  s.append(wire([10, 11, 12], [1, 1, 1]));
  s.replace(wire([0, 5, 10], [3, 2, 1], { downsampled: true, totalPoints: 1000 }));
  assert.deepEqual(Array.from(s.steps.subarray(0, s.length)), [0, 5, 10, 11, 12]);
  assert.equal(s.downsampled, true);
  assert.ok(s.totalPoints >= 1000);
});

test("smoothed values follow appends incrementally and reset on a new weight", () => {
  const s = new SeriesData(1, "loss", "batch");
  const values = Array.from({ length: 100 }, (_, i) => Math.sin(i));
  s.append(wire(values.map((_, i) => i).slice(0, 50), values.slice(0, 50)));
  s.smoothed(0.6);
  s.append(wire(values.map((_, i) => i).slice(50), values.slice(50)));
  const got = s.smoothed(0.6).subarray(0, 100);
  const want = debiasedEma(values, 0.6);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(got[i] - want[i]) < 1e-12);
  const other = s.smoothed(0.9).subarray(0, 100);
  const want9 = debiasedEma(values, 0.9);
  for (let i = 0; i < 100; i++) assert.ok(Math.abs(other[i] - want9[i]) < 1e-12);
});

test("the store applies deltas and reports the charts that changed", () => {
  const store = new SeriesStore();
  const changed = store.applyDeltas([
    { runId: 1, key: "loss", scope: "batch", steps: [0], values: [1], times: [0] },
    { runId: 2, key: "acc", scope: "epoch", steps: [], values: [], times: [] },
  ]);
  assert.deepEqual([...changed], [chartId("batch", "loss")]);
  assert.equal(store.get(1, "batch", "loss")?.length, 1);
});

test("live points of a big series wait for idle growth instead of growing every column in the frame", () => {
  const n = GROW_IN_IDLE_FROM;
  const steps = Float64Array.from({ length: n }, (_, i) => i);
  const s = new SeriesData(1, "loss", "batch");
  s.replace({ ...wire([], []), steps, values: new Float64Array(n).fill(1), times: steps, totalPoints: n });
  assert.equal(s.length, n);
  const delta = { runId: 1, key: "loss", scope: "batch" as const, steps: [n, n + 1], values: [2, 3], times: [0, 0] };
  // The fetched columns are exactly full: appending would copy them all now, so the points wait.
  assert.equal(s.appendLive(delta), 0);
  assert.equal(s.length, n);
  assert.equal(s.queuedPoints, 2);
  assert.equal(s.drainQueued(), 0, "nothing applied before the columns grew");
  // A later delta queues behind it (order kept) even if it would fit.
  assert.equal(s.appendLive({ ...delta, steps: [n + 2], values: [4], times: [0] }), 0);
  let slices = 0;
  while (s.growStep()) slices++;
  assert.ok(slices >= 3, `one column per idle slice: ${slices}`);
  assert.equal(s.drainQueued(), 3);
  assert.equal(s.length, n + 3);
  assert.deepEqual(Array.from(s.values.subarray(n - 1, n + 3)), [1, 2, 3, 4]);
  // With room to spare, live points append at once.
  assert.equal(s.appendLive({ ...delta, steps: [n + 3], values: [5], times: [0] }), 1);
  // A small series never waits.
  const small = new SeriesData(2, "loss", "batch");
  assert.equal(small.appendLive({ ...delta, runId: 2 }), 2);
});
