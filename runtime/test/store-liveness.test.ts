/**
 * Stale runs (heartbeat), recreate under a live writer, and readers that leave nothing behind.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { Level, Metric } from "../src/common/enums";
import { ResultsStore } from "../src/results/store";
import { WriteStore } from "../src/tracking/db/write-store";
import { expman, spawnExpman, toyConfig } from "./helpers/cli";
import { dbRun } from "./helpers/db";

const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
});

/** A database with one RUNNING run whose writer row we then rewrite (pid, host, heartbeat). */
async function runningRun(): Promise<string> {
  const { root, tracker, run } = dbRun("live.db");
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 0.5);
  run.onEnd(Level.EPOCH);
  await root.flush();
  // Leave it RUNNING as a killed writer would: copy the file while the writer is open.
  const copy = path.join(path.dirname(tracker.path), "copy.db");
  const src = new Database(tracker.path, { readonly: true });
  await src.backup(copy);
  src.close();
  await root.close();
  return copy;
}

function setWriter(file: string, pid: number, host: string, heartbeat: number | null): void {
  const db = new Database(file);
  db.prepare("UPDATE experiment SET pid = ?, host = ?, heartbeat = ?").run(pid, host, heartbeat);
  db.close();
}

test("heartbeat: a live pid with a stale heartbeat (pid reused), or another host gone quiet, reads ABORTED with 'no heartbeat since'; a fresh one stays RUNNING", async () => {
  const file = await runningRun();
  const sleeper = spawn("sleep", ["30"]);
  children.push(sleeper);
  const os = await import("node:os");
  const cases: [string, number, string, number | null, string][] = [
    ["alive, fresh heartbeat", sleeper.pid!, os.hostname(), Date.now(), "RUNNING"],
    ["alive pid (reused), heartbeat 2 min old", sleeper.pid!, os.hostname(), Date.now() - 120_000, "ABORTED"],
    ["another host, heartbeat 2 min old", 1, "elsewhere.example", Date.now() - 120_000, "ABORTED"],
    ["another host, fresh heartbeat", 1, "elsewhere.example", Date.now(), "RUNNING"],
  ];
  for (const [name, pid, host, beat, want] of cases) {
    setWriter(file, pid, host, beat);
    const store = new ResultsStore(file);
    const [run] = store.listRuns();
    store.close();
    assert.equal(run.status, want, name);
    if (want === "ABORTED") assert.match(run.error?.message ?? "", /No heartbeat since \d{4}-.*pid \d+ on /, name);
  }
  sleeper.kill();
});

test("a new writer on the file stores ABORTED what stale writers left RUNNING (recoverStale is called)", async () => {
  const file = await runningRun();
  setWriter(file, 1, "elsewhere.example", Date.now() - 120_000);
  new WriteStore(file).close();
  const db = new Database(file, { readonly: true });
  const statuses = db
    .prepare("SELECT (SELECT status FROM experiment) AS e, (SELECT status FROM trial_run) AS r")
    .get() as { e: string; r: string };
  db.close();
  assert.deepEqual(statuses, { e: "ABORTED", r: "ABORTED" });
});

test("recreate: true while another experiment writes the file: refused naming its pid; the first ends SUCCESS with all its points", async () => {
  const first = toyConfig({ epochs: 12, sleepMs: 250, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  const child = spawnExpman(["run", first.dir]);
  children.push(child);
  let out = "";
  child.stderr!.on("data", (d) => (out += d));
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  for (let i = 0; i < 600 && !/epoch 2/.test(out); i++) await new Promise((r) => setTimeout(r, 50));
  // A second experiment on the same workspace and database, with recreate: true.
  const second = toyConfig({ trials: "- name: b\n  repeat: 1\n  settings: {}\n" });
  fs.writeFileSync(
    path.join(second.dir, "env.yaml"),
    `workspace: ${JSON.stringify(first.workspace)}\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n    recreate: true\n`,
  );
  const r = expman(["run", second.dir]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    new RegExp(
      `Refusing to recreate .*experiment\\.db: it is being written by experiment 'toy' by pid ${child.pid} on host`,
    ),
  );
  assert.equal(await done, 0, out);
  const store = new ResultsStore(first.db);
  try {
    const runs = store.listRuns();
    assert.deepEqual(
      runs.map((x) => [x.trialName, x.status, x.epochCount]),
      [["a", "SUCCESS", 12]],
    );
  } finally {
    store.close();
  }
});

test("readers leave no -wal/-shm beside a database whose writer has closed", () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  assert.equal(expman(["run", cfg.dir]).code, 0);
  const beside = () => fs.readdirSync(path.dirname(cfg.db)).filter((f) => f.startsWith("experiment.db"));
  assert.deepEqual(beside(), ["experiment.db"]);
  for (const args of [
    ["ls", "--db", cfg.db],
    ["show", "a-0", "--db", cfg.db],
    ["export", "a-0", "--db", cfg.db],
  ]) {
    const r = expman(args);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(beside(), ["experiment.db"], `after ${args[0]}`);
  }
  const store = new ResultsStore(cfg.db);
  store.listRuns();
  store.close();
  assert.deepEqual(beside(), ["experiment.db"], "after the results API");
});
