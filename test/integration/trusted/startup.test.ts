// Startup figures in the real editor (printed by test/bench/client.ts, asserted nowhere):
// the tree filled from cold services (what a window reload costs after activation: database
// discovery, Node and runtime checks, the query process, the queries), and Run to its row in
// the tree ("starting…" at once, then the database's experiment row).
import * as assert from "node:assert/strict";
import * as os from "node:os";
import * as vscode from "vscode";
import { waitFor } from "../../rig/host";
import { api, configUri, isExperimentRow, launchesOf, recordTiming, type RunCommandResult } from "../shared";

describe("Startup figures (trusted)", function () {
  this.timeout(120_000);

  it("tree filled from cold services", async () => {
    const a = await api();
    const samples: number[] = [];
    for (let i = 0; i < 3; i++) {
      a.resetServices();
      const t0 = performance.now();
      const roots = await a.tree.getChildren();
      samples.push(performance.now() - t0);
      assert.ok(
        roots.some((n) => isExperimentRow(n)),
        "experiments listed",
      );
    }
    recordTiming("treeColdFillMs", samples[0]);
    recordTiming("treeColdFillMedianMs", [...samples].sort((x, y) => x - y)[1]);
  });

  it("Run to its row in the tree", async () => {
    const a = await api();
    const t0 = performance.now();
    const pending = vscode.commands.executeCommand<RunCommandResult>(
      "experimentManager.runExperiment",
      configUri("quick"),
    );
    let result: RunCommandResult | undefined;
    void Promise.resolve(pending).then((r) => (result = r));
    // Launches by uid: a launch of a folder run before joins that folder's row (a group).
    const before = new Set((await a.tree.getChildren()).flatMap((n) => launchesOf(n).map((e) => e.uid)));
    await waitFor(
      "a row for the run",
      async () =>
        (await a.tree.getChildren()).some(
          (n) => n.kind === "starting" || launchesOf(n).some((e) => !before.has(e.uid)),
        ),
      30_000,
      10,
    );
    const rowMs = performance.now() - t0;
    await waitFor(
      "the experiment's row from its database",
      async () => {
        a.databases.invalidate();
        return (await a.tree.getChildren()).some((n) =>
          launchesOf(n).some((e) => !before.has(e.uid) && e.title === "quick-toy"),
        );
      },
      30_000,
      10,
    );
    const dbRowMs = performance.now() - t0;
    await waitFor("the command result", () => result, 30_000, 10);
    await a.runs.finished(result!.runId!);
    recordTiming("runToRowMs", rowMs);
    recordTiming("runToDatabaseRowMs", dbRowMs);
    recordTiming("loadAverage1m", os.loadavg()[0]);
  });
});
