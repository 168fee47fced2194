/**
 * TensorBoard itself reads what TensorBoardTracker wrote (issue 15, part 1): the fixture
 * experiment runs through the real `expman run`, then
 *  - TensorBoard's Python loader (plugin_event_multiplexer, as `tensorboard --logdir` loads)
 *    returns every scalar with the tag, step, wall time and value our SQLite store holds for the
 *    same run, the params as text, and the HParams summaries the HParams plugin parses;
 *  - a real `tensorboard` server (its Rust data server where available) answers the HParams
 *    plugin's own API with our sessions, and its scalars dashboard in Chromium lists our runs
 *    (screenshots in test/artifacts/).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as path from "node:path";
import { ResultsStore } from "../../runtime/src/results/store";
import type { RunSummary } from "../../runtime/src/results/contract";
import { freePort, pythonJson, runFixture, screenshot, startServer, venvPython, type Started } from "./helpers";

type Point = [wallTime: number, step: number, value: number];
interface TbRun {
  scalars: Record<string, Point[]>;
  text: Record<string, [number, number, string][]>;
  hparams: Record<string, Record<string, any>>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

let fixture: ReturnType<typeof runFixture>;
let tb: Record<string, TbRun>;
let runs: RunSummary[];
let store: ResultsStore;
let server: Started | undefined;
let base = "";

before(() => {
  venvPython(); // fails here, with setup-venv.sh's message, when the tools cannot be installed
  fixture = runFixture();
  tb = pythonJson<{ runs: Record<string, TbRun> }>("read_tensorboard.py", [fixture.tensorboard]).runs;
  store = new ResultsStore(fixture.db);
  runs = store.listRuns();
});

after(async () => {
  store?.close();
  await server?.stop();
});

const runName = (r: RunSummary) => `${r.trialName}/${r.trialName}-${r.repeat}`;

/** What TensorBoard must show for a run, from the store: tag -> points sorted by step. */
function expectedScalars(r: RunSummary): Record<string, Point[]> {
  const epochs = store.listEpochs(r.id);
  const runStep = epochs.length === 0 ? 0 : Math.max(...epochs.map((e) => e.idx)) + 1; // lastEpoch + 1
  const out: Record<string, Point[]> = {};
  for (const k of store.seriesKeys(r.id)) {
    const series = store.getSeries({ runId: r.id, key: k.key, scope: k.scope });
    const tag = k.scope === "batch" ? `batch/${k.key}` : k.key;
    const points = (out[tag] ??= []);
    series.steps.forEach((step, i) => {
      // TensorBoard keeps simple_value as float32; wall times are the points' ms as seconds.
      points.push([
        series.times[i] / 1000,
        k.scope === "run" ? runStep : step,
        Math.fround(series.values[i] as number),
      ]);
    });
  }
  for (const points of Object.values(out)) points.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  return out;
}

test("TensorBoard's loader reads every run, tag, step, wall time and value our store holds", () => {
  assert.equal(runs.length, 5, "2 trials x 2 repeats, and broken-0");
  assert.deepEqual(
    Object.keys(tb).sort(),
    [
      ".",
      "broken",
      "broken/broken-0",
      "fast_lr",
      "fast_lr/fast_lr-0",
      "fast_lr/fast_lr-1",
      "slow_lr",
      "slow_lr/slow_lr-0",
      "slow_lr/slow_lr-1",
    ],
    "one TensorBoard run per trial run, per trial (its duration) and the experiment (hparams info)",
  );
  let compared = 0;
  for (const r of runs) {
    const got = tb[runName(r)];
    assert.ok(got, `TensorBoard sees run ${runName(r)}`);
    const want = expectedScalars(r);
    const { "trial_run/duration": duration, ...scalars } = got.scalars;
    assert.deepEqual(Object.keys(scalars).sort(), Object.keys(want).sort(), `${runName(r)}: the same tags`);
    for (const [tag, points] of Object.entries(want)) {
      const read = [...scalars[tag]].sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      assert.deepEqual(read, points, `${runName(r)} ${tag}: every (wall time, step, value)`);
      compared += points.length;
    }
    // The batch curve and the epoch curve of one metric stay apart (they used to share a tag).
    assert.ok(scalars["batch/train_loss"].length > scalars["train_loss"].length);
    assert.equal(duration.length, 1);
    assert.equal(
      duration[0][2],
      Math.fround((r.endTime! - r.startTime) / 1000),
      "trial_run/duration is the run's wall time",
    );
  }
  assert.ok(compared > 200, `compared ${compared} points`);
  for (const trial of ["slow_lr", "fast_lr", "broken"]) assert.equal(tb[trial].scalars["trial/duration"].length, 1);
});

test("params as text and run status as TensorBoard's text plugin reads them", () => {
  for (const r of runs) {
    const text = tb[runName(r)].text;
    const top = new Map<string, string>();
    for (const [tag, points] of Object.entries(text)) if (tag.startsWith("param/")) top.set(tag.slice(6), points[0][2]);
    assert.deepEqual([...top.keys()].sort(), [...new Set(Object.keys(r.params).map((k) => k.split(".")[0]))].sort());
    assert.equal(top.get("hidden"), String(r.params.hidden));
    assert.deepEqual(JSON.parse(top.get("optimizer")!), {
      type: r.params["optimizer.type"],
      lr: r.params["optimizer.lr"],
      momentum: r.params["optimizer.momentum"],
    });
    const status = text["trial_run/status"][0][2];
    assert.equal(status, r.status === "FAILED" ? `FAILED: ${r.error!.message}` : r.status);
  }
});

test("the HParams plugin parses our session start/end and experiment summaries: params, groups, status, metrics", () => {
  for (const r of runs) {
    const h = tb[runName(r)].hparams;
    const start = h["_hparams_/session_start_info"].session_start_info;
    assert.deepEqual(start.hparams, r.params, `${runName(r)}: hparams are the run's params, as stored`);
    assert.equal(start.group_name, r.trialName);
    assert.equal(start.start_time_secs, r.startTime / 1000, "the run's start event, as the store has it");
    const end = h["_hparams_/session_end_info"].session_end_info;
    assert.equal(end.status, r.status === "FAILED" ? "STATUS_FAILURE" : "STATUS_SUCCESS", `${runName(r)}: ${r.status}`);
    assert.equal(end.end_time_secs, r.endTime! / 1000, "the run's end event, as the store has it");
  }
  const exp = tb["."].hparams["_hparams_/experiment"].experiment;
  const infos = new Map<string, { type: string; domain_discrete?: unknown[] }>(
    exp.hparam_infos.map((i: { name: string }) => [i.name, i]),
  );
  assert.deepEqual([...infos.keys()].sort(), Object.keys(runs[0].params).sort());
  assert.deepEqual(infos.get("optimizer.lr"), {
    name: "optimizer.lr",
    display_name: "optimizer.lr",
    type: "DATA_TYPE_FLOAT64",
    domain_discrete: [0.02, 0.1, 0.4],
    differs: true,
  });
  assert.deepEqual(infos.get("seed")!.domain_discrete, [11, 12]);
  assert.equal(infos.get("optimizer.type")!.type, "DATA_TYPE_STRING");
  const metricTags = exp.metric_infos.map((m: { name: { tag: string } }) => m.name.tag).sort();
  assert.deepEqual(metricTags, Object.keys(tb["slow_lr/slow_lr-0"].scalars).sort());
});

test("a real tensorboard server: the HParams API lists our session groups, the scalars dashboard our runs (screenshots)", async () => {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const bin = path.join(path.dirname(venvPython()), "tensorboard");
  server = await startServer(
    bin,
    ["--logdir", fixture.tensorboard, "--host", "127.0.0.1", "--port", String(port), "--reload_interval", "0"],
    `${base}/data/runs`,
  );
  // Runs appear as the server's loader gets to them.
  let served: string[] = [];
  for (let i = 0; i < 100 && served.length < 7; i++) {
    served = (await (await fetch(`${base}/data/runs`)).json()) as string[];
    if (served.length < 7) await new Promise((r) => setTimeout(r, 300));
  }
  assert.deepEqual(served.sort(), Object.keys(tb).sort(), `the server's loader sees the same runs\n${server.output()}`);

  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${base}/data/plugin/hparams/${route}`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-XSRF-Protected": "1" },
      body: JSON.stringify(body),
    });
    assert.equal(res.status, 200, `${route}: ${await res.clone().text()}`);
    return res.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  const experiment = await post("experiment", { experimentName: "" });
  assert.ok(experiment.hparamInfos.some((i: { name: string }) => i.name === "optimizer.lr"));
  const groups = await post("session_groups", {
    experimentName: "",
    allowedStatuses: ["STATUS_UNKNOWN", "STATUS_SUCCESS", "STATUS_FAILURE", "STATUS_RUNNING"],
    colParams: [],
    startIndex: 0,
    sliceSize: 100,
  });
  assert.deepEqual(groups.sessionGroups.map((g: { name: string }) => g.name).sort(), ["broken", "fast_lr", "slow_lr"]);
  for (const g of groups.sessionGroups as {
    name: string;
    hparams: Record<string, unknown>;
    sessions: {
      name: string;
      status: string;
      metricValues: { name: { tag: string }; value: number; trainingStep: number }[];
    }[];
  }[]) {
    const mine = runs.filter((r) => r.trialName === g.name);
    assert.deepEqual(g.sessions.map((s) => s.name).sort(), mine.map(runName).sort());
    for (const s of g.sessions) {
      const r = mine.find((x) => runName(x) === s.name)!;
      assert.equal(s.status, r.status === "FAILED" ? "STATUS_FAILURE" : "STATUS_SUCCESS");
      const valLoss = s.metricValues.find((m) => m.name.tag === "val_loss")!;
      const want = expectedScalars(r).val_loss.at(-1)!;
      assert.deepEqual(
        [valLoss.trainingStep, valLoss.value],
        [want[1], want[2]],
        `${s.name}: the dashboard's val_loss is the last epoch's`,
      );
    }
  }

  const shot = await screenshot(`${base}/#scalars`, "tensorboard-scalars", async (page) => {
    for (const r of runs)
      await page.getByText(runName(r), { exact: true }).first().waitFor({ state: "visible", timeout: 60_000 });
    await page.getByText("train_loss", { exact: true }).first().waitFor({ state: "visible", timeout: 60_000 });
  });
  console.log(`screenshot: ${shot.file}`);
  // The HParams table: one row per session group (a trial, its repeats aggregated), with the
  // hparams that differ between trials shown.
  const hparamsShot = await screenshot(`${base}/#hparams`, "tensorboard-hparams", async (page) => {
    for (const name of ["fast_lr", "slow_lr", "broken", "optimizer.lr"]) {
      await page.getByText(name, { exact: true }).first().waitFor({ state: "visible", timeout: 60_000 });
    }
  });
  console.log(`screenshot: ${hparamsShot.file}`);
});
