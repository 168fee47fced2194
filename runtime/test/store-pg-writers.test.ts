import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as readline from "node:readline";
import { ResultsStore } from "../src/results/store";
import { REPO } from "./helpers/cli";
import { tempDir } from "./helpers/env";
import { freshPgStore } from "./helpers/pg";

/**
 * Many writers on one PostgreSQL store (real server, real processes): concurrent writer
 * processes lose no point, and a writer killed mid-run leaves its run reading ABORTED.
 */

const RUNTIME_DIST = path.join(REPO, "runtime", "dist", "index.js");

/**
 * A writer process: one experiment, one trial, `runs` runs of `epochs` x `batches` points each
 * (train_loss = writer*1e6 + run*1e4 + global step, so every point is checkable), then exits;
 * with `hang`, it prints "flushed" after the first epoch of its first run and waits to be killed.
 */
const WRITER = `
const rt = require(${JSON.stringify(RUNTIME_DIST)});
const { TrackerManager, Level, Metric, RunStatus } = rt;
const [url, ws, writer, runs, epochs, batches, hang] = process.argv.slice(1);
(async () => {
  const root = TrackerManager.fromConfig({ trackers: [{ type: "DBTracker", url, flush_interval: 0.2 }] }, ws);
  root.onCreate(Level.EXPERIMENT, { name: "writer-" + writer });
  root.onStart(Level.EXPERIMENT);
  const trial = root.createChild(ws + "/t");
  trial.onCreate(Level.TRIAL, "t" + writer);
  trial.onStart(Level.TRIAL);
  for (let r = 0; r < +runs; r++) {
    const run = trial.createChild(ws + "/t/" + r);
    run.onCreate(Level.TRIAL_RUN, { repeat: r, seed: r });
    run.onStart(Level.TRIAL_RUN);
    let step = 0;
    for (let e = 0; e < +epochs; e++) {
      run.onCreate(Level.EPOCH, { epochId: e });
      run.onStart(Level.EPOCH, { epochId: e });
      for (let b = 0; b < +batches; b++) {
        run.onCreate(Level.BATCH, { batchId: b });
        run.onStart(Level.BATCH, { batchId: b });
        run.trackDict({ [Metric.TRAIN_LOSS]: +writer * 1e6 + r * 1e4 + step++ });
        run.onEnd(Level.BATCH);
      }
      run.trackDict({ [Metric.VAL_LOSS]: e });
      run.onEnd(Level.EPOCH);
      if (hang === "hang") {
        process.stdout.write("flushed\\n");
        setInterval(() => {}, 1000);
        return;
      }
    }
    run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
    await run.close();
  }
  trial.onEnd(Level.TRIAL);
  root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
  await root.close();
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\\n"); process.exit(1); });
`;

function startWriter(args: (string | number)[]): ChildProcess {
  return spawn(process.execPath, ["-e", WRITER, ...args.map(String)], { stdio: ["ignore", "pipe", "pipe"] });
}

function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

test("8 writer processes x 4 runs each into one PostgreSQL store at once: every point is there, in order", async () => {
  const store = freshPgStore("conc");
  const ws = tempDir("pg-writers-");
  const WRITERS = 8;
  const RUNS = 4;
  const EPOCHS = 3;
  const BATCHES = 400;
  try {
    const children = Array.from({ length: WRITERS }, (_, w) =>
      startWriter([store.url, path.join(ws, `w${w}`), w, RUNS, EPOCHS, BATCHES]),
    );
    const results = await Promise.all(children.map(exited));
    for (const [w, r] of results.entries()) assert.equal(r.code, 0, `writer ${w}: ${r.stderr}`);
    const reader = ResultsStore.open(store.url);
    try {
      const experiments = reader.listExperiments();
      assert.equal(experiments.length, WRITERS);
      assert.ok(experiments.every((e) => e.status === "SUCCESS" && e.runCount === RUNS));
      const runs = reader.listRuns();
      assert.equal(runs.length, WRITERS * RUNS);
      let points = 0;
      for (const run of runs) {
        assert.equal(run.status, "SUCCESS");
        const writer = Number(run.experimentTitle.slice("writer-".length));
        const series = reader.getSeries({ runId: run.id, key: "train_loss" });
        const n = EPOCHS * BATCHES;
        assert.equal(series.totalPoints, n, `${run.experimentTitle} run ${run.repeat}`);
        const expected = Array.from({ length: n }, (_, i) => writer * 1e6 + run.repeat * 1e4 + i);
        assert.deepEqual(series.values, expected, `${run.experimentTitle} run ${run.repeat}: values in step order`);
        assert.deepEqual(reader.getSeries({ runId: run.id, key: "val_loss" }).values, [0, 1, 2]);
        assert.deepEqual(
          reader.listEpochs(run.id).map((e) => e.batchCount),
          Array(EPOCHS).fill(BATCHES),
        );
        points += series.totalPoints + 3;
      }
      assert.equal(points, WRITERS * RUNS * (EPOCHS * BATCHES + EPOCHS));
    } finally {
      reader.close();
    }
  } finally {
    store.drop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});

test("a writer killed mid-run (SIGKILL): its run, trial and experiment read ABORTED, with what it flushed", async () => {
  const store = freshPgStore("kill");
  const ws = tempDir("pg-kill-");
  try {
    const child = startWriter([store.url, ws, 7, 1, 5, 300, "hang"]);
    const done = exited(child);
    const lines = readline.createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on("line", (l) => l === "flushed" && resolve());
      child.on("exit", (code) => reject(new Error(`writer exited ${code} before flushing`)));
    });
    // RUNNING while its writer lives.
    let reader = ResultsStore.open(store.url);
    assert.equal(reader.listRuns()[0].status, "RUNNING");
    reader.close();
    child.kill("SIGKILL");
    await done;
    reader = ResultsStore.open(store.url);
    try {
      const [experiment] = reader.listExperiments();
      assert.equal(experiment.status, "ABORTED");
      const [run] = reader.listRuns();
      assert.equal(run.status, "ABORTED");
      assert.match(run.error?.message ?? "", /writer \(pid \d+ on .*\) is gone/);
      assert.equal(
        reader.getSeries({ runId: run.id, key: "train_loss" }).totalPoints,
        300,
        "the flushed epoch is kept",
      );
    } finally {
      reader.close();
    }
  } finally {
    store.drop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
