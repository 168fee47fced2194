import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Level, Metric, RunStatus } from "../src/common/enums";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { Tracker } from "../src/tracking/tracker";
import type { MetricPoint } from "../src/tracking/types";
import { crc32c, maskCrc, maskedCrc32c, unmaskCrc } from "../src/tracking/plugins/tensorboard/crc32c";
import { RecordBuffer } from "../src/tracking/plugins/tensorboard/event-encoder";
import { TensorBoardTracker } from "../src/tracking/plugins/tensorboard/tensorboard-tracker";
import {
  CorruptRecordError,
  findEventFiles,
  readEventFile,
  readEvents,
  type DecodedEvent,
} from "./fixtures/tensorboard/event-reader";
import { tempDirs } from "./helpers/env";

const FIXTURES = path.join(__dirname, "fixtures", "tensorboard");
const tmp = tempDirs("tb-test-");

// ---- CRC-32C ---------------------------------------------------------------------------------

test("crc32c matches the RFC 3720 / TensorFlow crc32c_test vectors", () => {
  assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  assert.equal(crc32c(Buffer.alloc(32, 0)), 0x8a9136aa);
  assert.equal(crc32c(Buffer.alloc(32, 0xff)), 0x62a8ab43);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i))), 0x46dd794e);
  assert.equal(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i))), 0x113fdb5c);
  assert.equal(crc32c(Buffer.alloc(0)), 0);
});

test("crc32c over a sub-range equals crc32c of the slice, for every alignment", () => {
  const data = Buffer.from(Array.from({ length: 257 }, (_, i) => (i * 131 + 7) & 0xff));
  for (let start = 0; start < 9; start++) {
    for (const end of [start, start + 1, start + 3, start + 4, start + 5, 100, 257]) {
      assert.equal(crc32c(data, start, end), crc32c(Buffer.from(data.subarray(start, end))), `${start}..${end}`);
    }
  }
});

test("mask is TensorFlow's: invertible, never the identity, and the fixtures' CRCs verify with it", () => {
  for (const crc of [0, 1, 0xe3069283, 0xffffffff, 0x12345678]) {
    assert.equal(unmaskCrc(maskCrc(crc)), crc);
    assert.notEqual(maskCrc(crc), crc);
  }
  // The 8-byte length header of TensorFlow's first fixture record and its stored masked CRC.
  const tf = fs.readFileSync(path.join(FIXTURES, "tensorflow-gcs-file-loader-test.tfevents"));
  assert.equal(maskedCrc32c(tf, 0, 8), tf.readUInt32LE(8));
  assert.equal(maskedCrc32c(tf, 12, 12 + 24), tf.readUInt32LE(36));
});

// ---- the reader, proven on files written by other tools ---------------------------------

test("reader decodes TensorFlow's own records (file_version events, CRCs checked)", () => {
  const events = readEventFile(path.join(FIXTURES, "tensorflow-gcs-file-loader-test.tfevents"));
  assert.deepEqual(
    events.map((e) => [e.file_version, e.wall_time]),
    [
      ["brain.Event:1", 1440183447],
      ["brain.Event:2", 1456445596],
    ],
  );
});

test("reader decodes a SummaryWriter's scalars and image", () => {
  const events = readEventFile(path.join(FIXTURES, "catalyst-summarywriter.tfevents"));
  assert.equal(events.length, 5);
  assert.equal(Math.floor(events[0].wall_time), 1557495905);
  const scalars = events.slice(1, 4).map((e) => [e.summary!.value[0].tag, e.summary!.value[0].simple_value, e.step]);
  assert.deepEqual(scalars, [
    ["x", 1, 1],
    ["y", -1, 1],
    ["x", 2, 2],
  ]);
  const image = events[4].summary!.value[0];
  assert.equal(image.tag, "z");
  assert.equal(image.image!.height, 2);
  assert.equal(image.image!.width, 2);
  assert.equal(image.image!.colorspace, 3);
  assert.equal(Buffer.from(image.image!.encoded_image_string!).subarray(1, 4).toString(), "PNG");
});

test("reader decodes tensorboard_logger's serialization test bytes", () => {
  const events = readEventFile(path.join(FIXTURES, "tensorboard-logger-serialization.tfevents"));
  assert.equal(events[0].file_version, "brain.Event:2");
  assert.deepEqual(
    events.slice(1).map((e) => [e.wall_time, e.step, e.summary!.value[0].tag, e.summary!.value[0].simple_value]),
    [
      [256.5, 1, "v/1", 1.5],
      [256.5, 2, "v/22", 16],
    ],
  );
});

test("reader rejects a flipped byte and a torn record", () => {
  const good = fs.readFileSync(path.join(FIXTURES, "catalyst-summarywriter.tfevents"));
  for (const at of [0, 9, 20, 123]) {
    const bad = Buffer.from(good);
    bad[at] ^= 0x01;
    assert.throws(() => readEvents(bad), CorruptRecordError, `byte ${at}`);
  }
  assert.throws(() => readEvents(good.subarray(0, good.length - 5)), CorruptRecordError);
});

// ---- our encoder, checked by the reader --------------------------------------------------

test("encoder output decodes field by field: file version, scalars at any step, text", () => {
  const rb = new RecordBuffer(16); // tiny on purpose: exercises growth
  rb.fileVersion(1700000000.25);
  const values = [0, 1.5, -2.25, 3.4028234663852886e38, Number.NaN, Number.POSITIVE_INFINITY, 1e-7];
  const steps = [0, 1, 127, 128, 300, 2 ** 31, 2 ** 40, -1];
  for (let i = 0; i < steps.length; i++)
    rb.scalar(1700000001 + i, steps[i], Buffer.from(`loss/äö ${i}`), values[i % values.length]);
  rb.text(1700000100, 5, Buffer.from("param/lr"), "0.001 ✓");
  const events = readEvents(rb.bytes());
  assert.equal(events[0].file_version, "brain.Event:2");
  assert.equal(events[0].wall_time, 1700000000.25);
  for (let i = 0; i < steps.length; i++) {
    const e = events[1 + i];
    assert.equal(e.step, steps[i]);
    assert.equal(e.wall_time, 1700000001 + i);
    assert.equal(e.summary!.value.length, 1);
    assert.equal(e.summary!.value[0].tag, `loss/äö ${i}`);
    const expected = Math.fround(values[i % values.length]);
    assert.ok(
      Object.is(e.summary!.value[0].simple_value, expected),
      `${e.summary!.value[0].simple_value} vs ${expected}`,
    );
  }
  const text = events[events.length - 1].summary!.value[0];
  assert.equal(text.tag, "param/lr");
  assert.equal(text.metadata!.plugin_data!.plugin_name, "text");
  assert.equal(text.tensor!.dtype, 7); // DT_STRING
  assert.deepEqual(
    text.tensor!.tensor_shape!.dim!.map((d) => d.size),
    [1],
  );
  assert.equal(Buffer.from(text.tensor!.string_val![0]).toString("utf8"), "0.001 ✓");
});

// ---- the tracker through a real TrackerManager ------------------------------------------

/** A second tracker, to show the others keep receiving events when TensorBoard fails. */
class Recorder extends Tracker {
  points: MetricPoint[] = [];
  ends: Level[] = [];
  constructor(
    ws: string,
    private readonly shared?: Recorder,
  ) {
    super(ws);
  }
  track(p: MetricPoint) {
    (this.shared ?? this).points.push(p);
  }
  onEnd(level: Level) {
    (this.shared ?? this).ends.push(level);
  }
  createChild(ws: string) {
    return new Recorder(ws, this.shared ?? this);
  }
}

function runExperiment(ws: string, manager: TrackerManager, opts: { epochs?: number; batches?: number } = {}) {
  const epochs = opts.epochs ?? 3;
  const batches = opts.batches ?? 2;
  manager.onCreate(Level.EXPERIMENT, "exp");
  manager.onStart(Level.EXPERIMENT);
  const trial = manager.createChild(path.join(ws, "trial_a"));
  trial.onCreate(Level.TRIAL, "trial_a");
  trial.onStart(Level.TRIAL);
  const run = trial.createChild(path.join(ws, "trial_a", "trial_a-0"));
  run.onCreate(Level.TRIAL_RUN, { repeat: 0, seed: 42 });
  run.onStart(Level.TRIAL_RUN);
  run.logParams({ lr: 0.001, layers: [64, 32] });
  run.onCreate(Level.PIPELINE);
  run.onStart(Level.PIPELINE);
  for (let e = 0; e < epochs; e++) {
    run.onCreate(Level.EPOCH, e);
    run.onStart(Level.EPOCH, e);
    for (let b = 0; b < batches; b++) {
      run.onCreate(Level.BATCH, b);
      run.onStart(Level.BATCH, b);
      run.track(Metric.TRAIN_LOSS, 1 / (1 + e * batches + b));
      run.onEnd(Level.BATCH);
    }
    run.trackDict({
      [Metric.VAL_ACC]: 0.5 + e / 10,
      [Metric.CUSTOM]: [
        ["my metric/x", e * 2],
        ["lr", 0.1],
      ],
    });
    run.track(Metric.CUSTOM, ["pair", e + 0.5]);
    run.onEnd(Level.EPOCH);
  }
  run.track(Metric.TEST_ACC, 0.9);
  run.track(Metric.CUSTOM, ["explicit", 7], 100);
  run.onEnd(Level.PIPELINE);
  run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
  trial.onEnd(Level.TRIAL);
  manager.onEnd(Level.EXPERIMENT);
  return { trial, run };
}

function scalarsOf(events: DecodedEvent[]): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const e of events) {
    for (const v of e.summary?.value ?? []) {
      if (v.simple_value === undefined || v.metadata?.plugin_data) continue;
      if (!out.has(v.tag)) out.set(v.tag, []);
      out.get(v.tag)!.push([e.step, v.simple_value]);
    }
  }
  return out;
}

test("a run's metrics land in <ws>/artifacts/tensorboard/<name>/<trial>/<trial>-<i>/events.out.tfevents.<time>.<host>", async () => {
  const ws = tmp();
  const warnings: string[] = [];
  const manager = new TrackerManager(ws);
  manager.addTracker(new TensorBoardTracker(ws, { name: "tb", warn: (m) => warnings.push(m) }), "TensorBoardTracker");
  runExperiment(ws, manager);
  await manager.close();
  assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));

  const root = path.join(ws, "artifacts", "tensorboard", "tb");
  const files = findEventFiles(root);
  assert.equal(files.length, 3, files.join(", ")); // the experiment (hparams info), the trial (its duration) and the run
  const runFile = files.find((f) => f.startsWith(path.join("trial_a", "trial_a-0") + path.sep))!;
  assert.match(
    path.basename(runFile),
    new RegExp(`^events\\.out\\.tfevents\\.\\d{10}\\.${os.hostname().replace(/\./g, "\\.")}$`),
  );
  const events = readEventFile(path.join(root, runFile));
  assert.equal(events[0].file_version, "brain.Event:2", "file version event comes first");
  assert.ok(events.every((e, i) => i === 0 || e.file_version === undefined || e.file_version === ""));

  const scalars = scalarsOf(events);
  // Batch points: step = global batch counter, under batch/<key>; epoch points: step = epoch index.
  assert.deepEqual(
    scalars.get("batch/train_loss"),
    [0, 1, 2, 3, 4, 5].map((g) => [g, Math.fround(1 / (1 + g))]),
  );
  assert.deepEqual(
    scalars.get("val_acc"),
    [0, 1, 2].map((e) => [e, Math.fround(0.5 + e / 10)]),
  );
  // CUSTOM lists and single pairs: one tag per name, no "tuple error".
  assert.deepEqual(scalars.get("my metric/x"), [
    [0, 0],
    [1, 2],
    [2, 4],
  ]);
  assert.deepEqual(
    scalars.get("lr"),
    [0, 1, 2].map((e) => [e, Math.fround(0.1)]),
  );
  assert.deepEqual(scalars.get("pair"), [
    [0, 0.5],
    [1, 1.5],
    [2, 2.5],
  ]);
  // Run scope: documented step lastEpoch + 1; explicit steps win.
  assert.deepEqual(scalars.get("test_acc"), [[3, Math.fround(0.9)]]);
  assert.deepEqual(scalars.get("explicit"), [[100, 7]]);
  assert.equal(scalars.get("trial_run/duration")!.length, 1);
  assert.equal(scalars.get("trial_run/duration")![0][0], 3);
  assert.ok(scalars.get("trial_run/duration")![0][1] >= 0);

  const texts = new Map<string, string>();
  for (const e of events)
    for (const v of e.summary?.value ?? [])
      if (v.metadata?.plugin_data?.plugin_name === "text")
        texts.set(v.tag, Buffer.from(v.tensor!.string_val![0]).toString());
  assert.equal(texts.get("param/lr"), "0.001");
  assert.equal(texts.get("param/layers"), "[64,32]");
  assert.equal(texts.get("trial_run/status"), "SUCCESS");
  // Wall times are the points' times, in seconds.
  const now = Date.now() / 1000;
  assert.ok(events.every((e) => e.wall_time > now - 600 && e.wall_time <= now + 1));
  assert.deepEqual(warnings, []);

  const trialFile = files.find((f) => f !== runFile && path.dirname(f) !== ".")!;
  assert.equal(path.dirname(trialFile), "trial_a");
  assert.ok(scalarsOf(readEventFile(path.join(root, trialFile))).has("trial/duration"));
});

test("events are on disk after each epoch end, before close", () => {
  const ws = tmp();
  const tb = new TensorBoardTracker(ws, { name: "live" });
  const manager = new TrackerManager(ws);
  manager.addTracker(tb);
  manager.onCreate(Level.TRIAL_RUN);
  manager.onStart(Level.TRIAL_RUN);
  manager.onStart(Level.EPOCH, 0);
  manager.track(Metric.TRAIN_LOSS, 0.5);
  assert.equal(tb.eventFile, undefined, "nothing written mid-epoch");
  manager.onEnd(Level.EPOCH);
  const first = readEventFile(tb.eventFile!);
  assert.deepEqual(scalarsOf(first).get("train_loss"), [[0, 0.5]]);
  manager.onStart(Level.EPOCH, 1);
  manager.track(Metric.TRAIN_LOSS, 0.25);
  manager.onEnd(Level.EPOCH);
  assert.deepEqual(scalarsOf(readEventFile(tb.eventFile!)).get("train_loss"), [
    [0, 0.5],
    [1, 0.25],
  ]);
  tb.close();
});

test("bad values: NaN kept, strings and objects as text, null skipped, odd tags verbatim; one warning each", () => {
  const ws = tmp();
  const warnings: string[] = [];
  const tb = new TensorBoardTracker(ws, { name: "bad", warn: (m) => warnings.push(m) });
  const manager = new TrackerManager(ws);
  manager.addTracker(tb);
  manager.onCreate(Level.TRIAL_RUN);
  manager.onStart(Level.EPOCH, 0);
  manager.track(Metric.VAL_LOSS, Number.NaN);
  manager.track(Metric.VAL_ACC, Number.NEGATIVE_INFINITY);
  manager.track(Metric.TRAIN_LOSS, "not a number");
  manager.track(Metric.TRAIN_LOSS, "again");
  manager.track(Metric.CONFUSION, { a: [1, 2] });
  manager.track(Metric.CUSTOM, [
    ["null metric", null],
    ["with/slash and space", true],
    ["big", 12n],
  ]);
  manager.onEnd(Level.EPOCH);
  tb.close();
  assert.equal(manager.hadFailures, false);
  const events = readEventFile(tb.eventFile!);
  const scalars = scalarsOf(events);
  assert.ok(Number.isNaN(scalars.get("val_loss")![0][1]));
  assert.equal(scalars.get("val_acc")![0][1], Number.NEGATIVE_INFINITY);
  assert.deepEqual(scalars.get("with/slash and space"), [[0, 1]]);
  assert.deepEqual(scalars.get("big"), [[0, 12]]);
  assert.equal(scalars.has("null metric"), false);
  const texts = events.flatMap((e) =>
    (e.summary?.value ?? [])
      .filter((v) => v.tensor)
      .map((v) => [v.tag, Buffer.from(v.tensor!.string_val![0]).toString()]),
  );
  assert.deepEqual(texts, [
    ["train_loss", "not a number"],
    ["train_loss", "again"],
    ["confusion", '{"a":[1,2]}'],
  ]);
  assert.equal(warnings.length, 3, warnings.join("\n"));
  assert.ok(warnings.some((w) => w.includes("'train_loss' is not a number")));
  assert.ok(warnings.some((w) => w.includes("'null metric' has no value")));
});

test("an unwritable folder gives a clear error once per flush and never stops the other trackers", async () => {
  const ws = tmp();
  fs.mkdirSync(path.join(ws, "artifacts"), { recursive: true });
  fs.writeFileSync(path.join(ws, "artifacts", "tensorboard"), "a file where the folder should be");
  const reports: string[] = [];
  const manager = new TrackerManager(ws, { report: (m) => reports.push(m) });
  manager.addTracker(new TensorBoardTracker(ws, { name: "tb" }), "TensorBoardTracker");
  const recorder = new Recorder(ws);
  manager.addTracker(recorder, "Recorder");
  runExperiment(ws, manager, { epochs: 2, batches: 1 });
  await manager.close();
  assert.equal(manager.hadFailures, true);
  assert.equal(reports.length, 1, reports.join("\n"));
  assert.match(reports[0], /TensorBoardTracker cannot write its event file in .*tensorboard.*Make the folder writable/);
  // The other tracker saw the whole run.
  assert.ok(recorder.points.some((p) => p.key === "test_acc"));
  assert.ok(recorder.ends.includes(Level.EXPERIMENT));
});

test("fromConfig requires a plain folder name", () => {
  const ws = tmp();
  assert.throws(() => TensorBoardTracker.fromConfig({}, ws), /needs a 'name'/);
  assert.throws(() => TensorBoardTracker.fromConfig({ name: "../escape" }, ws), /folder name/);
  const tb = TensorBoardTracker.fromConfig({ name: "runs" }, ws);
  assert.equal(tb.logDir, path.join(ws, "artifacts", "tensorboard", "runs"));
});

test("all three trackers plug in through the registry from env.yaml entries, as register-builtins loads them", async () => {
  const { registerBuiltins } = await import("../src/builtins/register-builtins");
  registerBuiltins();
  const ws = tmp();
  const manager = TrackerManager.fromConfig(
    {
      trackers: [
        { type: "TensorBoardTracker", name: "tb" },
        { type: "MLflowTracker", name: "exp" },
        { type: "PerformanceTracker", test_mode: true },
      ],
    },
    ws,
  );
  assert.deepEqual(
    manager.trackers.map((t) => t.constructor.name),
    ["TensorBoardTracker", "MLflowTracker", "PerformanceTracker"],
  );
  runExperiment(ws, manager, { epochs: 1, batches: 1 });
  await manager.close();
  assert.equal(manager.hadFailures, false, manager.failureSummary().join("\n"));
  assert.equal(findEventFiles(path.join(ws, "artifacts", "tensorboard", "tb")).length, 3);
  assert.ok(fs.existsSync(path.join(ws, "mlruns", "0", "meta.yaml")));
  assert.ok(fs.existsSync(path.join(ws, "artifacts", "level_creation_experiment.json")));
});

test("HParams summaries: session start/end in each trial run's file, experiment info at the top, plugin 'hparams' with the null tensor", async () => {
  const ws = tmp();
  const manager = new TrackerManager(ws);
  manager.addTracker(new TensorBoardTracker(ws, { name: "hp" }), "TensorBoardTracker");
  runExperiment(ws, manager, { epochs: 2, batches: 1 });
  await manager.close();
  const root = path.join(ws, "artifacts", "tensorboard", "hp");
  const hparamsValues = (file: string) =>
    readEventFile(path.join(root, file)).flatMap((e) =>
      (e.summary?.value ?? []).filter((v) => v.metadata?.plugin_data?.plugin_name === "hparams"),
    );
  const files = findEventFiles(root);
  const top = hparamsValues(files.find((f) => path.dirname(f) === ".")!);
  assert.deepEqual(
    top.map((v) => v.tag),
    ["_hparams_/experiment"],
  );
  const run = hparamsValues(files.find((f) => f.startsWith(path.join("trial_a", "trial_a-0")))!);
  assert.deepEqual(
    run.map((v) => v.tag),
    ["_hparams_/session_start_info", "_hparams_/session_end_info"],
  );
  for (const v of [...top, ...run]) {
    assert.equal(v.tensor?.dtype, 1, "DT_FLOAT null tensor, as tensorboard.plugins.hparams writes");
    assert.ok(v.metadata!.plugin_data!.content!.length > 0);
  }
  // The session start names the params and the trial as its group (TensorBoard's own parser checks the rest).
  const start = Buffer.from(run[0].metadata!.plugin_data!.content!).toString("latin1");
  for (const s of ["lr", "layers", "[64,32]", "trial_a"]) assert.ok(start.includes(s), `${s} in session_start_info`);
});
