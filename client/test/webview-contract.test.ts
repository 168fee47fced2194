import { test } from "node:test";
import assert from "node:assert/strict";
import { CONTRACT_VERSION, DEFAULT_SETTINGS } from "../src/webview/contract";
import {
  checkPersistedState,
  repairSettings,
  validateHostMessage,
  validateWebviewMessage,
} from "../src/webview/validate";
import { packSeries, selectionKey } from "../src/webview/wire";
import { runColor } from "../src/core/run-colors";
import { summary } from "../../test/webview/harness/memory-source";

const series = {
  runId: 1,
  key: "loss",
  scope: "batch",
  steps: [0, 1],
  values: [0.5, null],
  times: [0, 1],
  totalPoints: 2,
  downsampled: false,
  nonFinite: { 1: "NaN" },
};

test("host messages: valid ones pass", () => {
  const init = {
    type: "init",
    v: CONTRACT_VERSION,
    title: "t",
    selection: { kind: "runs", runIds: [1] },
    runs: [{ summary: summary(1), keys: [] }],
    settings: DEFAULT_SETTINGS,
  };
  assert.equal(validateHostMessage(init).ok, true);
  assert.equal(validateHostMessage({ type: "series", requestId: 1, series: [series], errors: [] }).ok, true);
  assert.equal(
    validateHostMessage({ type: "series", requestId: 1, series: [packSeries(series as never)], errors: [] }).ok,
    true,
  );
  assert.equal(
    validateHostMessage({
      type: "append",
      deltas: [{ runId: 1, key: "k", scope: "epoch", steps: [3], values: [1], times: [9] }],
    }).ok,
    true,
  );
  assert.equal(validateHostMessage({ type: "notice", level: "info", message: "x" }).ok, true);
});

test("host messages: wrong shapes are rejected with the path of the problem", () => {
  const cases: [unknown, RegExp][] = [
    [null, /message: expected an object, got null/],
    [{ type: "explode" }, /message.type: expected "init"/],
    [
      { type: "series", requestId: 1, series: [{ ...series, steps: [0, "1"] }], errors: [] },
      /series.series\[0\].steps\[1\]: expected a number, got string/,
    ],
    [
      { type: "series", requestId: 1, series: [{ ...series, times: [0] }], errors: [] },
      /times: length 1 differs from steps \(2\)/,
    ],
    [
      { type: "series", requestId: 1, series: [{ ...series, nonFinite: { 7: "NaN" } }], errors: [] },
      /index 7 is outside the series/,
    ],
    [
      { type: "series", requestId: 1, series: [{ ...series, scope: "global" }], errors: [] },
      /scope: expected "batch" \| "epoch" \| "run"/,
    ],
    [{ type: "append", deltas: {} }, /append.deltas: expected an array, got object/],
    [{ type: "init", v: 99 }, /init.v: expected 1, got 99/],
    [{ type: "checkpoints", runId: 1.5, checkpoints: [] }, /checkpoints.runId: expected an integer/],
  ];
  for (const [msg, re] of cases) {
    const r = validateHostMessage(msg);
    assert.equal(r.ok, false, JSON.stringify(msg));
    if (!r.ok) assert.match(r.error, re);
  }
});

test("webview messages: valid and invalid", () => {
  assert.equal(validateWebviewMessage({ type: "ready" }).ok, true);
  assert.equal(
    validateWebviewMessage({
      type: "requestSeries",
      requestId: 2,
      queries: [{ runId: 1, key: "k", buckets: 100, minStep: 0, maxStep: 10 }],
    }).ok,
    true,
  );
  assert.equal(
    validateWebviewMessage({ type: "export", format: "png", suggestedName: "a.png", content: "AAAA" }).ok,
    true,
  );
  const bad = validateWebviewMessage({
    type: "requestSeries",
    requestId: 2,
    queries: [{ runId: 1, key: "k", buckets: 0 }],
  });
  assert.equal(bad.ok, false);
  if (!bad.ok) assert.match(bad.error, /buckets: must be at least 1/);
  const badState = validateWebviewMessage({ type: "state", settings: { ...DEFAULT_SETTINGS, smoothing: 2 } });
  assert.equal(badState.ok, false);
  assert.equal(validateWebviewMessage({ type: "export", format: "gif", suggestedName: "a", content: "" }).ok, false);
});

test("packSeries: Float64Array columns, nulls decoded through nonFinite", () => {
  const p = packSeries({
    ...series,
    values: [null, null, null, 1],
    steps: [0, 1, 2, 3],
    times: [0, 0, 0, 0],
    nonFinite: { 0: "Infinity", 1: "-Infinity" },
  } as never);
  assert.ok(p.values instanceof Float64Array);
  assert.deepEqual(Array.from(p.values), [Infinity, -Infinity, NaN, 1]);
  assert.equal(p.nonFinite, undefined);
});

test("persisted state: restored, with damaged settings repaired field by field", () => {
  const s = checkPersistedState({
    v: 1,
    selection: { kind: "experiment", experimentId: 4 },
    settings: { smoothing: 0.3, xAxis: "sideways", logY: true },
  });
  assert.equal(s.settings.smoothing, 0.3);
  assert.equal(s.settings.xAxis, "step");
  assert.equal(s.settings.logY, true);
  assert.throws(() => checkPersistedState({ v: 1, selection: { kind: "runs" } }), /state.selection.runIds/);
  assert.deepEqual(repairSettings(null), DEFAULT_SETTINGS);
});

test("selection keys ignore run order and duplicates; colours are stable per run", () => {
  assert.equal(selectionKey({ kind: "runs", runIds: [3, 1, 3] }), selectionKey({ kind: "runs", runIds: [1, 3] }));
  assert.notEqual(
    selectionKey({ kind: "runs", runIds: [1] }),
    selectionKey({ kind: "runs", runIds: [1], db: "/x.db" }),
  );
  assert.deepEqual(runColor(7), runColor(7));
  assert.equal(runColor(1).themeColor, runColor(7).themeColor);
  assert.notDeepEqual(runColor(1).dash, runColor(7).dash);
  assert.equal(runColor(0).cssVar, "--vscode-charts-blue");
});

test("run lists: every malformed field of a run or its series keys is still refused and named", () => {
  // The webview checks a run list without building path strings first (10,000 runs): a run that
  // fails that quick check goes through the detailed one, which must name the field.
  const key = { key: "loss", scope: "epoch", count: 3, minStep: 0, maxStep: 2, custom: false };
  const good = {
    summary: summary(1, {
      finalMetrics: { acc: 0.9 },
      metricRanges: { acc: [0.1, 0.9] },
      note: "n",
      tags: ["a"],
    }),
    keys: [key, { ...key, metric: "loss", label: "cls0" }],
  };
  const runs = (run: unknown) => ({ type: "runs", runs: [{ summary: summary(2), keys: [] }, run] });
  assert.equal(validateHostMessage(runs(good)).ok, true);
  const s = good.summary as unknown as Record<string, unknown>;
  const cases: [unknown, RegExp][] = [
    [{ ...good, summary: { ...s, id: 1.5 } }, /runs\.runs\[1\]\.summary\.id: expected an integer/],
    [{ ...good, summary: { ...s, repeat: "0" } }, /summary\.repeat: expected an integer/],
    [{ ...good, summary: { ...s, status: 3 } }, /summary\.status: expected a string/],
    [{ ...good, summary: { ...s, startTime: null } }, /summary\.startTime: expected a number/],
    [{ ...good, summary: { ...s, endTime: "x" } }, /summary\.endTime: expected a number/],
    [{ ...good, summary: { ...s, params: [] } }, /summary\.params: expected an object, got array/],
    [{ ...good, summary: { ...s, finalMetrics: { acc: "0.9" } } }, /summary\.finalMetrics\.acc: expected a number/],
    [{ ...good, summary: { ...s, metricRanges: { acc: [1] } } }, /metricRanges\.acc: expected \[min, max\]/],
    [{ ...good, summary: { ...s, metricRanges: { acc: [1, "2"] } } }, /metricRanges\.acc\[1\]: expected a number/],
    [{ ...good, summary: { ...s, note: 5 } }, /summary\.note: expected a string/],
    [{ ...good, summary: { ...s, tags: ["a", 1] } }, /summary\.tags\[1\]: expected a string/],
    [{ ...good, summary: null }, /summary: expected an object, got null/],
    [{ ...good, keys: [{ ...key, scope: "global" }] }, /keys\[0\]\.scope: expected "batch"/],
    [{ ...good, keys: [{ ...key, count: 1.5 }] }, /keys\[0\]\.count: expected an integer/],
    [{ ...good, keys: [key, { ...key, label: "x" }] }, /keys\[1\]: a per-label series needs both/],
    [{ ...good, keys: {} }, /keys: expected an array/],
  ];
  for (const [run, re] of cases) {
    const r = validateHostMessage(runs(run));
    assert.equal(r.ok, false, JSON.stringify(run));
    if (!r.ok) assert.match(r.error, re);
  }
});
