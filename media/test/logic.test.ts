import { test } from "node:test";
import assert from "node:assert/strict";
import { alignRuns } from "../src/logic/align";
import { outlierBounds, quantile, valueBounds } from "../src/logic/outliers";
import { fileSafe, toCsv, toJson } from "../src/logic/export";
import {
  compareValues,
  differingParams,
  formatNumber,
  metricGroup,
  sortOrder,
  tableColumns,
  type Column,
} from "../src/logic/table";
import { xColumn, xValue, stepRange } from "../src/logic/axes";
import { SeriesData } from "../src/logic/series-store";
import { summary } from "../../test/webview/harness/memory-source";
import { csvCell } from "../../runtime/src/results/csv";

test("alignRuns: union of x with nulls where a run has no point; log scale drops values <= 0", () => {
  const [x, r0, s0, r1, s1] = alignRuns(
    [
      { xs: [0, 2, 4], raw: [1, 2, 3], smooth: [1, 1.5, 2], indices: [0, 1, 2] },
      { xs: [1, 2, 3], raw: [-1, NaN, 5], smooth: [0, 0, 0], indices: [0, 1, 2] },
    ],
    true,
  );
  assert.deepEqual(x, [0, 1, 2, 3, 4]);
  assert.deepEqual(r0, [1, null, 2, null, 3]);
  assert.deepEqual(s0, [1, null, 1.5, null, 2]);
  assert.deepEqual(r1, [null, null, null, 5, null]);
  assert.deepEqual(s1, [null, null, null, null, null]);
});

test("outlier bounds ignore a huge spike; plain bounds include it", () => {
  const values = Array.from({ length: 1000 }, (_, i) => i / 1000);
  values[500] = 1e9;
  const [lo, hi] = outlierBounds(values)!;
  assert.ok(hi < 2 && lo > -1, `${lo}..${hi}`);
  assert.ok(valueBounds(values, false)![1] >= 1e9);
  assert.equal(outlierBounds([NaN, Infinity]), null);
  assert.equal(quantile(Float64Array.from([1, 2, 3]), 0.5), 2);
  assert.deepEqual(valueBounds([-1, 0, 10], true), [10 / 1.25, 10 * 1.25]);
});

test("y bounds of one value and its smoothed copy (equal but for the last bit) are padded like a flat line", () => {
  // A run-level metric logged once: raw 3 and smoothed 3.0000000000000004.
  for (const bounds of [outlierBounds([3, 3.0000000000000004]), valueBounds([3, 3.0000000000000004], false)]) {
    const [lo, hi] = bounds!;
    assert.ok(lo <= 2.71 && hi >= 3.29, `padded to a readable range: ${lo}..${hi}`);
  }
  const [a, b] = valueBounds([1, 2], false)!;
  assert.ok(Math.abs(a - 0.95) < 1e-12 && Math.abs(b - 2.05) < 1e-12, "a real span keeps its 5% padding");
});

test("CSV escapes text and keeps NaN/Infinity readable; JSON writes them as strings", () => {
  const series = [
    {
      key: 'val,"acc"',
      scope: "epoch" as const,
      runId: 3,
      runName: "t #0",
      downsampled: false,
      totalPoints: 2,
      steps: [0, 1],
      times: [0, 1000],
      values: [NaN, 0.5],
      smoothed: [NaN, 0.5],
    },
  ];
  const csv = toCsv(series);
  assert.equal(csv.split("\n")[0], "metric,scope,run_id,run,step,time,wall_time_iso,value,smoothed");
  assert.equal(csv.split("\n")[1], '"val,""acc""",epoch,3,t #0,0,0,1970-01-01T00:00:00.000Z,NaN,NaN');
  const json = JSON.parse(toJson(series, { title: "x" }));
  assert.deepEqual(json.series[0].values, ["NaN", 0.5]);
  assert.equal(json.series[0].scope, "epoch");
  assert.equal(json.title, "x");
  assert.equal(fileSafe("Compare 3 runs / exp:1"), "Compare-3-runs-exp-1");
});

test("CSV: batch- and epoch-scope train_loss stay apart by scope; formula-looking text stays text, numbers stay numbers", () => {
  const one = (scope: "batch" | "epoch", runName: string, key = "train_loss") => ({
    key,
    scope,
    runId: 1,
    runName,
    downsampled: false,
    totalPoints: 1,
    steps: [0],
    times: [0],
    values: [-0.5],
    smoothed: [-0.5],
  });
  const rows = toCsv([one("batch", "a"), one("epoch", "a")])
    .trim()
    .split("\n")
    .slice(1);
  assert.deepEqual(
    rows.map((r) => r.split(",").slice(0, 2).join(",")),
    ["train_loss,batch", "train_loss,epoch"],
  );
  assert.equal(rows[0].split(",")[7], "-0.5", "a negative number is written as a number");
  const hostile = toCsv([
    one("batch", "=cmd|' /C calc'!A0", "@SUM(A1)"),
    one("batch", "+1", "-2"),
    one("batch", "\tx", "\rnew"),
  ])
    .trim()
    .split("\n")
    .slice(1);
  assert.ok(hostile[0].startsWith(`"'@SUM(A1)",batch,1,"'=cmd|' /C calc'!A0",`), hostile[0]);
  assert.ok(hostile[1].startsWith(`"'-2",batch,1,"'+1",`), hostile[1]);
  assert.ok(hostile[2].startsWith(`"'\rnew",batch,1,"'\tx",`), JSON.stringify(hostile[2]));
  for (const line of [...rows, ...hostile])
    for (const cell of line.split(","))
      assert.doesNotMatch(cell, /^"?[=+@\t\r]/, `no cell starts a formula: ${JSON.stringify(line)}`);
  assert.equal(csvCell(null), "");
  assert.equal(csvCell("plain"), "plain");
  assert.equal(csvCell('a"b'), '"a""b"');
});

test("table: a run of the Python original's database shows its status as not recorded, not the API's FINISHED", () => {
  const ours = summary(1, { status: "FINISHED" });
  const original = summary(2, { status: "FINISHED", origin: "python-original", notRecorded: ["status", "repeat"] });
  const status = tableColumns([ours, original]).find((c) => c.id === "status")!;
  assert.deepEqual([status.get(ours), status.get(original)], ["FINISHED", "not recorded"]);
});

test("table: columns, only differing params, sorting with missing values last", () => {
  const a = summary(1, { params: { lr: 0.1, bs: 32 }, finalMetrics: { loss: 0.3 } });
  const b = summary(2, { params: { lr: 0.2, bs: 32 }, finalMetrics: { loss: 0.1 } });
  const c = summary(3, { params: { lr: 0.05, bs: 32, extra: true }, finalMetrics: {} });
  assert.deepEqual([...differingParams([a, b, c])].sort(), ["extra", "lr"]);
  const cols = tableColumns([a, b, c], { onlyDiffering: true });
  assert.deepEqual(
    cols.map((x) => x.id),
    ["run", "status", "tags", "note", "param:extra", "param:lr", "metric:loss"],
  );
  const loss = cols.find((x) => x.id === "metric:loss");
  assert.deepEqual(
    sortOrder([a, b, c], loss, false).map((i) => [a, b, c][i].id),
    [2, 1, 3],
  );
  assert.deepEqual(
    sortOrder([a, b, c], loss, true).map((i) => [a, b, c][i].id),
    [1, 2, 3],
  );
  assert.ok(compareValues("run10", "run9") > 0);
  assert.ok(compareValues(1, "a") < 0);
  assert.equal(formatNumber(0.000012345), "1.2345e-5");
  assert.equal(formatNumber(0.123456789), "0.123457");
});

test("sorting by precomputed ranks gives the order of the value comparison, both ways, ties in listing order", () => {
  // The reference: a comparator sort over compareValues, missing values (undefined, null, NaN)
  // last in both directions, ties by listing order.
  const missing = (v: unknown) => v === undefined || v === null || (typeof v === "number" && Number.isNaN(v));
  const reference = (values: unknown[], descending: boolean) =>
    values
      .map((_, i) => i)
      .sort((i, j) => {
        const a = values[i];
        const b = values[j];
        if (missing(a) || missing(b)) return missing(a) === missing(b) ? i - j : missing(a) ? 1 : -1;
        const c = compareValues(a, b);
        return (descending ? -c : c) || i - j;
      });
  let seed = 3;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const pool: unknown[] = [
    0,
    -0,
    1,
    1,
    2.5,
    -3,
    1e-9,
    Infinity,
    -Infinity,
    NaN,
    null,
    undefined,
    "run9",
    "run10",
    "run10",
    "01",
    "1",
    "a",
    "B",
    "b",
    "ä",
    "SUCCESS",
    "FAILED",
    true,
    false,
    { x: 1 },
    [1, 2],
  ];
  for (let trial = 0; trial < 40; trial++) {
    const n = 1 + Math.floor(rnd() * 60);
    const values = Array.from({ length: n }, () => pool[Math.floor(rnd() * pool.length)]);
    const runs = values.map((v, i) => summary(i + 1, { params: { v } as Record<string, unknown> }));
    const column: Column = { id: "param:v", label: "v", kind: "param", get: (r) => r.params.v };
    for (const descending of [false, true])
      assert.deepEqual(sortOrder(runs, column, descending), reference(values, descending), JSON.stringify(values));
  }
});

test("metric groups: train/val/test by key parts, custom keys apart", () => {
  assert.equal(metricGroup("train/loss", false), "train");
  assert.equal(metricGroup("val_acc", false), "val");
  assert.equal(metricGroup("eval.f1", false), "val");
  assert.equal(metricGroup("test-loss", false), "test");
  assert.equal(metricGroup("lr", false), "other");
  assert.equal(metricGroup("my_metric", true), "custom");
  assert.equal(metricGroup("contest_score", false), "other");
});

test("x axis: relative seconds from the run start, wall seconds, kept non-decreasing", () => {
  assert.equal(xValue("relative", 5, 12_000, 2_000), 10);
  assert.equal(xValue("wall", 5, 12_000, 0), 12);
  const s = new SeriesData(1, "k", "batch");
  s.append({ steps: [0, 1, 2], values: [1, 1, 1], times: [1000, 3000, 2000] });
  const xs = xColumn(s, "relative", 1000);
  assert.deepEqual(Array.from(xs.subarray(0, 3)), [0, 2, 2]);
  s.append({ steps: [3], values: [1], times: [5000] });
  assert.deepEqual(Array.from(xColumn(s, "relative", 1000).subarray(0, 4)), [0, 2, 2, 4]);
  assert.deepEqual(stepRange(s, xColumn(s, "relative", 1000), 1, 3), [0, 3]);
});
