import { test } from "node:test";
import assert from "node:assert/strict";
import { SeriesData, SeriesStore, chartId } from "../src/logic/series-store";
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
