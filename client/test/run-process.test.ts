// RunProcess and RunManager against real `expman run` child processes on the fixture configs.
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { RunEvent } from "@expman/runtime/contracts";
import { RunManager } from "../src/core/run-manager";
import { RunProcess, configErrorLines, progressText } from "../src/core/run-process";
import { validateConfigDir } from "../src/core/validate-config";
import { node, repoRuntime, tempWorkspace } from "./helpers";

let ws: string;
before(() => (ws = tempWorkspace()));
after(() => fs.rmSync(ws, { recursive: true, force: true }));

const spec = (name: string, graceMs = 10_000) => ({
  node,
  runtime: repoRuntime,
  configDir: path.join(ws, "configs", name),
  graceMs,
});

describe("RunProcess", () => {
  it("runs an experiment: output passed through, events read from fd 3, runs recorded", async () => {
    const events: RunEvent[] = [];
    let stdout = "";
    const p = new RunProcess(spec("quick"), {
      event: (e) => events.push(e),
      output: (t, s) => s === "stdout" && (stdout += t),
    });
    p.start();
    const outcome = await p.done;
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.equal(outcome.stopped, false);
    assert.deepEqual(
      outcome.runs.map((r) => [r.trial, r.repeat, r.status]),
      [["only", 0, "SUCCESS"]],
    );
    assert.match(stdout, /quick-toy/);
    assert.ok(events.some((e) => e.kind === "checkpoint"));
    const progress = events.filter((e) => e.kind === "progress");
    assert.equal(progress.length, 3);
    assert.equal(progressText(p.lastProgress), "only 1/1 · epoch 3/3 · run 1 of 1");
    assert.equal(p.experimentName, "quick-toy");
  });

  it("a pipeline that throws: exit 1, the run FAILED with the error message", async () => {
    const p = new RunProcess(spec("failing"));
    p.start();
    const outcome = await p.done;
    assert.equal(outcome.exitCode, 1);
    assert.equal(outcome.runs[0].status, "FAILED");
    assert.match(outcome.runs[0].error!.message, /toy failure at epoch 1/);
  });

  it("stop: SIGINT ends the current run ABORTED and the process exits 130", async () => {
    const p = new RunProcess(spec("slow"), {
      event: (e) => {
        if (e.kind === "progress" && e.epoch === 1) p.stop();
      },
    });
    p.start();
    const outcome = await p.done;
    assert.equal(outcome.stopped, true);
    assert.equal(outcome.killed, false);
    assert.equal(outcome.exitCode, 130, outcome.stderrTail);
    assert.equal(outcome.runs[0].status, "ABORTED");
  });

  it("stopRun: that run ends ABORTED, the experiment goes on with its next run (control channel, fd 4)", async () => {
    let requested = false;
    const p = new RunProcess(spec("stoppable"), {
      event: (e) => {
        if (!requested && e.kind === "progress" && e.trial === "long" && e.epoch === 1)
          requested = p.stopRun({ trial: "long", repeat: 0 });
      },
    });
    p.start();
    assert.equal(p.canStopRuns, true);
    const outcome = await p.done;
    assert.equal(requested, true);
    assert.equal(outcome.stopped, false);
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
    assert.deepEqual(
      outcome.runs.map((r) => [r.trial, r.status]),
      [
        ["long", "ABORTED"],
        ["short", "SUCCESS"],
      ],
    );
    assert.match(outcome.stderrTail, /stop requested for run long-0/);
    assert.equal(p.stopRun({ trial: "short", repeat: 0 }), false, "nothing to stop once the process ended");
  });

  it("stopRun for a run that has not started: it ends ABORTED when it starts, the others run", async () => {
    let requested = false;
    const p = new RunProcess(spec("stoppable"), {
      event: (e) => {
        if (!requested && e.kind === "progress" && e.trial === "long") {
          requested = p.stopRun({ trial: "short", repeat: 0 }) && p.stopRun({ trial: "long", repeat: 0 });
        }
      },
    });
    p.start();
    const outcome = await p.done;
    assert.deepEqual(
      outcome.runs.map((r) => [r.trial, r.status]),
      [
        ["long", "ABORTED"],
        ["short", "ABORTED"],
      ],
    );
    assert.equal(outcome.exitCode, 0, outcome.stderrTail);
  });

  it("stop escalates to killing the process tree after the grace period", async () => {
    // 60 s between epochs: SIGINT alone would wait for the next epoch.
    const base = path.join(ws, "configs", "slow", "base.yaml");
    const hang = path.join(ws, "configs", "hang");
    fs.cpSync(path.dirname(base), hang, { recursive: true });
    fs.writeFileSync(
      path.join(hang, "base.yaml"),
      fs.readFileSync(base, "utf8").replace("delay_ms: 100", "delay_ms: 60000"),
    );
    const p = new RunProcess(
      { ...spec("hang"), graceMs: 300 },
      {
        event: (e) => {
          if (e.kind === "progress") p.stop();
        },
      },
    );
    p.start();
    const outcome = await p.done;
    assert.equal(outcome.stopped, true);
    assert.equal(outcome.killed, true);
    assert.equal(outcome.signal, "SIGKILL");
  });

  it("Node missing: the outcome says so, nothing throws", async () => {
    const p = new RunProcess({ ...spec("quick"), node: "/nonexistent/bin/node" });
    p.start();
    const outcome = await p.done;
    assert.notEqual(outcome.exitCode, 0);
    assert.match(outcome.errors.join("\n"), /Node\.js not found: '\/nonexistent\/bin\/node'/);
  });

  it("configErrorLines picks the file:line:col lines", () => {
    assert.deepEqual(configErrorLines("x\n/a/base.yaml:3:9: error: Unknown pipeline type 'P'.\n2 problem(s)\n"), [
      "/a/base.yaml:3:9: error: Unknown pipeline type 'P'.",
    ]);
  });
});

describe("validateConfigDir", () => {
  it("lists the errors of a broken folder with positions", async () => {
    const r = await validateConfigDir(node, repoRuntime, path.join(ws, "configs", "broken"));
    assert.equal(r.ok, false);
    assert.equal(r.errors.length, 2);
    assert.match(r.errors[0], /base\.yaml:3:9: error: Unknown pipeline type 'ToyPipelin'/);
    assert.match(r.errors[1], /val_los/);
  });

  it("accepts a valid folder", async () => {
    const r = await validateConfigDir(node, repoRuntime, path.join(ws, "configs", "quick"));
    assert.deepEqual(r.errors, []);
    assert.equal(r.ok, true);
  });
});

describe("RunManager", () => {
  it("queues beyond maxParallelRuns and starts the next when one ends", async () => {
    const manager = new RunManager(() => 1);
    const states: string[] = [];
    manager.onDidChange((r) => states.push(`${r.id}:${r.state}`));
    const a = manager.enqueue(spec("quick"), "a");
    const b = manager.enqueue(spec("quick"), "b");
    assert.equal(a.state, "running");
    assert.equal(b.state, "queued");
    await manager.finished(b.id);
    assert.equal(a.outcome!.exitCode, 0);
    assert.equal(b.outcome!.exitCode, 0);
    assert.ok(states.indexOf("1:done") < states.indexOf("2:running"), states.join(" "));
    assert.ok(typeof a.firstEpochMs === "number");
    manager.dispose();
  });

  it("runs side by side with maxParallelRuns 2; stopping a queued run removes it", async () => {
    const manager = new RunManager(() => 2);
    const a = manager.enqueue(spec("quick"), "a");
    const b = manager.enqueue(spec("quick"), "b");
    const c = manager.enqueue(spec("quick"), "c");
    assert.deepEqual([a.state, b.state, c.state], ["running", "running", "queued"]);
    assert.equal(manager.stop(c.id), true);
    assert.equal(c.state, "done");
    assert.equal(c.outcome!.stopped, true);
    await Promise.all([manager.finished(a.id), manager.finished(b.id)]);
    assert.equal(c.process.pid, undefined, "the removed run never started");
    manager.dispose();
  });
});
