import { test } from "node:test";
import assert from "node:assert/strict";
import { Level, Metric } from "../src/common/enums";
import { Tracker } from "../src/tracking/tracker";
import { TrackerManager } from "../src/tracking/tracker-manager";
import type { MetricPoint, PointSource, TrackerLike } from "../src/tracking/types";
import { RecordingTracker } from "./helpers/recording-tracker";
import { tempDir } from "./helpers/env";

function manager() {
  const ws = tempDir();
  const reports: string[] = [];
  const tm = new TrackerManager(ws, { report: (m) => reports.push(m) });
  const rec = new RecordingTracker(ws);
  tm.addTracker(rec, "Recording");
  return { tm, rec, reports, ws };
}

test("trackDict forwards tracked metrics and CUSTOM, drops CUSTOM_UNTRACKED and NETWORK", () => {
  const { tm, rec } = manager();
  tm.trackDict({
    [Metric.TRAIN_LOSS]: 0.5,
    [Metric.CUSTOM]: [
      ["a", 1],
      ["b", "text"],
    ],
    [Metric.CUSTOM_UNTRACKED]: [["debug", 3]],
    [Metric.NETWORK]: { layers: 3 },
    [Metric.CONFUSION]: 0.1,
  });
  assert.deepEqual(
    rec.points.map((p) => [p.key, p.value, p.custom]),
    [
      ["train_loss", 0.5, false],
      ["a", 1, true],
      ["b", "text", true],
      ["confusion", 0.1, false],
    ],
  );
});

test("CUSTOM takes a pair or a list of pairs; anything else is a clear error", () => {
  const { tm, rec } = manager();
  tm.track(Metric.CUSTOM, ["single", 2], 5);
  tm.track(
    Metric.CUSTOM,
    [
      ["x", 1],
      ["y", 2],
    ],
    6,
  );
  assert.deepEqual(
    rec.points.map((p) => `${p.key}=${p.value}@${p.step}`),
    ["single=2@5", "x=1@6", "y=2@6"],
  );
  assert.throws(() => tm.track(Metric.CUSTOM, 3), /Metric.CUSTOM takes \[name, value\] or a list/);
  assert.throws(() => tm.track(Metric.CUSTOM, [["x", 1], "y"]), /Metric.CUSTOM takes/);
  assert.throws(() => tm.track("loss" as Metric, 1), /'loss' is not a Metric.*Metric.CUSTOM with \['loss', value\]/);
  assert.throws(() => tm.trackDict({ loss: 1 } as never), /'loss' is not a Metric/);
  tm.track(Metric.CUSTOM_UNTRACKED, ["hidden", 1]);
  assert.equal(rec.points.length, 3, "untracked metrics reach no tracker through track() either");
});

test("default steps: epoch index in an epoch, global batch counter in a batch, null at run level", () => {
  const { tm, rec } = manager();
  tm.onCreate(Level.TRIAL_RUN);
  for (let e = 0; e < 2; e++) {
    tm.onCreate(Level.EPOCH, { epochId: e });
    tm.onStart(Level.EPOCH);
    for (let b = 0; b < 3; b++) {
      tm.onCreate(Level.BATCH, b);
      tm.track(Metric.TRAIN_LOSS, b);
      tm.onEnd(Level.BATCH);
    }
    tm.track(Metric.VAL_LOSS, e);
    tm.onEnd(Level.EPOCH);
  }
  tm.track(Metric.TEST_ACC, 1);
  assert.deepEqual(
    rec.points.map((p) => `${p.scope}:${p.key}@${p.step}/e${p.epoch}/b${p.batch}`),
    [
      "batch:train_loss@0/e0/b0",
      "batch:train_loss@1/e0/b1",
      "batch:train_loss@2/e0/b2",
      "epoch:val_loss@0/e0/bnull",
      "batch:train_loss@3/e1/b0",
      "batch:train_loss@4/e1/b1",
      "batch:train_loss@5/e1/b2",
      "epoch:val_loss@1/e1/bnull",
      "run:test_acc@null/enull/bnull",
    ],
  );
  assert.ok(
    rec.points.every((p) => typeof p.time === "number" && p.time > 1.7e12),
    "wall time stamped",
  );
});

class Exploding extends Tracker {
  calls = 0;
  createChild(): TrackerLike {
    return this;
  }
  override track(_p: MetricPoint): void {
    this.calls++;
    throw new Error("disk on fire");
  }
  override onEnd(): void {
    throw new Error("cannot end");
  }
}

test("one tracker's failure is isolated and reported once; the others keep tracking", async () => {
  const ws = tempDir();
  const reports: string[] = [];
  const tm = new TrackerManager(ws, { report: (m) => reports.push(m) });
  const bad = new Exploding(ws);
  const rec = new RecordingTracker(ws);
  tm.addTracker(bad, "Exploding");
  tm.addTracker(rec, "Recording");
  for (let i = 0; i < 100; i++) tm.track(Metric.TRAIN_LOSS, i);
  tm.onEnd(Level.EPOCH);
  await tm.close();
  assert.equal(rec.points.length, 100, "the tracker after the failing one got every point");
  assert.equal(bad.calls, 100);
  assert.equal(reports.length, 1, "reported once");
  assert.match(reports[0], /Tracker Exploding failed in track: disk on fire/);
  assert.ok(tm.hadFailures);
  assert.match(tm.failureSummary()[0], /Exploding: 101 failure\(s\), first in track: disk on fire/);
  assert.ok(rec.events.includes("end EPOCH"));
});

test("children get ids of their parents and their own; checkpoints are attributed to the last ended epoch", () => {
  const { tm, rec } = manager();
  tm.onCreate(Level.EXPERIMENT, "e");
  const trial = tm.createChild(tm.workspace + "/t");
  trial.onCreate(Level.TRIAL, "t");
  const run = trial.createChild(tm.workspace + "/t/t-0");
  run.onCreate(Level.TRIAL_RUN);
  assert.ok(run.ids.experiment && run.ids.trial && run.ids.run);
  assert.equal(run.ids.experiment, tm.ids.experiment);
  assert.equal(run.ids.trial, trial.ids.trial);
  run.onCreate(Level.EPOCH, 3);
  run.onEnd(Level.EPOCH);
  run.onCheckpoint({ save() {} }, "/x/checkpoint-0", { [Metric.VAL_LOSS]: 0.2, [Metric.CUSTOM]: ["acc2", 0.9] });
  run.onCheckpoint({ checkpointPath: "/x/checkpoint-final", metrics: { [Metric.TEST_ACC]: 1 }, final: true });
  assert.deepEqual(
    rec.checkpoints.map((c) => [c.path, c.epoch, c.final, c.metrics]),
    [
      ["/x/checkpoint-0", 3, false, { val_loss: 0.2, acc2: 0.9 }],
      ["/x/checkpoint-final", 3, true, { test_acc: 1 }],
    ],
  );
  assert.throws(() => run.onCheckpoint(null, ""), /checkpoint path/);
});

class Sampler extends Tracker implements PointSource {
  sink?: (point: MetricPoint) => void;
  received = 0;
  createChild(workspace: string): TrackerLike {
    return new Sampler(workspace);
  }
  override track(): void {
    this.received++;
  }
  sample(value: number): void {
    this.sink?.({
      key: "cpu_percent",
      value,
      step: 0,
      scope: "run",
      custom: true,
      epoch: null,
      batch: null,
      time: Date.now(),
    });
  }
}

test("a point-producing tracker's samples reach the other trackers of its environment, not itself", () => {
  const { tm, rec } = manager();
  const sampler = new Sampler(tm.workspace);
  tm.addTracker(sampler, "Sampler");
  sampler.sample(12.5);
  assert.deepEqual(
    rec.points.map((p) => [p.key, p.value]),
    [["cpu_percent", 12.5]],
  );
  assert.equal(sampler.received, 0);
  const child = tm.createChild(tm.workspace + "/t");
  const childSampler = child.trackers.find((t) => t instanceof Sampler) as Sampler;
  childSampler.sample(50);
  assert.equal(rec.points.length, 2, "the child's samples reach the child's recorder (which shares the trace)");
  assert.equal(childSampler.received, 0);
});
