/**
 * MLflow itself reads what MLflowTracker wrote (issue 15, part 2). The fixture experiment runs
 * through the real `expman run` twice:
 *  - into the file store: MLflow's own client (`MlflowClient(tracking_uri="file:...")`) lists
 *    the experiment, the trials as parent runs with their repeats nested, params, tags, every
 *    metric point with step and timestamp, and the artifacts, as our SQLite store holds them;
 *  - into a real `mlflow server` (SQLite backend in a temp folder, artifacts proxied): the same,
 *    read back through MlflowClient over REST, and its UI's run comparison in Chromium
 *    (screenshot in test/artifacts/).
 * The fake server of runtime/test/mlflow-rest.test.ts stays for the error paths (timeouts, 5xx,
 * retries), which a healthy real server cannot produce on demand.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ResultsStore } from "../../runtime/src/results/store";
import {
  freePort,
  pythonJson,
  runFixture,
  screenshot,
  startServer,
  tempDir,
  venvPython,
  type Started,
} from "./helpers";

interface MlRun {
  run_id: string;
  run_name: string;
  status: string;
  start_time: number;
  end_time: number;
  lifecycle_stage: string;
  params: Record<string, string>;
  tags: Record<string, string>;
  metrics: Record<string, [timestamp: number, step: number, value: number][]>;
  artifacts: Record<string, string>;
}
interface MlRead {
  experiments: string[];
  experiment: { id: string; name: string; tags: Record<string, string>; lifecycle_stage: string };
  runs: MlRun[];
}

const EXPERIMENT = "realtools-iris";
let server: Started | undefined;

before(() => venvPython()); // fails here, with setup-venv.sh's message, when the tools cannot be installed
after(async () => server?.stop());

/** Checks everything MLflow read against our store of the same experiment. */
function assertSameAsStore(read: MlRead, dbFile: string): void {
  const store = new ResultsStore(dbFile);
  try {
    const [experiment] = store.listExperiments();
    assert.ok(read.experiments.includes(EXPERIMENT), read.experiments.join(", "));
    assert.equal(read.experiment.lifecycle_stage, "active");
    assert.equal(
      read.experiment.tags["mlflow.note.content"],
      experiment.desc,
      "the experiment's description is MLflow's note",
    );

    const runs = store.listRuns();
    const trials = store.listTrials(experiment.id);
    assert.equal(read.runs.length, trials.length + runs.length, "one MLflow run per trial and per trial run");
    const parents = new Map(read.runs.filter((r) => r.tags["expman.level"] === "trial").map((r) => [r.run_name, r]));
    assert.deepEqual([...parents.keys()].sort(), trials.map((t) => t.name).sort());
    for (const parent of parents.values()) {
      assert.equal(parent.tags["mlflow.parentRunId"], undefined);
      assert.equal(parent.status, parent.run_name === "broken" ? "FAILED" : "FINISHED", parent.run_name);
      assert.equal(parent.metrics.duration.length, 1);
    }

    for (const r of runs) {
      const name = `${r.trialName}-${r.repeat}`;
      const got = read.runs.find((x) => x.run_name === name && x.tags["expman.level"] === "trial_run");
      assert.ok(got, `MLflow lists run ${name}`);
      assert.equal(
        got.tags["mlflow.parentRunId"],
        parents.get(r.trialName)!.run_id,
        `${name} is nested under its trial`,
      );
      assert.equal(got.tags["mlflow.runName"], name);
      assert.equal(got.tags["expman.repeat"], String(r.repeat));
      assert.equal(got.tags["expman.seed"], String(r.seed));
      assert.equal(got.tags["expman.status"], r.status);
      assert.equal(got.status, r.status === "FAILED" ? "FAILED" : "FINISHED");
      if (r.status === "FAILED") assert.equal(got.tags["expman.error"], r.error!.message);
      const checkpoints = store.listCheckpoints(r.id);
      if (checkpoints.length > 0) assert.equal(got.tags["expman.checkpoint"], checkpoints.at(-1)!.path);
      assert.equal(got.lifecycle_stage, "active");
      // The MLflow run is created (with its start time) when the trial run is created; the store
      // starts it at its start event, which follows. Both end at the same end event.
      assert.ok(got.start_time <= r.startTime, `${name}: MLflow start ${got.start_time} <= store start ${r.startTime}`);
      assert.equal(got.end_time, r.endTime, `${name}: end time`);

      // Params: flattened to dotted keys as the store keeps them, values as text.
      const params = Object.fromEntries(
        Object.entries(r.params).map(([k, v]) => [k, typeof v === "string" ? v : JSON.stringify(v)]),
      );
      assert.deepEqual(got.params, params, `${name}: params`);

      // Every metric point: key (batch scope as batch/<key>), step, timestamp (ms), value (double, exact).
      const epochs = store.listEpochs(r.id);
      const runStep = Math.max(...epochs.map((e) => e.idx)) + 1;
      const want: Record<string, [number, number, number][]> = {};
      for (const k of store.seriesKeys(r.id)) {
        const series = store.getSeries({ runId: r.id, key: k.key, scope: k.scope });
        const key = k.scope === "batch" ? `batch/${k.key}` : k.key;
        const points = (want[key] ??= []);
        series.steps.forEach((step, i) =>
          points.push([Math.round(series.times[i]), k.scope === "run" ? runStep : step, series.values[i] as number]),
        );
      }
      const { duration, ...metrics } = got.metrics;
      assert.deepEqual(Object.keys(metrics).sort(), Object.keys(want).sort(), `${name}: metric keys`);
      const order = (a: number[], b: number[]) => a[1] - b[1] || a[0] - b[0];
      for (const [key, points] of Object.entries(want)) {
        assert.deepEqual(
          [...metrics[key]].sort(order),
          points.sort(order),
          `${name} ${key}: every (timestamp, step, value)`,
        );
      }
      assert.equal(duration.length, 1);
      assert.deepEqual(duration[0][1], runStep);

      // Artifacts: each file the run added (MetricsTracker's metrics.log), with its content;
      // checkpoints are not copied (the store keeps them apart; MLflow has the path as a tag).
      const artifacts = store.listArtifacts(r.id);
      if (r.status === "SUCCESS") assert.ok(artifacts.length > 0, `${name} added artifacts`);
      assert.deepEqual(Object.keys(got.artifacts).sort(), artifacts.map((a) => path.basename(a.path)).sort());
      for (const a of artifacts)
        assert.equal(got.artifacts[path.basename(a.path)], fs.readFileSync(a.path, "utf8"), `${name}: ${a.path}`);
    }
  } finally {
    store.close();
  }
}

test("file store: MlflowClient lists our experiment, nested runs, params, tags, every metric point and the artifacts", () => {
  const fixture = runFixture();
  // MLflow 3 keeps the file store in maintenance mode: it reads one only when asked to.
  const read = pythonJson<MlRead>("read_mlflow.py", [`file:${fixture.mlruns}`, EXPERIMENT], {
    MLFLOW_ALLOW_FILE_STORE: "true",
  });
  assertSameAsStore(read, fixture.db);
});

test("REST: MLflowTracker logs to a real `mlflow server`; MlflowClient reads the same back; the UI compares our runs (screenshot)", async () => {
  const dir = tempDir("expman-mlflow-server-");
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const bin = path.join(path.dirname(venvPython()), "mlflow");
  server = await startServer(
    bin,
    [
      "server",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--workers",
      "1",
      "--backend-store-uri",
      `sqlite:///${path.join(dir, "mlflow.db")}`,
      "--artifacts-destination",
      path.join(dir, "artifacts"),
    ],
    `${base}/health`,
    { MLFLOW_ALLOW_FILE_STORE: "" },
    180_000,
  );
  const fixture = runFixture({ trackingUri: base });
  assert.equal(fs.existsSync(fixture.mlruns), false, "REST mode writes no file store");
  const read = pythonJson<MlRead>("read_mlflow.py", [base, EXPERIMENT]);
  assertSameAsStore(read, fixture.db);

  const children = read.runs.filter((r) => r.tags["expman.level"] === "trial_run");
  const url = `${base}/#/compare-runs?runs=${encodeURIComponent(JSON.stringify(children.map((r) => r.run_id)))}&experiments=${encodeURIComponent(JSON.stringify([read.experiment.id]))}`;
  const shot = await screenshot(url, "mlflow-compare-runs", async (page) => {
    for (const r of children)
      await page.getByText(r.run_name, { exact: true }).first().waitFor({ state: "visible", timeout: 90_000 });
    await page.getByText("optimizer.lr", { exact: true }).first().waitFor({ state: "visible", timeout: 30_000 });
  });
  console.log(`screenshot: ${shot.file}`);
});
