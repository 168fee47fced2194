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
