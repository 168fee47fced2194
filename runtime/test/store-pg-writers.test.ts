import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { ResultsStore } from "../src/results/store";
import { tempDir } from "./helpers/env";
import { freshPgStore } from "./helpers/pg";
import { exited, startWriter } from "./helpers/pg-writer";
import * as readline from "node:readline";

/** A writer process (real server, real process) killed mid-run leaves its run reading ABORTED. */

test("a writer killed mid-run (SIGKILL): its run, trial and experiment read ABORTED, with what it flushed", async () => {
  const store = freshPgStore("kill");
  const ws = tempDir("pg-kill-");
  try {
    const child = startWriter([store.url, ws, 7, 1, 5, 300, "hang"]);
    const done = exited(child);
    const lines = readline.createInterface({ input: child.stdout! });
    await new Promise<void>((resolve, reject) => {
      lines.on("line", (l) => l === "flushed" && resolve());
      child.on("exit", (code) => reject(new Error(`writer exited ${code} before flushing`)));
    });
    // RUNNING while its writer lives.
    let reader = ResultsStore.open(store.url);
    assert.equal(reader.listRuns()[0].status, "RUNNING");
    reader.close();
    child.kill("SIGKILL");
    await done;
    reader = ResultsStore.open(store.url);
    try {
      const [experiment] = reader.listExperiments();
      assert.equal(experiment.status, "ABORTED");
      const [run] = reader.listRuns();
      assert.equal(run.status, "ABORTED");
      assert.match(run.error?.message ?? "", /writer \(pid \d+ on .*\) is gone/);
      assert.equal(
        reader.getSeries({ runId: run.id, key: "train_loss" }).totalPoints,
        300,
        "the flushed epoch is kept",
      );
    } finally {
      reader.close();
    }
  } finally {
    store.drop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
