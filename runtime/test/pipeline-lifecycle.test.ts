import { test } from "node:test";
import assert from "node:assert/strict";
import { Metric, RunStatus } from "../src/common/enums";
import { Callback } from "../src/pipeline/callback";
import { Pipeline, StopTraining, type MetricDict } from "../src/pipeline/pipeline";
import type { Environment } from "../src/env/environment";
import { runEnvironment } from "./helpers/env";

/** Records its calls into the shared trace; stops at a given epoch or batch when asked. */
class TraceCallback extends Callback {
  constructor(
    env: Environment,
    private readonly trace: string[],
    private readonly stopAt: { epoch?: number; batch?: number } = {},
    private readonly tag = "cb",
  ) {
    super(env);
  }
  override onStart() {
    this.trace.push(`${this.tag}.onStart`);
  }
  override onEpochEnd(e: number, metrics: MetricDict) {
    this.trace.push(`${this.tag}.onEpochEnd ${e} keys=${Object.keys(metrics).sort().join(",")}`);
    return this.stopAt.epoch === e;
  }
  override onBatchEnd(b: number) {
    this.trace.push(`${this.tag}.onBatchEnd ${b}`);
    return this.stopAt.batch === b;
  }
  override onEnd(metrics: MetricDict) {
    this.trace.push(`${this.tag}.onEnd keys=${Object.keys(metrics).sort().join(",")}`);
  }
}

class ThreeLevel extends Pipeline {
  epochs = 2;
  batches = 2;
  ranBatches = 0;
  failAt?: { epoch?: number; batch?: number };

  @Pipeline.runWrapper
  async run(_config: Record<string, unknown>) {
    for (let e = 0; e < this.epochs; e++) {
      await this.runEpoch(e, null);
      if (this.stopRequested) break;
    }
    this.runMetrics[Metric.TEST_ACC] = 0.9;
    return { status: "completed" };
  }

  @Pipeline.epochWrapper
  async runEpoch(e: number, _model: unknown) {
    for (let b = 0; b < this.batches; b++) await this.runBatch(b);
    if (this.failAt?.epoch === e) throw new Error(`boom in epoch ${e}`);
    this.epochMetrics[Metric.TRAIN_LOSS] = 1 / (e + 1);
    return RunStatus.SUCCESS;
  }

  @Pipeline.batchWrapper
  async runBatch(b: number) {
    this.ranBatches++;
    if (this.failAt?.batch === b) throw new Error(`boom in batch ${b}`);
    this.batchMetrics[Metric.TRAIN_LOSS] = b;
    return RunStatus.SUCCESS;
  }
}

test("lifecycle events fire in the original's order: tracking before on_end, on_end before callbacks", async () => {
  const { env, events } = runEnvironment();
  const p = new ThreeLevel(env);
  p.registerCallback(new TraceCallback(env, events));
  const result = await p.run({});
  assert.deepEqual(result, { status: "completed" });
  assert.deepEqual(events, [
    "create PIPELINE",
    "start PIPELINE",
    "cb.onStart",
    "create EPOCH 0",
    "start EPOCH 0",
    "create BATCH 0",
    "start BATCH 0",
    "track batch train_loss=0@0",
    "end BATCH 0 SUCCESS",
    "cb.onBatchEnd 0",
    "create BATCH 1",
    "start BATCH 1",
    "track batch train_loss=1@1",
    "end BATCH 1 SUCCESS",
    "cb.onBatchEnd 1",
    "track epoch train_loss=1@0",
    "end EPOCH 0 SUCCESS",
    "cb.onEpochEnd 0 keys=train_loss",
    "create EPOCH 1",
    "start EPOCH 1",
    // The batch step is the run's global batch counter, so batch points never collide.
    "create BATCH 0",
    "start BATCH 0",
    "track batch train_loss=0@2",
    "end BATCH 0 SUCCESS",
    "cb.onBatchEnd 0",
    "create BATCH 1",
    "start BATCH 1",
    "track batch train_loss=1@3",
    "end BATCH 1 SUCCESS",
    "cb.onBatchEnd 1",
    "track epoch train_loss=0.5@1",
    "end EPOCH 1 SUCCESS",
    "cb.onEpochEnd 1 keys=train_loss",
    // Final metrics are run-scoped: no phantom epoch after the last one.
    "track run test_acc=0.9@null",
    "end PIPELINE SUCCESS",
    "cb.onEnd keys=test_acc",
  ]);
  assert.equal(p.runStatus, RunStatus.SUCCESS);
});

test("sync pipelines work with the same wrappers and stay synchronous", () => {
  const { env, events } = runEnvironment();
  class SyncPipeline extends Pipeline {
    @Pipeline.runWrapper
    run() {
      for (let e = 0; e < 3; e++) this.runEpoch(e, null);
      return "done";
    }
    @Pipeline.epochWrapper
    runEpoch(e: number, _m: unknown) {
      this.epochMetrics[Metric.VAL_LOSS] = 10 - e;
      return RunStatus.SUCCESS;
    }
  }
  const p = new SyncPipeline(env);
  const value = p.run();
  assert.equal(value, "done", "a sync run returns its value, not a promise");
  assert.equal(events.filter((e) => e.startsWith("end EPOCH")).length, 3);
  assert.equal(p.runStatus, RunStatus.SUCCESS);
});

test("a key set in epoch N is not seen in epoch N+1 (the original's epoch_metrics fix)", async () => {
  const { env, recorder } = runEnvironment();
  const seen: string[][] = [];
  class Leaky extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 3; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(e: number, _m: unknown) {
      if (e === 0) this.epochMetrics[Metric.VAL_ACC] = 0.5;
      this.epochMetrics[Metric.TRAIN_LOSS] = e;
    }
  }
  class Spy extends Callback {
    override onEpochEnd(_e: number, metrics: MetricDict) {
      seen.push(Object.keys(metrics).sort());
      return false;
    }
  }
  const p = new Leaky(env);
  p.registerCallback(new Spy(env));
  await p.run();
  assert.deepEqual(seen, [["train_loss", "val_acc"], ["train_loss"], ["train_loss"]]);
  const valAccPoints = recorder.points.filter((pt) => pt.key === "val_acc");
  assert.deepEqual(
    valAccPoints.map((pt) => pt.epoch),
    [0],
    "val_acc tracked for epoch 0 only",
  );
});

test("early stop from an epoch callback: run ends STOPPED, the loop can still evaluate, no extra epoch runs", async () => {
  const { env, events } = runEnvironment();
  const p = new ThreeLevel(env);
  p.epochs = 5;
  p.registerCallback(new TraceCallback(env, events, { epoch: 1 }));
  const result = await p.run({});
  assert.equal(result, RunStatus.STOPPED);
  assert.equal(p.runStatus, RunStatus.STOPPED);
  assert.equal(events.filter((e) => e.startsWith("create EPOCH")).length, 2);
  assert.ok(events.includes("track run test_acc=0.9@null"), "post-loop evaluation still tracked");
  assert.ok(events.includes("end PIPELINE STOPPED"));
  assert.equal(events.at(-1), "cb.onEnd keys=test_acc");
});

test("early stop when the loop ignores stopRequested: the next runEpoch throws and the run ends STOPPED", async () => {
  const { env, events } = runEnvironment();
  class Ignores extends Pipeline {
    epochsRun = 0;
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 10; e++) await this.runEpoch(e, null);
      this.runMetrics[Metric.TEST_ACC] = 1;
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {
      this.epochsRun++;
    }
  }
  const p = new Ignores(env);
  p.registerCallback(new TraceCallback(env, events, { epoch: 2 }));
  assert.equal(await p.run(), RunStatus.STOPPED);
  assert.equal(p.epochsRun, 3);
  assert.ok(!events.some((e) => e.includes("test_acc")), "code after the loop did not run");
  assert.ok(events.includes("end PIPELINE STOPPED"));
});

test("batch-level stop: a callback stopping at batch 2 leaves exactly 3 batches run; every callback is still called", async () => {
  const { env, events } = runEnvironment();
  class Batches extends Pipeline {
    ran = 0;
    @Pipeline.runWrapper
    async run() {
      for (let e = 0; e < 2; e++) await this.runEpoch(e, null);
    }
    @Pipeline.epochWrapper
    async runEpoch(_e: number, _m: unknown) {
      for (let b = 0; b < 5; b++) await this.runBatch(b);
    }
    @Pipeline.batchWrapper
    async runBatch(b: number) {
      this.ran++;
      this.batchMetrics[Metric.TRAIN_LOSS] = b;
    }
  }
  const p = new Batches(env);
  p.registerCallback(new TraceCallback(env, events, { batch: 2 }, "stopper"));
  p.registerCallback(new TraceCallback(env, events, {}, "other"));
  assert.equal(await p.run(), RunStatus.STOPPED);
  assert.equal(p.ran, 3);
  assert.ok(events.includes("other.onBatchEnd 2"), "the continuing callback saw the stopping batch");
  assert.ok(events.includes("end EPOCH 0 STOPPED"));
});

test("an exception in an epoch ends the run FAILED with the stack; trackers still get end events; callbacks' onEnd is skipped", async () => {
  const { env, events } = runEnvironment();
  const p = new ThreeLevel(env);
  p.epochs = 3;
  p.failAt = { epoch: 1 };
  p.registerCallback(new TraceCallback(env, events));
  const result = await p.run({});
  assert.equal(result, RunStatus.FAILED);
  assert.equal(p.runStatus, RunStatus.FAILED);
  assert.match(p.runError!.message, /boom in epoch 1/);
  assert.match(p.runError!.stack!, /pipeline-lifecycle\.test\.ts/);
  assert.ok(events.includes("end EPOCH 1 FAILED"));
  assert.ok(events.includes("end PIPELINE FAILED"));
  assert.ok(!events.includes("create EPOCH 2"), "the loop did not go on after the failure");
  assert.ok(!events.some((e) => e.startsWith("cb.onEnd")));
  assert.ok(!events.some((e) => e === "cb.onEpochEnd 1 keys="), "no epoch-end callbacks for a failed epoch");
});

test("an exception in a batch fails the batch, its epoch and the run", async () => {
  const { env, events } = runEnvironment();
  const p = new ThreeLevel(env);
  p.failAt = { batch: 1 };
  assert.equal(await p.run({}), RunStatus.FAILED);
  assert.ok(events.includes("end BATCH 1 FAILED"));
  assert.ok(events.includes("end EPOCH 0 FAILED"));
  assert.ok(events.includes("end PIPELINE FAILED"));
  assert.match(p.runError!.message, /boom in batch 1/);
});

test("a synchronous throw in run() and a thrown StopTraining are handled like the async ones", () => {
  const { env } = runEnvironment();
  class Throws extends Pipeline {
    @Pipeline.runWrapper
    run(config: { stop?: boolean }) {
      if (config.stop) throw new StopTraining("enough");
      throw new TypeError("bad input");
    }
  }
  const p = new Throws(env);
  assert.equal(p.run({}), RunStatus.FAILED);
  assert.equal(p.runError?.name, "TypeError");
  assert.equal(p.run({ stop: true }), RunStatus.STOPPED);
});

test("manual lifecycle: onCreate/onStart/onEnd(EPOCH) with direct track() calls, step honoured", async () => {
  const { env, recorder, events } = runEnvironment();
  const tm = env.trackerManager;
  class Manual extends Pipeline {
    @Pipeline.runWrapper
    async run() {
      for (let epoch = 0; epoch < 2; epoch++) {
        tm.onCreate(4 /* Level.EPOCH */, { epochId: epoch });
        tm.onStart(4);
        tm.track(Metric.TRAIN_LOSS, 0.5 - epoch / 10, epoch);
        tm.track(Metric.CUSTOM, ["batch_processing_time", 1.2], 100 + epoch);
        tm.onEnd(4);
      }
      tm.track(Metric.TEST_ACC, 0.8);
    }
  }
  await new Manual(env).run();
  assert.deepEqual(
    events.filter((e) => e.includes("EPOCH")),
    ["create EPOCH 0", "start EPOCH 0", "end EPOCH 0", "create EPOCH 1", "start EPOCH 1", "end EPOCH 1"],
  );
  const custom = recorder.points.filter((p) => p.custom);
  assert.deepEqual(
    custom.map((p) => [p.key, p.value, p.step, p.epoch]),
    [
      ["batch_processing_time", 1.2, 100, 0],
      ["batch_processing_time", 1.2, 101, 1],
    ],
  );
  const testAcc = recorder.points.find((p) => p.key === "test_acc")!;
  assert.equal(testAcc.scope, "run", "a metric tracked after the last epoch is run-scoped, not a phantom epoch");
  assert.equal(testAcc.epoch, null);
});
