import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { expman, spawnExpman, toyConfig } from "./helpers/cli";
import { doubleCtrlC, exitOf, startWithSlowBundle, waitForLine, type DoubleCtrlC } from "./helpers/signals";

function db(file: string) {
  return new Database(file, { readonly: true });
}

test("expman run: trials x repeats end SUCCESS in the DB with epochs, metrics, params, checkpoints; ls/show/export read them", () => {
  const { dir, workspace, db: dbFile } = toyConfig();
  const r = expman(["run", dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /trial\s+repeat\s+seed\s+status/);
  assert.match(r.stdout, /Experiment 'toy' SUCCESS/);

  const ls = expman(["ls", "--workspace", workspace, "--json"]);
  assert.equal(ls.code, 0, ls.stderr);
  const runs = JSON.parse(ls.stdout) as {
    id: number;
    trialName: string;
    repeat: number;
    seed: number;
    status: string;
    epochCount: number;
    params: Record<string, unknown>;
    finalMetrics: Record<string, number>;
  }[];
  assert.deepEqual(
    runs.map((x) => [x.trialName, x.repeat, x.seed, x.status, x.epochCount]),
    [
      ["a", 0, 100, "SUCCESS", 4],
      ["a", 1, 101, "SUCCESS", 4],
      ["b", 0, 100, "SUCCESS", 4],
    ],
  );
  assert.equal(runs[0].params.arg, 42, "trial args reach env.args of that trial's runs");
  assert.equal(runs[2].params.arg, null, "and not the other trial's");
  assert.equal(runs[2].params.lr, 0.2, "trial settings are merged over base.yaml");
  assert.equal(runs[0].finalMetrics.test_acc, 0.9);
  assert.equal(runs[0].finalMetrics.train_loss, 0.25);

  const show = JSON.parse(expman(["show", "a-1", "--db", dbFile, "--json"]).stdout);
  assert.equal(show.run.seed, 101);
  assert.deepEqual(
    show.checkpoints.map((c: { path: string; epoch: number; final: boolean; exists: boolean }) => [
      path.basename(c.path),
      c.epoch,
      c.final,
      c.exists,
    ]),
    [
      ["checkpoint-0", 1, false, true],
      ["checkpoint-1", 3, false, true],
      ["checkpoint-final", 3, true, true],
    ],
  );
  assert.deepEqual(
    JSON.parse(fs.readFileSync(show.checkpoints[0].path, "utf8")),
    { w: 0.81 },
    "a real checkpoint file that loads back",
  );

  const csv = expman(["export", "a-0", "--db", dbFile, "--key", "train_loss"]).stdout.trim().split("\n");
  assert.equal(csv[0], "key,scope,step,value,time");
  assert.deepEqual(
    csv.slice(1).map((l) => l.split(",").slice(0, 4).join(",")),
    [
      "train_loss,epoch,0,1",
      "train_loss,epoch,1,0.5",
      "train_loss,epoch,2,0.3333333333333333",
      "train_loss,epoch,3,0.25",
    ],
  );

  // The original's layout: root, trial and run environments with logs/configs/artifacts.
  for (const rel of [
    "logs",
    "configs/env.yaml",
    "configs/experiment.yaml",
    "configs/base.yaml",
    "configs/trials.yaml",
    "artifacts/experiment.log",
    "a/configs/experiment.yaml",
    "a/a-0/artifacts/metrics.log",
    "a/a-1/logs",
    "b/b-0/artifacts/checkpoint-final",
  ]) {
    assert.ok(fs.existsSync(path.join(workspace, rel)), `${rel} exists`);
  }
  const logFiles = fs
    .readdirSync(workspace, { recursive: true })
    .map(String)
    .filter((f) => path.basename(f).includes("log") && fs.statSync(path.join(workspace, f)).isFile());
  // 1 root log + experiment.log + 2 trial logs + 3 run logs + 3 metrics.log
  assert.equal(logFiles.length, 10, logFiles.join(", "));

  const conn = db(dbFile);
  assert.deepEqual(conn.pragma("foreign_key_check"), []);
  assert.equal(conn.pragma("integrity_check", { simple: true }), "ok");
  conn.close();
});

test("config errors: missing file, YAML syntax, unknown pipeline type, wrong option type each name file:line:col; nothing runs", () => {
  const missing = toyConfig();
  fs.rmSync(path.join(missing.dir, "trials.yaml"));
  let r = expman(["run", missing.dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /trials\.yaml:1:1: error: Missing configuration file trials\.yaml/);

  const syntax = toyConfig({ experiment: "name: toy\ndesc: [unclosed\n" });
  r = expman(["run", syntax.dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /experiment\.yaml:\d+:\d+: error: .*(flow|collection|unclosed|Missing|expected)/i);

  const unknown = toyConfig({ base: "pipeline:\n  type: Tyo\n  epochs: 2\n" });
  r = expman(["run", unknown.dir]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /base\.yaml:2:9: error: Unknown pipeline type 'Tyo'\. Did you mean 'Toy'\?/);

  const wrongType = toyConfig({
    base: "pipeline:\n  type: Toy\n  epochs: 2\n  callbacks:\n    - type: EarlyStopping\n      patience: three\n",
  });
  r = expman(["validate", wrongType.dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /base\.yaml:6:17: error: .*patience.*integer/);
  r = expman(["run", wrongType.dir]);
  assert.equal(r.code, 2);
  for (const c of [missing, syntax, unknown, wrongType])
    assert.ok(!fs.existsSync(c.workspace), "no workspace was written");

  const ok = toyConfig();
  r = expman(["validate", ok.dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /OK/);
});

test("a pipeline that throws ends its run FAILED with the stack in the DB; the experiment goes on; exit code 1", () => {
  const { dir, db: dbFile } = toyConfig({
    trials:
      "- name: bad\n  repeat: 1\n  settings: {}\n  args:\n    fail_in: 1\n- name: good\n  repeat: 1\n  settings: {}\n",
  });
  const r = expman(["run", dir]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /bad-0 failed: exploded in epoch 1/);
  const conn = db(dbFile);
  const rows = conn
    .prepare(
      "SELECT t.name, r.status, r.error_message, r.error_stack FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.id",
    )
    .all() as { name: string; status: string; error_message: string | null; error_stack: string | null }[];
  conn.close();
  assert.deepEqual(
    rows.map((x) => [x.name, x.status]),
    [
      ["bad", "FAILED"],
      ["good", "SUCCESS"],
    ],
  );
  assert.equal(rows[0].error_message, "exploded in epoch 1");
  assert.match(rows[0].error_stack!, /toy\.js:\d+/, "the stack points into the user's module");
});

test("SIGINT: the current run ends ABORTED at the next epoch, later runs do not start, exit 130, the DB is intact", async () => {
  const { dir, db: dbFile } = toyConfig({ epochs: 1000, sleepMs: 5 });
  const child = spawnExpman(["run", dir]);
  const exited = exitOf(child);
  await waitForLine(child.stderr!, /epoch 20\//);
  child.kill("SIGINT");
  const { code } = await exited;
  assert.equal(code, 130);
  const conn = db(dbFile);
  assert.equal(conn.pragma("integrity_check", { simple: true }), "ok");
  const runs = conn
    .prepare(
      "SELECT status, error_message, (SELECT count(*) FROM epoch WHERE run_id = trial_run.id) AS epochs FROM trial_run ORDER BY id",
    )
    .all() as { status: string; error_message: string | null; epochs: number }[];
  const exp = conn.prepare("SELECT status FROM experiment").get() as { status: string };
  const epochs = (conn.prepare("SELECT COUNT(*) AS n FROM epoch").get() as { n: number }).n;
  conn.close();
  // The whole plan was written first; the runs that never started end ABORTED too, with no epochs.
  assert.deepEqual(
    runs.map((x) => x.status),
    ["ABORTED", "ABORTED", "ABORTED"],
  );
  assert.deepEqual(
    runs.slice(1).map((x) => [x.epochs, x.error_message]),
    [
      [0, "not started: the experiment was stopped"],
      [0, "not started: the experiment was stopped"],
    ],
  );
  assert.equal(exp.status, "ABORTED");
  assert.ok(epochs >= 20, `the epochs before the interrupt are kept (${epochs})`);
});

/** What two Ctrl-C must leave: exit 130 (not killed by the signal), every run ABORTED, the DB intact. */
function assertInterrupted(r: DoubleCtrlC, what: string) {
  assert.deepEqual({ code: r.code, signal: r.signal }, { code: 130, signal: null }, what);
  assert.equal(r.integrity, "ok", what);
  // The second Ctrl-C quits at once: the runs still end ABORTED (the trackers' exit
  // handlers), the experiment too, and the epochs flushed before it are kept.
  assert.deepEqual(r.statuses, ["ABORTED", "ABORTED", "ABORTED"], what);
  assert.equal(r.experiment, "ABORTED", what);
  assert.ok(r.epochs >= 5, `${what}: the epochs before the interrupts are kept (${r.epochs})`);
}

// Each spacing twice. The moment that used to end the process by SIGINT (Node's teardown after
// the first Ctrl-C had stopped the runs, 40-140 ms after it) is hit on purpose by the watched
// case below and swept in cli-signals.stress.test.ts.
for (const gapMs of [0, 10, 30, 50]) {
  test(`two Ctrl-C ${gapMs} ms apart (twice): exit 130 (not killed by the signal), no run left RUNNING, the DB intact`, async () => {
    for (let i = 0; i < 2; i++) assertInterrupted(await doubleCtrlC(gapMs), `try ${i + 1}`);
  });
}

test(
  "after one Ctrl-C the process catches SIGINT until it is gone; a second one sent as it ends gives exit 130",
  {
    skip: process.platform !== "linux" && "reads /proc/PID/status",
  },
  async () => {
    // The second Ctrl-C goes out the moment SIGINT is no longer caught (the old teardown gap) or
    // after 200 ms (once the runs have stopped and the process is ending).
    for (let i = 0; i < 3; i++) {
      const r = await doubleCtrlC(200, { watch: true });
      assert.equal(
        r.uncaughtAtMs,
        undefined,
        `try ${i + 1}: SIGINT went back to its default action ${r.uncaughtAtMs} ms after the first Ctrl-C, while the process was still alive`,
      );
      assertInterrupted(r, `try ${i + 1}`);
    }
  },
);

test("a second Ctrl-C while the stopped run is still ending: the runs that never started end ABORTED, none left QUEUED", async () => {
  // The run takes a second to end after it stops (end_sleep_ms): the second Ctrl-C lands there,
  // before the run loop would end the runs it never started.
  const { dir, db: dbFile } = toyConfig({
    base: "seed: 100\npipeline:\n  type: Toy\n  epochs: 1000\n  sleep_ms: 5\n  end_sleep_ms: 1000\n",
  });
  const child = spawnExpman(["run", dir]);
  const exited = exitOf(child);
  await waitForLine(child.stderr!, /epoch 5\//);
  const stopping = waitForLine(child.stderr!, /stopping at the next epoch/);
  child.kill("SIGINT");
  await stopping;
  await new Promise((r) => setTimeout(r, 200));
  child.kill("SIGINT");
  assert.deepEqual(await exited, { code: 130, signal: null });
  const conn = db(dbFile);
  const runs = conn.prepare("SELECT status, error_message FROM trial_run ORDER BY id").all();
  conn.close();
  assert.deepEqual(runs, [
    { status: "ABORTED", error_message: null },
    { status: "ABORTED", error_message: "not started: the experiment was stopped" },
    { status: "ABORTED", error_message: "not started: the experiment was stopped" },
  ]);
});

test("Ctrl-C at start-up, before the CLI's own handler is there, gives exit 130, not death by SIGINT", async () => {
  // A test preload holds the bin script's require of the runtime bundle: the signal lands after
  // the bin script's first line and before any command code (the old start-up gap).
  const { dir, db: dbFile } = toyConfig({ epochs: 1000, sleepMs: 5 });
  const run = await startWithSlowBundle(["run", dir], 400);
  run.child.kill("SIGINT");
  assert.deepEqual(await run.exited, { code: 130, signal: null }, "expman run");
  // Node hands the signal to JavaScript at its next turn of the event loop, which may be after
  // the plan was stored: then every run of it is ABORTED, none is left QUEUED or RUNNING.
  if (fs.existsSync(dbFile)) {
    const conn = db(dbFile);
    const statuses = conn.prepare("SELECT status FROM trial_run UNION ALL SELECT status FROM experiment").all();
    assert.equal(conn.pragma("integrity_check", { simple: true }), "ok");
    conn.close();
    assert.ok(
      statuses.every((r) => (r as { status: string }).status === "ABORTED"),
      JSON.stringify(statuses),
    );
  }
  // A command without signal handling of its own (serve, waiting on its stdin): the bin script's handler.
  const serve = await startWithSlowBundle(["serve"], 400);
  serve.child.kill("SIGTERM");
  assert.deepEqual(await serve.exited, { code: 143, signal: null }, "expman serve, SIGTERM");
  const serve2 = await startWithSlowBundle(["serve"], 100);
  await new Promise((r) => setTimeout(r, 300)); // past the hold: serve is reading requests
  serve2.child.kill("SIGINT");
  assert.deepEqual(await serve2.exited, { code: 130, signal: null }, "expman serve, SIGINT while serving");
});

test("SIGKILL: the DB stays readable, flushed epochs are intact, and the run reads back ABORTED once the process is gone", async () => {
  const { dir, db: dbFile, workspace } = toyConfig({ epochs: 1000, sleepMs: 5 });
  const child = spawnExpman(["run", dir]);
  const exited = exitOf(child);
  await waitForLine(child.stderr!, /epoch 30\//);
  child.kill("SIGKILL");
  await exited;
  const conn = db(dbFile);
  assert.equal(conn.pragma("integrity_check", { simple: true }), "ok");
  const stored = (conn.prepare("SELECT status FROM trial_run").get() as { status: string }).status;
  const epochs = (conn.prepare("SELECT COUNT(*) AS n FROM epoch").get() as { n: number }).n;
  conn.close();
  assert.equal(stored, "RUNNING", "nobody could write the end");
  assert.ok(epochs >= 29, `epochs flushed at their ends survive the kill (${epochs})`);
  const ls = JSON.parse(expman(["ls", "--workspace", workspace, "--json"]).stdout);
  assert.equal(ls[0].status, "ABORTED", "the results API reports a dead writer's run as ABORTED");
  const series = JSON.parse(expman(["show", String(ls[0].id), "--db", dbFile, "--json"]).stdout).series as {
    key: string;
    count: number;
  }[];
  assert.ok(series.find((s) => s.key === "train_loss")!.count >= 29, "every point of the flushed epochs is readable");
});

test("--events writes the run's events as JSON lines: lifecycle in order, metrics batched, checkpoints, progress", () => {
  const { dir, workspace } = toyConfig({ trials: "- name: solo\n  repeat: 1\n  settings: {}\n" });
  const eventsFile = path.join(workspace, "..", "events.jsonl");
  const r = expman(["run", dir, "--events", eventsFile, "--quiet"]);
  assert.equal(r.code, 0, r.stderr);
  const events = fs
    .readFileSync(eventsFile, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.ok(events.every((e) => e.v === 1 && typeof e.t === "number"));
  const lifecycle = events
    .filter((e) => e.kind === "lifecycle" && e.level !== "epoch")
    .map((e) => `${e.phase} ${e.level}${e.status ? ` ${e.status}` : ""}`);
  assert.deepEqual(lifecycle, [
    "create experiment",
    "start experiment",
    "create trial",
    "start trial",
    "create trial_run",
    "start trial_run",
    "end pipeline SUCCESS",
    "end trial_run SUCCESS",
    "end trial SUCCESS",
    "end experiment SUCCESS",
  ]);
  const created = events.find((e) => e.kind === "lifecycle" && e.level === "experiment");
  assert.equal(created.name, "toy");
  assert.equal(created.plannedRuns, 1);
  const points = events.filter((e) => e.kind === "metrics").flatMap((e) => e.points);
  assert.deepEqual(
    points
      .filter((p: { key: string }) => p.key === "train_loss")
      .map((p: { step: number; value: number }) => [p.step, p.value]),
    [
      [0, 1],
      [1, 0.5],
      [2, 1 / 3],
      [3, 0.25],
    ],
  );
  const runId = events.find((e) => e.kind === "lifecycle" && e.level === "trial_run").ids.run;
  assert.ok(events.filter((e) => e.kind === "metrics").every((e) => e.ids.run === runId));
  assert.deepEqual(
    events.filter((e) => e.kind === "checkpoint").map((e) => [path.basename(e.path), e.epoch, e.final]),
    [
      ["checkpoint-0", 1, false],
      ["checkpoint-1", 3, false],
      ["checkpoint-final", 3, true],
    ],
  );
  assert.deepEqual(
    events.filter((e) => e.kind === "progress").map((e) => [e.epoch, e.epochs]),
    [
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
    ],
  );
  assert.ok(events.some((e) => e.kind === "params" && e.params.epochs === 4));
  assert.ok(events.some((e) => e.kind === "log" && /Pipeline run completed successfully/.test(e.message)));
});

test("--events fd:3 streams on an extra pipe while the pipeline's stdout stays untouched", async () => {
  const { dir } = toyConfig({ trials: "- name: solo\n  repeat: 1\n  settings: {}\n" });
  const child = spawnExpman(["run", dir, "--events", "fd:3", "--quiet"], ["ignore", "pipe", "pipe", "pipe"]);
  let events = "";
  let stdout = "";
  (child.stdio[3] as NodeJS.ReadableStream).on("data", (c: Buffer) => (events += c.toString()));
  child.stdout!.on("data", (c: Buffer) => (stdout += c.toString()));
  const { code } = await exitOf(child);
  assert.equal(code, 0);
  const kinds = new Set(
    events
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).kind),
  );
  for (const k of ["lifecycle", "metrics", "checkpoint", "progress", "params", "log"])
    assert.ok(kinds.has(k), `${k} events arrived`);
  assert.ok(!stdout.includes('"kind"'), "no events on stdout");
});

test("expman run --only: runs just the named trial; an unknown name is a config error naming the trials", () => {
  const { dir, workspace } = toyConfig();
  const r = expman(["run", dir, "--only", "b"]);
  assert.equal(r.code, 0, r.stderr);
  const runs = JSON.parse(expman(["ls", "--workspace", workspace, "--json"]).stdout) as {
    trialName: string;
    repeat: number;
    status: string;
  }[];
  assert.deepEqual(
    runs.map((x) => [x.trialName, x.repeat, x.status]),
    [["b", 0, "SUCCESS"]],
  );

  const bad = expman(["run", dir, "--only", "nope"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /trials\.yaml:1:1: error: --only 'nope': no trial of that name \(trials here: a, b\)/);
  assert.match(bad.stderr, /nothing was run/);
});

test("expman version --json: the runtime's version and the protocol versions the editor checks", () => {
  const r = expman(["version", "--json"]);
  assert.equal(r.code, 0, r.stderr);
  const info = JSON.parse(r.stdout);
  const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
  assert.equal(info.runtime, pkg.version);
  assert.deepEqual(Object.keys(info.protocols).sort(), ["control", "events", "query"]);
  for (const v of Object.values(info.protocols)) assert.ok(Number.isInteger(v) && (v as number) >= 1);
  assert.match(expman(["version"]).stdout, /^@expman\/runtime \S+ \(events v\d+, control v\d+, query v\d+\)/);
});
