import { test } from "node:test";
import assert from "node:assert/strict";
import {
  ALL_METRICS,
  Metric,
  MetricCategory,
  RunStatus,
  getMetricCategory,
  getTrackedMetrics,
  parseMetric,
} from "../src/common/enums";
import { Registry, YAMLSerializable, getRegistry, register } from "../src/registry/registry";
import { registerBuiltins } from "../src/builtins/register-builtins";
import { Pipeline } from "../src/pipeline/pipeline";
import { Callback } from "../src/pipeline/callback";

test("Metric: the 15 lowercase names and categories of the original", () => {
  assert.equal(ALL_METRICS.length, 15);
  assert.equal(Metric.TRAIN_LOSS, "train_loss");
  assert.equal(Metric.TEST_ACC, "test_acc");
  assert.equal(getMetricCategory(Metric.CUSTOM), MetricCategory.TRACKED);
  assert.equal(getMetricCategory(Metric.CUSTOM_UNTRACKED), MetricCategory.UNTRACKED);
  assert.equal(getMetricCategory(Metric.CONFUSION), MetricCategory.TRACKED);
  for (const m of [Metric.NETWORK, Metric.DATA, Metric.LABELS, Metric.STATUS])
    assert.equal(getMetricCategory(m), MetricCategory.UNTRACKED);
  assert.equal(getTrackedMetrics().length, 10);
  assert.equal(parseMetric("VAL_LOSS"), Metric.VAL_LOSS);
  assert.equal(parseMetric("Metric.val_acc"), Metric.VAL_ACC);
  assert.equal(parseMetric("valloss"), undefined);
  assert.throws(() => getMetricCategory("loss" as Metric), /'loss' is not a Metric/);
  assert.equal(RunStatus.RUNNING, 0);
  assert.equal(RunStatus.SUCCESS, 1);
  assert.ok(RunStatus.SUCCESS < RunStatus.FINISHED);
});

test("register() puts a class in the registry of its kind, with its source file and schema", () => {
  const registry = getRegistry();
  @register("RegTestPipeline")
  class RegTestPipeline extends Pipeline {
    static params = { epochs: { type: "integer" as const, default: 3 } };
    static metrics = ["grad_norm"];
  }
  @YAMLSerializable.register("RegTestCallback")
  class RegTestCallback extends Callback {}
  assert.equal(registry.get("pipeline", "RegTestPipeline"), RegTestPipeline);
  assert.equal(registry.get("callback", "RegTestCallback"), RegTestCallback);
  const entry = registry.entry("pipeline", "RegTestPipeline")!;
  assert.match(entry.file!, /registry\.test\.ts$/);
  assert.deepEqual(entry.params, { epochs: { type: "integer", default: 3 } });
  const described = registry.describe().types.find((t) => t.name === "RegTestPipeline")!;
  assert.equal(described.kind, "pipeline");
  assert.deepEqual(described.metrics, ["grad_norm"]);
  assert.ok(!("cls" in described), "the description crosses processes: no class in it");
});

test("a taken name for a different class is an error; the same name in another kind is fine", () => {
  const registry = new Registry();
  class A extends Pipeline {}
  class B extends Pipeline {}
  class C extends Callback {}
  registry.add("Same", A);
  registry.add("Same", A);
  assert.throws(
    () => registry.add("Same", B),
    /The pipeline name 'Same' is already registered by class A.*B.*cannot take it/,
  );
  registry.add("Same", C);
  assert.deepEqual(registry.kindsOf("Same"), ["pipeline", "callback"]);
  class NotAType {}
  assert.throws(() => registry.add("X", NotAType as never), /does not extend Pipeline, Tracker or Callback/);
  assert.throws(() => registry.add("bad name", A), /must start with a letter/);
});

test("an unknown name names the kind, the name and the closest registered names", () => {
  const registry = new Registry();
  class P1 extends Pipeline {}
  class P2 extends Pipeline {}
  registry.add("MnistMlp", P1);
  registry.add("IrisMlp", P2);
  assert.throws(
    () => registry.get("pipeline", "MnistMLP2"),
    /Unknown pipeline type 'MnistMLP2'\. Did you mean 'MnistMlp'\? Registered pipelines: IrisMlp, MnistMlp\./,
  );
  class T extends Callback {}
  registry.add("EarlyStop", T);
  assert.throws(() => registry.get("pipeline", "EarlyStop"), /'EarlyStop' is a callback, not a pipeline/);
});

test("built-ins are registered lazily: describing them loads no tracker module", () => {
  registerBuiltins();
  const before = Object.keys(require.cache).filter((k) => k.includes("plugins/tensorboard")).length;
  const names = getRegistry()
    .describe()
    .types.filter((t) => t.builtin)
    .map((t) => t.name)
    .sort();
  assert.deepEqual(names, [
    "CheckpointCallback",
    "DBTracker",
    "EarlyStopping",
    "LogTracker",
    "MLflowTracker",
    "MedianStop",
    "MetricsTracker",
    "PerformanceTracker",
    "TensorBoardTracker",
  ]);
  assert.equal(Object.keys(require.cache).filter((k) => k.includes("plugins/tensorboard")).length, before);
  assert.equal(getRegistry().get("callback", "EarlyStopping").name, "EarlyStopping");
});

test("a class decorated before its statics exist (decorated methods) still describes its params and metrics", () => {
  // With method decorators, TC39 class decorators run before `static params` is assigned
  // (esbuild and TypeScript lower it so): what the registry describes is read afterwards.
  const registry = new Registry();
  class Late extends Pipeline {}
  registry.add("LateStatics", Late);
  (Late as unknown as { params: unknown }).params = { epochs: { type: "integer" } };
  (Late as unknown as { metrics: unknown }).metrics = ["grad_norm"];
  const described = registry.describe().types.find((t) => t.name === "LateStatics")!;
  assert.deepEqual(described.params, { epochs: { type: "integer" } });
  assert.deepEqual((described as { metrics?: unknown }).metrics, ["grad_norm"]);
  // Options given to register() still win over the class's statics.
  registry.add("Explicit", class extends Pipeline {}, { params: { lr: { type: "number" } } });
  assert.deepEqual(registry.entry("pipeline", "Explicit")!.params, { lr: { type: "number" } });
});
