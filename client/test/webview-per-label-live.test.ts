/**
 * Issue 9: per-label values keep their label on the live path, end to end: TrackerManager
 * (per_label_val) → EventsTracker (JSON lines) → parseRunEvent → LiveCoalescer → the webview's
 * message validator → SeriesStore. A total whose name equals `<metric>/<label>` stays its own
 * series, and the label series land in the metric's chart.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as os from "node:os";
import * as fs from "node:fs";
import * as path from "node:path";
import { PassThrough } from "node:stream";
import { Level, Metric } from "../../runtime/src/common/enums";
import { EventChannel } from "../../runtime/src/events/channel";
import { EventsTracker } from "../../runtime/src/events/events-tracker";
import { parseRunEvent, type MetricsEvent } from "../../runtime/src/events/contract";
import { TrackerManager } from "../../runtime/src/tracking/tracker-manager";
import type { SeriesDelta } from "../src/webview/contract";
import { LiveCoalescer } from "../src/webview/live-coalescer";
import { validateHostMessage } from "../src/webview/validate";
import { SeriesStore, chartId } from "../../media/src/logic/series-store";

test("live per-label points carry metric and label from the runtime to the webview's store", async () => {
  const ws = fs.mkdtempSync(path.join(os.tmpdir(), "per-label-live-"));
  const stream = new PassThrough();
  const lines: string[] = [];
  let buffered = "";
  stream.on("data", (b: Buffer) => {
    buffered += b.toString();
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  const root = new TrackerManager(ws);
  root.addTracker(new EventsTracker(ws, EventChannel.of(stream), { intervalMs: 5 }), "EventsTracker");
  root.onCreate(Level.EXPERIMENT, "e");
  const trial = root.createChild(ws);
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(ws);
  run.onCreate(Level.TRIAL_RUN, { repeat: 0 });
  for (let e = 0; e < 3; e++) {
    run.onCreate(Level.EPOCH, e);
    run.track(Metric.VAL_ACC, 0.5 + e / 10, null, { perLabel: { cat: 0.6 + e / 10, dog: 0.4 } });
    // A custom metric literally named "val_acc/cat": a total, not the label.
    run.track(Metric.CUSTOM, ["val_acc/cat", 100 + e]);
    run.onEnd(Level.EPOCH);
  }
  root.onEnd(Level.EXPERIMENT);
  await root.close();
  await new Promise((r) => setTimeout(r, 20));

  const events = lines.map(parseRunEvent).filter((e): e is MetricsEvent => e?.kind === "metrics");
  const points = events.flatMap((e) => e.points);
  const cat = points.filter((p) => p.label === "cat");
  assert.equal(cat.length, 3);
  assert.deepEqual(
    { key: cat[0].key, metric: cat[0].metric, label: cat[0].label },
    { key: "val_acc/cat", metric: "val_acc", label: "cat" },
  );
  assert.equal(points.filter((p) => p.key === "val_acc/cat" && p.label === undefined).length, 3, "the total");

  const deltas: SeriesDelta[] = [];
  const coalescer = new LiveCoalescer((d) => deltas.push(...d), 1);
  for (const e of events) coalescer.add(7, e);
  coalescer.flush();
  const checked = validateHostMessage({ type: "append", deltas });
  assert.ok(checked.ok, checked.ok ? "" : checked.error);
  const byLabel = (label: string | undefined, key: string) =>
    deltas.filter((d) => d.label === label && d.key === key).flatMap((d) => d.values);
  assert.deepEqual(byLabel("cat", "val_acc/cat"), [0.6, 0.7, 0.8]);
  assert.deepEqual(byLabel("dog", "val_acc/dog"), [0.4, 0.4, 0.4]);
  assert.deepEqual(byLabel(undefined, "val_acc/cat"), [100, 101, 102]);

  const store = new SeriesStore();
  const changed = store.applyDeltas(deltas);
  assert.deepEqual([...changed].sort(), [chartId("epoch", "val_acc"), chartId("epoch", "val_acc/cat")]);
  assert.deepEqual(
    store.labelled(7, "epoch", "val_acc").map((s) => [s.label, s.length]),
    [
      ["cat", 3],
      ["dog", 3],
    ],
  );
  assert.equal(store.get(7, "epoch", "val_acc/cat")?.length, 3, "the total is its own series");
  assert.equal(store.get(7, "epoch", "val_acc")?.length, 3, "the metric's total");
  // A label without its metric is refused by the validator (both or neither).
  const bad = validateHostMessage({ type: "append", deltas: [{ ...deltas[0], metric: undefined, label: "x" }] });
  assert.equal(bad.ok, false);
});
