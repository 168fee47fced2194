import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { expman, spawnExpman, toyConfig } from "./helpers/cli";
import { parseRunEvent, type RunEvent } from "../src/events/contract";
import { encodeControlMessage } from "../src/events/control";
import { waitFor } from "./helpers/wait";

// Runs as independent jobs (issue 10.1): the plan first, `--only`, `--jobs N` with real worker
// processes writing one SQLite file, crash isolation, Ctrl-C, the events of every worker.

function rows<T>(dbFile: string, sql: string): T[] {
  const conn = new Database(dbFile, { readonly: true });
  try {
    return conn.prepare(sql).all() as T[];
  } finally {
    conn.close();
  }
}

function readEvents(file: string): RunEvent[] {
  return fs
    .readFileSync(file, "utf8")
    .split("\n")
    .map(parseRunEvent)
    .filter((e): e is RunEvent => e !== undefined);
}

function exitOf(child: ReturnType<typeof spawnExpman>): Promise<number | null> {
  return new Promise((resolve) => child.on("exit", (code) => resolve(code)));
}

type RunRow = {
  id: number;
  trial: string;
  repeat: number;
  seed: number;
  status: string;
  run_index: number;
  pid: number | null;
  error_message: string | null;
  epochs: number;
};
const RUNS_SQL = `SELECT r.id, t.name AS trial, r.repeat, r.seed, r.status, r.run_index, r.pid, r.error_message,
  (SELECT count(*) FROM epoch e WHERE e.run_id = r.id) AS epochs FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.id`;

test("--jobs 2: every run in its own worker process, one store; seeds, order and results as a sequential run; events of every run", () => {
  // The first run is the slowest, so workers finish out of plan order.
  const trials =
    "- name: a\n  repeat: 3\n  settings: {}\n- name: b\n  repeat: 2\n  settings:\n    pipeline:\n      sleep_ms: 0\n";
  const par = toyConfig({ epochs: 3, sleepMs: 40, trials });
  const events = path.join(path.dirname(par.dir), "events.jsonl");
  const r = expman(["run", par.dir, "--jobs", "2", "--events", events]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /\[run 1\/5\] a-0 started \(worker pid \d+\)/);
  assert.match(r.stdout, /Experiment 'toy' SUCCESS/);

  const seq = toyConfig({ epochs: 3, sleepMs: 40, trials });
  assert.equal(expman(["run", seq.dir]).code, 0);

  const parRuns = rows<RunRow>(par.db, RUNS_SQL);
  const seqRuns = rows<RunRow>(seq.db, RUNS_SQL);
  const shape = (x: RunRow) => [x.id, x.trial, x.repeat, x.seed, x.status, x.run_index, x.epochs];
  assert.deepEqual(
    parRuns.map(shape),
    seqRuns.map(shape),
    "same rows in the same order, whatever order the workers finished in",
  );
  assert.deepEqual(
    parRuns.map((x) => x.seed),
    [100, 101, 102, 100, 101],
  );
  const [exp] = rows<{ pid: number; status: string }>(par.db, "SELECT pid, status FROM experiment");
  const pids = new Set(parRuns.map((x) => x.pid));
  assert.equal(pids.size, 5, "each run had its own worker process");
  assert.ok(!pids.has(exp.pid), "and none of them is the coordinator");
  assert.equal(exp.status, "SUCCESS");
  assert.deepEqual(
    rows<{ status: string }>(par.db, "SELECT status FROM trial ORDER BY id").map((t) => t.status),
    ["SUCCESS", "SUCCESS"],
  );

  // Same numbers as the sequential run.
  const finals = (ws: string) =>
    JSON.parse(expman(["ls", "--workspace", ws, "--json"]).stdout).map((x: { finalMetrics: object }) => x.finalMetrics);
  assert.deepEqual(finals(par.workspace), finals(seq.workspace));

  // The events channel carries every worker's events, with their run ids; trials announced once.
  const ev = readEvents(events);
  const runUids = new Set(ev.filter((e) => e.kind === "metrics").map((e) => (e as { ids: { run?: string } }).ids.run));
  assert.equal(runUids.size, 5, "metric points of all five runs");
  const lifecycle = ev.filter((e): e is Extract<RunEvent, { kind: "lifecycle" }> => e.kind === "lifecycle");
  assert.equal(lifecycle.filter((e) => e.level === "experiment" && e.phase === "create").length, 1);
  assert.equal(lifecycle.filter((e) => e.level === "trial" && e.phase === "create").length, 2);
  assert.deepEqual(
    lifecycle
      .filter((e) => e.level === "trial" && e.phase === "end")
      .map((e) => [e.name, e.status])
      .sort(),
    [
      ["a", "SUCCESS"],
      ["b", "SUCCESS"],
    ],
  );
  assert.equal(
    lifecycle.filter((e) => e.level === "trial_run" && e.phase === "end" && e.status === "SUCCESS").length,
    5,
  );
  assert.equal(lifecycle.filter((e) => e.level === "experiment" && e.phase === "end")[0]?.status, "SUCCESS");
  const conn = new Database(par.db, { readonly: true });
  assert.equal(conn.pragma("integrity_check", { simple: true }), "ok");
  assert.deepEqual(conn.pragma("foreign_key_check"), []);
  conn.close();
});

test("the plan is in the store before anything runs: every run QUEUED, then RUNNING, then ended", async () => {
  const cfg = toyConfig({ epochs: 400, sleepMs: 5 });
  const child = spawnExpman(["run", cfg.dir, "--jobs", "1"]);
  const exited = exitOf(child);
  const seen = await waitFor(
    "the first run RUNNING",
    () => {
      const runs = rows<RunRow>(cfg.db, RUNS_SQL);
      return runs.length === 3 && runs[0].status === "RUNNING" ? runs : undefined;
    },
    60_000,
  );
  assert.deepEqual(
    seen.map((x) => [x.trial, x.repeat, x.seed, x.status]),
    [
      ["a", 0, 100, "RUNNING"],
      ["a", 1, 101, "QUEUED"],
      ["b", 0, 100, "QUEUED"],
    ],
  );
  const ls = JSON.parse(expman(["ls", "--workspace", cfg.workspace, "--json"]).stdout) as { status: string }[];
  assert.deepEqual(
    ls.map((x) => x.status),
    ["RUNNING", "QUEUED", "QUEUED"],
    "readers show the whole plan",
  );
  child.kill("SIGINT");
  assert.equal(await exited, 130);
});

test("a worker that is killed, exits or fails takes no other run down; it reads ABORTED / FAILED with the reason; exit 1", () => {
  const trials =
    "- name: ok\n  repeat: 2\n  settings: {}\n" +
    "- name: killed\n  repeat: 1\n  settings: {}\n  args:\n    kill_in: 1\n" +
    "- name: failed\n  repeat: 1\n  settings: {}\n  args:\n    fail_in: 1\n" +
    "- name: exited\n  repeat: 1\n  settings: {}\n  args:\n    exit_in: 1\n";
  const cfg = toyConfig({ epochs: 3, trials });
  const r = expman(["run", cfg.dir, "--jobs", "2"]);
  assert.equal(r.code, 1, r.stderr);
  const runs = rows<RunRow>(cfg.db, RUNS_SQL);
  assert.deepEqual(
    runs.map((x) => [x.trial, x.status, x.epochs]),
    [
      ["ok", "SUCCESS", 3],
      ["ok", "SUCCESS", 3],
      ["killed", "ABORTED", 2],
      ["failed", "FAILED", 2],
      ["exited", "ABORTED", 2],
    ],
  );
  assert.match(runs[2].error_message ?? "", /worker process \d+ was killed \(SIGKILL\)/);
  assert.match(runs[3].error_message ?? "", /exploded in epoch 1/);
  assert.deepEqual(
    rows<{ status: string }>(cfg.db, "SELECT status FROM epoch WHERE status = 'RUNNING'"),
    [],
    "no epoch left RUNNING",
  );
  assert.equal(rows<{ status: string }>(cfg.db, "SELECT status FROM experiment")[0].status, "ABORTED");
  assert.match(r.stderr, /\[run 3\/5\] killed-0 ABORTED/);
});

test("Ctrl-C on the coordinator: active workers end ABORTED at their next epoch, queued runs never start, exit 130", async () => {
  const cfg = toyConfig({ epochs: 1000, sleepMs: 5, trials: "- name: a\n  repeat: 5\n  settings: {}\n" });
  const child = spawnExpman(["run", cfg.dir, "--jobs", "2"]);
  const exited = exitOf(child);
  await waitFor(
    "two runs past epoch 3",
    () => {
      const runs = rows<RunRow>(cfg.db, RUNS_SQL);
      return runs.filter((x) => x.status === "RUNNING" && x.epochs >= 3).length === 2 ? true : undefined;
    },
    60_000,
  );
  child.kill("SIGINT");
  assert.equal(await exited, 130);
  const runs = rows<RunRow>(cfg.db, RUNS_SQL);
  assert.deepEqual(
    runs.map((x) => x.status),
    ["ABORTED", "ABORTED", "ABORTED", "ABORTED", "ABORTED"],
  );
  assert.ok(runs[0].epochs >= 3 && runs[1].epochs >= 3, "the active runs keep their epochs");
  assert.deepEqual(
    runs.slice(2).map((x) => [x.epochs, x.pid, x.error_message]),
    Array(3).fill([0, null, "not started: the experiment was stopped"]),
  );
  assert.equal(rows<{ status: string }>(cfg.db, "SELECT status FROM experiment")[0].status, "ABORTED");
  const alive = runs.slice(0, 2).filter((x) => {
    try {
      process.kill(x.pid!, 0);
      return true;
    } catch {
      return false;
    }
  });
  assert.deepEqual(alive, [], "no worker outlives its coordinator");
});

test("--only <trial>-<repeat> and --only <trial>: just those runs, with the seeds and indices they have in the whole plan; a wrong one changes nothing", () => {
  const cfg = toyConfig({ epochs: 2 });
  let r = expman(["run", cfg.dir, "--only", "a-1"]);
  assert.equal(r.code, 0, r.stderr);
  let runs = rows<RunRow>(cfg.db, RUNS_SQL);
  assert.deepEqual(
    runs.map((x) => [x.trial, x.repeat, x.seed, x.run_index, x.status, x.epochs]),
    [["a", 1, 101, 1, "SUCCESS", 2]],
  );

  r = expman(["run", cfg.dir, "--only", "b,a-0", "--jobs", "2"]);
  assert.equal(r.code, 0, r.stderr);
  runs = rows<RunRow>(cfg.db, RUNS_SQL).slice(1);
  assert.deepEqual(
    runs.map((x) => [x.trial, x.repeat, x.seed, x.run_index, x.status]),
    [
      ["a", 0, 100, 0, "SUCCESS"],
      ["b", 0, 100, 2, "SUCCESS"],
    ],
  );

  const before = rows<{ n: number }>(cfg.db, "SELECT count(*) AS n FROM experiment")[0].n;
  r = expman(["run", cfg.dir, "--only", "a-7"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /trials\.yaml:1:1: error: --only 'a-7': trial 'a' has repeats 0-1 \(trials here: a, b\)/);
  r = expman(["run", cfg.dir, "--only", "zz", "--jobs", "2"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--only 'zz': no trial of that name \(trials here: a, b\)[\s\S]*nothing was run/);
  assert.equal(
    rows<{ n: number }>(cfg.db, "SELECT count(*) AS n FROM experiment")[0].n,
    before,
    "nothing written for a bad --only",
  );
  r = expman(["run", cfg.dir, "--jobs", "0"]);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--jobs must be a whole number of parallel runs >= 1/);
});

test("--jobs with --control: a stop request stops that run's worker only (ABORTED), a waiting run never starts, the others finish", async () => {
  const cfg = toyConfig({
    epochs: 300,
    sleepMs: 10,
    trials:
      "- name: a\n  repeat: 2\n  settings: {}\n- name: b\n  repeat: 2\n  settings:\n    pipeline:\n      epochs: 3\n",
  });
  const child = spawnExpman(["run", cfg.dir, "--jobs", "2", "--control", "fd:3"], ["ignore", "pipe", "pipe", "pipe"]);
  const exited = exitOf(child);
  const control = child.stdio[3] as NodeJS.WritableStream;
  await waitFor(
    "a-0 and a-1 running",
    () =>
      rows<RunRow>(cfg.db, RUNS_SQL).filter((x) => x.status === "RUNNING" && x.epochs >= 2).length === 2
        ? true
        : undefined,
    60_000,
  );
  control.write(encodeControlMessage({ kind: "stop", run: { trial: "b", repeat: 1 } }));
  control.write(encodeControlMessage({ kind: "stop", run: { trial: "a", repeat: 0 } }));
  await waitFor(
    "a-0 ABORTED",
    () => (rows<RunRow>(cfg.db, RUNS_SQL)[0].status === "ABORTED" ? true : undefined),
    60_000,
  );
  control.write(encodeControlMessage({ kind: "stop", run: { trial: "a", repeat: 1 } }));
  assert.equal(await exited, 0, "runs stopped on request are not failures");
  const runs = rows<RunRow>(cfg.db, RUNS_SQL);
  assert.deepEqual(
    runs.map((x) => [x.trial, x.repeat, x.status]),
    [
      ["a", 0, "ABORTED"],
      ["a", 1, "ABORTED"],
      ["b", 0, "SUCCESS"],
      ["b", 1, "ABORTED"],
    ],
  );
  assert.ok(runs[0].epochs >= 2 && runs[0].epochs < 300, "a-0 stopped part-way");
  assert.deepEqual([runs[3].epochs, runs[3].pid, runs[3].error_message], [0, null, "stopped before it started"]);
});

test("parallel: N in env.yaml runs workers; the worker refuses a config that changed since the plan, writing nothing", () => {
  const cfg = toyConfig({
    epochs: 2,
    env: "workspace: ../ws\nparallel: 2\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
  });
  const r = expman(["run", cfg.dir]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /started \(worker pid \d+\)/);
  const [exp] = rows<{ uid: string }>(cfg.db, "SELECT uid FROM experiment");

  fs.writeFileSync(
    path.join(cfg.dir, "base.yaml"),
    fs.readFileSync(path.join(cfg.dir, "base.yaml"), "utf8").replace("seed: 100", "seed: 7"),
  );
  const before = rows<RunRow>(cfg.db, RUNS_SQL);
  const w = expman(["worker", cfg.dir, "--experiment", exp.uid, "--index", "0"]);
  assert.equal(w.code, 2);
  assert.match(w.stderr, /changed since this experiment was planned[\s\S]*base\.yaml: seed: 100 -> 7/);
  assert.deepEqual(rows<RunRow>(cfg.db, RUNS_SQL), before);

  const unknown = expman(["worker", cfg.dir, "--experiment", "no-such-uid", "--index", "0"]);
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Experiment no-such-uid is not in .*experiment\.db: nothing to continue/);
});
