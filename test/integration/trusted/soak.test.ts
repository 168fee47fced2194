// Issue 13.11, the extension host's half of the long live watch: an experiment of 10 runs
// streams points at full speed while the Experiments view is open on it, and the extension
// host's memory (JS heap after a full GC, read in the host itself: these suites run in it)
// after the last run is within 20% of what it was after the first. The tree refreshes the
// rows of the runs that change, not the whole tree. Points per run: EXPMAN_SOAK_POINTS
// (default 3,000 here; `node test/bench/soak-editor.mjs` runs it with 100,000).
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, latestLaunch, type RunCommandResult } from "../shared";

/** A full GC on demand in this process (the extension host was not started with --expose-gc). */
function exposeGc(): () => void {
  v8.setFlagsFromString("--expose_gc");
  return vm.runInNewContext("gc") as () => void;
}

function heapAfterGc(gc: () => void): { heapMB: number; rssMB: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { heapMB: m.heapUsed / 2 ** 20, rssMB: m.rss / 2 ** 20 };
}

describe("Soak: the extension host while 10 runs stream (trusted)", function () {
  const points = Number(process.env.EXPMAN_SOAK_POINTS ?? 3000);
  this.timeout(Math.max(300_000, points * 20));

  it("its memory after the last run is within 20% of after the first; the tree refreshed rows, not reloads", async () => {
    const a = await api();
    const gc = exposeGc();
    const root = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = path.join(root, "configs", "soak");
    fs.mkdirSync(dir, { recursive: true });
    const batches = Math.max(1, Math.round(points / 10));
    fs.writeFileSync(
      path.join(dir, "env.yaml"),
      "workspace: ../../runs/soak\nimports:\n  - ../../pipelines/toy.ts\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n",
    );
    fs.writeFileSync(path.join(dir, "experiment.yaml"), "name: soak-toy\ndesc: Ten runs streaming points.\n");
    fs.writeFileSync(
      path.join(dir, "base.yaml"),
      `seed: 1\npipeline:\n  type: CurvePipeline\n  epochs: 10\n  batches: ${batches}\n`,
    );
    fs.writeFileSync(path.join(dir, "trials.yaml"), "- name: stream\n  repeat: 10\n  settings: {}\n");
    await vscode.commands.executeCommand("experimentManager.experiments.focus");

    const counts = a.tree.refreshCounts;
    const before = { ...counts };
    const start = heapAfterGc(gc);
    const result = await vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      vscode.Uri.file(path.join(dir, "base.yaml")),
    );
    assert.equal(result.started, true, JSON.stringify(result));
    const managed = a.runs.get(result.runId!)!;
    // The view open on the experiment's runs while they stream: VS Code asks for the rows again
    // on every refresh of them.
    const launch = await waitFor("the soak experiment in the tree", async () => {
      a.databases.invalidate();
      return latestLaunch(a, "soak-toy");
    });
    // A reveal that races a reload of the view can fail ("Cannot resolve tree item"): try again.
    await waitFor(
      "the soak experiment revealed in the view",
      async () => {
        try {
          await a.tree.view?.reveal(launch, { expand: 3, focus: false, select: false });
          return true;
        } catch {
          return undefined;
        }
      },
      30_000,
      300,
    );
    // Runs that end from now on have their rows loaded: each end must refresh its row. (Under
    // load the reveal can come late, after some of the ten short runs have ended.)
    const endedBeforeReveal = managed.process.seenRuns?.filter((r) => r.status !== "RUNNING").length ?? 0;
    const firstEnded = await waitFor(
      "the first run's end",
      () => {
        const first = managed.process.seenRuns?.[0];
        return first && first.status !== "RUNNING" ? first : undefined;
      },
      Math.max(120_000, points * 5),
      50,
    );
    assert.equal(firstEnded.status, "SUCCESS");
    const afterFirst = heapAfterGc(gc);
    const outcome = await a.runs.finished(result.runId!);
    assert.equal(outcome!.exitCode, 0, outcome!.stderrTail);
    assert.equal(outcome!.runs.length, 10);
    // Let the last coalesced refreshes land, then measure.
    await new Promise((r) => setTimeout(r, 2_000));
    const afterLast = heapAfterGc(gc);
    const rows = counts.rows - before.rows;
    const full = counts.full - before.full;
    const figures = {
      pointsPerRun: 10 * batches + 10,
      runs: 10,
      heapMB: { start: start.heapMB, afterFirst: afterFirst.heapMB, afterLast: afterLast.heapMB },
      rssMB: { start: start.rssMB, afterFirst: afterFirst.rssMB, afterLast: afterLast.rssMB },
      growthPercent: ((afterLast.heapMB - afterFirst.heapMB) / afterFirst.heapMB) * 100,
      treeRefreshes: { rows, full },
      runsEndedBeforeTheTreeShowedThem: endedBeforeReveal,
    };
    console.log(`soak: ${JSON.stringify(figures)}`);
    const repo = process.env.EXPMAN_REPO_ROOT;
    if (repo)
      fs.writeFileSync(
        path.join(repo, "test", "artifacts", "soak-extension-host.json"),
        JSON.stringify(figures, null, 2),
      );
    assert.ok(
      afterLast.heapMB <= afterFirst.heapMB * 1.2,
      `extension host heap ${afterFirst.heapMB.toFixed(1)} MB after the first run, ${afterLast.heapMB.toFixed(1)} MB after the last`,
    );
    // The rows of the streaming runs were refreshed; the tree was reloaded only a few times
    // (the run starting, its database appearing, the experiment ending), not per event.
    // Not one per run: a run's end that falls in the same coalescing window as a reload (its
    // database appearing, the experiment ending) is shown by that reload.
    const endedAfterReveal = 10 - endedBeforeReveal;
    assert.ok(
      rows >= Math.min(3, endedAfterReveal),
      `row refreshes: ${rows}, runs ended after the rows were loaded: ${endedAfterReveal}`,
    );
    assert.ok(full <= 20, `full reloads: ${full} (row refreshes ${rows})`);
  });
});
