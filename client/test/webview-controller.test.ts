import { test } from "node:test";
import assert from "node:assert/strict";
import type { MetricsEvent, RunConfig } from "@expman/runtime/contracts";
import type { HostToWebview } from "../src/webview/contract";
import { PanelController } from "../src/webview/panel-controller";
import { LiveCoalescer } from "../src/webview/live-coalescer";
import { contentSecurityPolicy, panelHtml } from "../src/webview/html";
import { MemorySource, summary, syntheticSeries } from "../../test/webview/harness/memory-source";
import { waitFor } from "../../runtime/test/helpers/wait";

function setup(runIds = [1, 2]) {
  const source = new MemorySource();
  for (const id of runIds) {
    source.add({
      summary: summary(id, { status: "RUNNING" }),
      series: [
        syntheticSeries("train/loss", 1000, { seed: id }),
        syntheticSeries("val/acc", 10, { scope: "epoch", seed: id }),
      ],
      checkpoints: [{ id: 100 + id, runId: id, epoch: 3, path: `/ck/${id}.pt`, final: false, time: 0, metrics: {} }],
    });
  }
  const sent: HostToWebview[] = [];
  const logs: string[] = [];
  const saved: { name: string; format: string; bytes: Uint8Array }[] = [];
  const controller = new PanelController(
    { kind: "runs", runIds },
    source,
    {
      post: (m) => void sent.push(m),
      saveFile: async (name, format, bytes) => {
        saved.push({ name, format, bytes });
        return `/out/${name}`;
      },
      log: (l) => void logs.push(l),
    },
    undefined,
    20,
  );
  return { source, controller, sent, logs, saved };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("ready: the controller sends init (runs with keys, settings) and checkpoints", async () => {
  const { controller, sent } = setup();
  await controller.receive({ type: "ready" });
  const init = sent.find((m) => m.type === "init");
  assert.ok(init && init.type === "init");
  assert.equal(init.runs.length, 2);
  assert.deepEqual(
    init.runs[0].keys.map((k) => [k.key, k.scope, k.count]),
    [
      ["train/loss", "batch", 1000],
      ["val/acc", "epoch", 10],
    ],
  );
  assert.equal(init.settings.smoothing, 0.6);
  assert.equal(sent.filter((m) => m.type === "checkpoints").length, 2);
  controller.dispose();
});

test("series requests: answered packed, reduced when asked, errors per query", async () => {
  const { controller, sent } = setup();
  await controller.receive({ type: "ready" });
  await controller.receive({
    type: "requestSeries",
    requestId: 7,
    queries: [
      { runId: 1, key: "train/loss", scope: "batch", buckets: 50 },
      { runId: 1, key: "nope" },
    ],
  });
  const reply = sent.find((m) => m.type === "series");
  assert.ok(reply && reply.type === "series");
  assert.equal(reply.requestId, 7);
  assert.equal(reply.series.length, 1);
  assert.ok(reply.series[0].steps instanceof Float64Array);
  assert.equal(reply.series[0].downsampled, true);
  assert.ok(reply.series[0].steps.length <= 150);
  assert.equal(reply.errors.length, 1);
  assert.match(reply.errors[0].message, /nope/);
  controller.dispose();
});

test("a webview message of the wrong shape is logged and dropped", async () => {
  const { controller, sent, logs } = setup();
  await controller.receive({ type: "requestSeries", requestId: "x" });
  await controller.receive("hello");
  assert.equal(sent.length, 0);
  assert.equal(logs.length, 2);
  assert.match(logs[0], /requestSeries.requestId: expected an integer/);
  controller.dispose();
});

test("live metrics are coalesced into one append of only new points; NaN travels as null + nonFinite", async () => {
  const { controller, sent, source } = setup();
  await controller.receive({ type: "ready" });
  // The webview fetched the whole series up to step 999: live repeats of it are not re-sent.
  await controller.receive({
    type: "requestSeries",
    requestId: 1,
    queries: [{ runId: 1, key: "train/loss", scope: "batch" }],
  });
  const ev = (run: string, steps: number[], value: number | string = 0.5): MetricsEvent => ({
    v: 1,
    t: 0,
    kind: "metrics",
    ids: { run },
    points: steps.map((step) => ({ key: "train/loss", scope: "batch", step, value, time: 1 })),
  });
  source.emit(ev("run-1", [998, 999, 1000, 1001]));
  source.emit(ev("run-1", [1001, 1002], "NaN"));
  source.emit(ev("run-2", [5]));
  source.emit(ev("run-unknown", [1]));
  await wait(60);
  const appends = sent.filter((m) => m.type === "append");
  assert.equal(appends.length, 1);
  const a = appends[0];
  assert.ok(a.type === "append");
  const d1 = a.deltas.find((d) => d.runId === 1)!;
  assert.deepEqual(d1.steps, [1000, 1001, 1002]);
  assert.deepEqual(d1.values, [0.5, 0.5, null]);
  assert.deepEqual(d1.nonFinite, { 2: "NaN" });
  assert.deepEqual(a.deltas.find((d) => d.runId === 2)!.steps, [5]);
  controller.dispose();
});

test("live points that arrive before the webview is ready are not lost: they follow the first listing", async () => {
  const { controller, sent, source } = setup();
  // The run logs while the panel is still loading: the database snapshot may not hold these yet.
  source.emit({
    v: 1,
    t: 0,
    kind: "metrics",
    ids: { run: "run-1" },
    points: [1000, 1001].map((step) => ({ key: "train/loss", scope: "batch", step, value: 0.25, time: 1 })),
  });
  await controller.receive({ type: "ready" });
  await wait(60);
  const appends = sent.filter((m) => m.type === "append");
  assert.equal(appends.length, 1, JSON.stringify(sent.map((m) => m.type)));
  const a = appends[0];
  assert.ok(a.type === "append");
  assert.deepEqual(a.deltas.find((d) => d.runId === 1)!.steps, [1000, 1001]);
  controller.dispose();
});

test("a lifecycle event refreshes the run list; a checkpoint event re-sends checkpoints", async () => {
  const { controller, sent, source } = setup();
  await controller.receive({ type: "ready" });
  source.runs.get(1)!.summary.status = "SUCCESS";
  source.emit({
    v: 1,
    t: 0,
    kind: "lifecycle",
    phase: "end",
    level: "trial_run",
    ids: { run: "run-1" },
    status: "SUCCESS",
  });
  source.emit({
    v: 1,
    t: 0,
    kind: "checkpoint",
    ids: { run: "run-1" },
    path: "/ck/x.pt",
    epoch: 4,
    final: true,
    metrics: {},
  });
  await wait(700);
  const runs = sent.filter((m) => m.type === "runs");
  assert.equal(runs.length, 1);
  assert.ok(runs[0].type === "runs" && runs[0].runs[0].summary.status === "SUCCESS");
  assert.equal(sent.filter((m) => m.type === "checkpoints").length, 3);
  controller.dispose();
});

test("exports go through saveFile (PNG decoded from base64); reveal reaches the data source", async () => {
  const { controller, sent, saved, source } = setup();
  await controller.receive({ type: "export", format: "csv", suggestedName: "m.csv", content: "a,b\n" });
  await controller.receive({
    type: "export",
    format: "png",
    suggestedName: "m.png",
    content: Buffer.from([137, 80, 78, 71]).toString("base64"),
  });
  assert.equal(new TextDecoder().decode(saved[0].bytes), "a,b\n");
  assert.deepEqual(Array.from(saved[1].bytes), [137, 80, 78, 71]);
  assert.ok(sent.some((m) => m.type === "notice" && m.message === "Saved /out/m.png"));
  await controller.receive({ type: "revealCheckpoint", runId: 1, checkpointId: 101, path: "/ck/1.pt" });
  assert.deepEqual(source.revealed, [{ runId: 1, checkpointId: 101, path: "/ck/1.pt" }]);
  controller.dispose();
});

test("a failing data source becomes a notice, not a crash", async () => {
  const { controller, sent, source } = setup();
  source.listRuns = async () => {
    throw new Error("database is locked");
  };
  await controller.receive({ type: "ready" });
  assert.ok(sent.some((m) => m.type === "notice" && m.level === "error" && /database is locked/.test(m.message)));
  controller.dispose();
});

test("dispose stops live forwarding", async () => {
  const { controller, sent, source } = setup();
  await controller.receive({ type: "ready" });
  controller.dispose();
  source.emit({
    v: 1,
    t: 0,
    kind: "metrics",
    ids: { run: "run-1" },
    points: [{ key: "k", scope: "batch", step: 1, value: 1, time: 0 }],
  });
  await wait(50);
  assert.equal(sent.filter((m) => m.type === "append").length, 0);
});

test("coalescer: run-scope points without a step are numbered; flush timer batches", async () => {
  const out: unknown[] = [];
  const c = new LiveCoalescer((d) => out.push(d), 10);
  c.add(1, { points: [{ key: "final", scope: "run", step: null, value: 1, time: 0 }] });
  c.add(1, { points: [{ key: "final", scope: "run", step: null, value: 2, time: 0 }] });
  await wait(40);
  assert.equal(out.length, 1);
  assert.deepEqual((out[0] as { steps: number[] }[])[0].steps, [0, 1]);
  c.dispose();
});

test("HTML: strict CSP with a nonce, no inline allowances, script carries the nonce", () => {
  const html = panelHtml({
    cspSource: "vscode-resource:",
    scriptUri: "s.js",
    styleUri: "s.css",
    title: "<x>",
    nonce: "abc",
  });
  const csp = contentSecurityPolicy("vscode-resource:", "abc");
  assert.match(csp, /^default-src 'none'/);
  assert.match(csp, /script-src 'nonce-abc'/);
  assert.doesNotMatch(csp, /unsafe/);
  assert.ok(html.includes(`<script nonce="abc" src="s.js"></script>`));
  assert.ok(html.includes("&#60;x&#62;"));
  assert.doesNotMatch(html, /https?:/);
});

test("series queries run at most 8 at a time and every one is answered, in order", async () => {
  const { controller, sent, source } = setup();
  let running = 0;
  let peak = 0;
  const original = source.getSeries.bind(source);
  source.getSeries = async (q) => {
    running++;
    peak = Math.max(peak, running);
    await wait(2);
    running--;
    return original(q);
  };
  const queries = Array.from({ length: 30 }, (_, i) => ({
    runId: (i % 2) + 1,
    key: i % 3 === 0 ? "val/acc" : "train/loss",
  }));
  await controller.receive({ type: "requestSeries", requestId: 3, queries });
  const reply = sent.find((m) => m.type === "series");
  assert.ok(reply && reply.type === "series");
  assert.equal(reply.series.length, 30);
  assert.deepEqual(
    reply.series.map((s) => s.key),
    queries.map((q) => q.key),
  );
  assert.ok(peak <= 8, `peak ${peak}`);
  controller.dispose();
});

test("a new run of the experiment: its first metrics are held until the run list knows it, then sent", async () => {
  const source = new MemorySource();
  source.add({ summary: summary(1), series: [syntheticSeries("loss", 10, { seed: 1 })], checkpoints: [] });
  const sent: HostToWebview[] = [];
  const controller = new PanelController(
    { kind: "experiment", experimentId: 1 },
    source,
    { post: (m) => void sent.push(m), saveFile: async () => undefined, log: () => undefined },
    undefined,
    20,
  );
  await controller.receive({ type: "ready" });
  // Run 2 starts: metrics arrive before the panel's run list has it.
  source.emit({ v: 1, t: 0, kind: "lifecycle", phase: "start", level: "trial_run", ids: { run: "run-2" } });
  source.emit({
    v: 1,
    t: 0,
    kind: "metrics",
    ids: { run: "run-2" },
    points: [{ key: "loss", scope: "batch", step: 0, value: 1, time: 0 }],
  });
  source.add({ summary: summary(2), series: [], checkpoints: [] });
  source.emit({
    v: 1,
    t: 0,
    kind: "metrics",
    ids: { run: "run-2" },
    points: [{ key: "loss", scope: "batch", step: 1, value: 2, time: 0 }],
  });
  // The run list is re-read 500 ms after the lifecycle event and the held points go out with
  // the coalescer's next flush: wait for both (timers run late on a loaded machine).
  const appendedSteps = () =>
    sent.flatMap((m) => (m.type === "append" ? m.deltas.filter((d) => d.runId === 2).flatMap((d) => d.steps) : []));
  await waitFor("run 2's held points sent", () => appendedSteps().length >= 2);
  const runs = sent.find((m) => m.type === "runs");
  assert.ok(runs && runs.type === "runs" && runs.runs.some((r) => r.summary.id === 2));
  await wait(100); // a duplicate flush would come within the coalescer's 20 ms
  assert.deepEqual(appendedSteps(), [0, 1]);
  controller.dispose();
});

test("compare two runs: the settings that differ between their merged configs; a run without a config says so", async () => {
  const { controller, sent, source } = setup([1, 2]);
  const configs: Record<number, RunConfig | null> = {
    1: {
      runId: 1,
      trial: "a",
      env: { seed: 1 },
      experiment: { name: "x" },
      settings: { lr: 0.1, opt: { name: "adam" } },
    },
    2: {
      runId: 2,
      trial: "b",
      env: { seed: 1 },
      experiment: { name: "x" },
      settings: { lr: 0.2, opt: { name: "adam" }, wd: 0.01 },
    },
  };
  (source as unknown as { runConfig: (id: number) => Promise<RunConfig | null> }).runConfig = async (id) =>
    configs[id] ?? null;
  await controller.receive({ type: "ready" });
  await controller.receive({ type: "compareRuns", runIds: [1, 2] });
  const answer = sent.find((m) => m.type === "comparison");
  assert.deepEqual(answer, {
    type: "comparison",
    runIds: [1, 2],
    differences: [
      { path: "settings: lr", a: 0.1, b: 0.2 },
      { path: "settings: wd", b: 0.01 },
    ],
    same: 3,
  });
  configs[2] = null;
  await controller.receive({ type: "compareRuns", runIds: [1, 2] });
  const missing = sent.filter((m) => m.type === "comparison").pop();
  assert.ok(missing?.type === "comparison" && /config of run 2 is not in the database/.test(missing.error ?? ""));
  controller.dispose();
});

test("edit a run's note from the panel: the host asks and saves, then the runs are listed again", async () => {
  const source = new MemorySource();
  source.add({ summary: summary(1), series: [], checkpoints: [] });
  const sent: HostToWebview[] = [];
  const asked: [number, string, string | undefined][] = [];
  const controller = new PanelController({ kind: "runs", runIds: [1], db: "/x.db" }, source, {
    post: (m) => void sent.push(m),
    saveFile: async () => undefined,
    log: () => undefined,
    editRun: async (runId, what, db) => {
      asked.push([runId, what, db]);
      source.runs.get(1)!.summary.note = "saved";
      return true;
    },
  });
  await controller.receive({ type: "ready" });
  await controller.receive({ type: "editRun", runId: 1, what: "note" });
  assert.deepEqual(asked, [[1, "note", "/x.db"]]);
  const runs = sent.filter((m) => m.type === "runs").pop();
  assert.ok(runs?.type === "runs" && runs.runs[0].summary.note === "saved");
  controller.dispose();
});

test("followStore: points written to the store after the fetch reach the charts as appended points, once", async () => {
  // A run that sends no events (the Python original's, started with python.runCommand).
  const { source, controller, sent } = setup([1]);
  await controller.receive({ type: "ready" });
  await controller.receive({
    type: "requestSeries",
    requestId: 1,
    queries: [{ runId: 1, key: "val/acc", scope: "epoch" }],
  });
  const run = source.runs.get(1)!;
  const grown = syntheticSeries("val/acc", 14, { scope: "epoch", seed: 1 });
  run.series = run.series.map((s) => (s.key === "val/acc" ? grown : s));
  await controller.followStore();
  const appended = sent.filter((m) => m.type === "append").flatMap((m) => (m.type === "append" ? m.deltas : []));
  assert.deepEqual(
    appended.map((d) => [d.runId, d.key, d.scope, d.steps]),
    [[1, "val/acc", "epoch", [10, 11, 12, 13]]],
  );
  assert.deepEqual(appended[0].values, [...grown.values.slice(10)]);
  // Nothing new: nothing sent; and a series never fetched is not read.
  const before = sent.length;
  await controller.followStore();
  assert.equal(sent.filter((m) => m.type === "append").length, 1);
  assert.equal(sent.length, before);
  controller.dispose();
});
