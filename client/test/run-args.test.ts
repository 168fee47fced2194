// What the extension spawns for Run (maxParallelRuns → --jobs, env.yaml's parallel: wins) and
// Resume (--resume), checked on real `expman run` child processes: the argv read back from
// /proc, the runs' own worker processes in the store, the refusal of a changed config.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { jobsFor, runArgs } from "../src/core/run-args";
import { RunProcess } from "../src/core/run-process";
import { node, repoRuntime, tempWorkspace } from "./helpers";

let ws: string;
before(() => (ws = tempWorkspace()));
after(() => fs.rmSync(ws, { recursive: true, force: true }));

/** A copy of configs/quick with two trials of two repeats (four runs), under `name`. */
function fourRuns(name: string, env = ""): string {
  const dir = path.join(ws, "configs", name);
  fs.cpSync(path.join(ws, "configs", "quick"), dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, "env.yaml"),
    `workspace: ../../runs/${name}\nimports:\n  - ../../pipelines/toy.ts\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n${env}`,
  );
  fs.writeFileSync(
    path.join(dir, "trials.yaml"),
    "- name: a\n  repeat: 2\n  settings: {}\n- name: b\n  repeat: 2\n  settings: {}\n",
  );
  return dir;
}

function cmdline(pid: number): string[] {
  return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
}

describe("maxParallelRuns → expman run --jobs", () => {
  it("the setting is the default; env.yaml's parallel: wins; 1 keeps runs in the experiment's process", () => {
    const plain = fourRuns("jobs-plain");
    const own = fourRuns("jobs-own", "parallel: 3\n");
    assert.equal(jobsFor(plain, 4), 4);
    assert.equal(jobsFor(plain, 1), undefined);
    assert.equal(jobsFor(own, 4), undefined, "env.yaml says parallel: 3; the CLI reads it");
    assert.deepEqual(runArgs({ failFast: true, jobs: jobsFor(plain, 2) }), ["--fail-fast", "--jobs", "2"]);
    assert.deepEqual(runArgs({ resume: true, jobs: jobsFor(own, 2) }), ["--resume"]);
  });

  it("the spawned process carries --jobs N and its runs execute in worker processes", async () => {
    const dir = fourRuns("jobs-spawn");
    const p = new RunProcess({ node, runtime: repoRuntime, configDir: dir, args: runArgs({ jobs: jobsFor(dir, 2) }) });
    p.start();
    const argv = cmdline(p.pid!);
    const at = argv.indexOf("--jobs");
    assert.ok(at > 0, argv.join(" "));
    assert.equal(argv[at + 1], "2");
    const outcome = await p.done;
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.equal(outcome.runs.length, 4);
    const db = new Database(path.join(ws, "runs", "jobs-spawn", "artifacts", "experiment.db"), { readonly: true });
    const pids = (db.prepare("SELECT DISTINCT pid FROM trial_run").all() as { pid: number | null }[]).map((r) => r.pid);
    db.close();
    assert.ok(pids.length >= 1 && pids.every((x) => x !== null && x !== p.pid), `run writers ${pids} vs ${p.pid}`);
  });
});

describe("Resume Experiment → expman run --resume", () => {
  it("re-runs the failed run of the latest launch in the same experiment; a changed config is refused with the diff", async () => {
    const dir = path.join(ws, "configs", "failing");
    const dbFile = path.join(ws, "runs", "failing", "artifacts", "experiment.db");
    const first = new RunProcess({ node, runtime: repoRuntime, configDir: dir });
    first.start();
    assert.equal((await first.done).exitCode, 1);
    const resumed = new RunProcess({ node, runtime: repoRuntime, configDir: dir, args: runArgs({ resume: true }) });
    resumed.start();
    assert.ok(cmdline(resumed.pid!).includes("--resume"));
    const outcome = await resumed.done;
    assert.equal(outcome.exitCode, 1, "the pipeline fails again, in the resumed run");
    assert.deepEqual(
      outcome.runs.map((r) => [r.trial, r.repeat, r.status]),
      [["only", 0, "FAILED"]],
    );
    const db = new Database(dbFile, { readonly: true });
    assert.equal((db.prepare("SELECT count(*) AS n FROM experiment").get() as { n: number }).n, 1, "no new launch");
    db.close();

    fs.writeFileSync(
      path.join(dir, "base.yaml"),
      fs.readFileSync(path.join(dir, "base.yaml"), "utf8").replace("lr: 0.1", "lr: 0.2"),
    );
    const refused = new RunProcess({ node, runtime: repoRuntime, configDir: dir, args: runArgs({ resume: true }) });
    refused.start();
    const no = await refused.done;
    assert.equal(no.exitCode, 2);
    assert.equal(no.configErrors.length, 0);
    assert.match(no.errors[0], /changed since this experiment was planned/);
    assert.match(no.errors[0], /lr/);
  });
});
