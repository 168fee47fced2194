import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ResultsStore } from "../src/results/store";
import { tempDir } from "./helpers/env";
import { freshPgStore } from "./helpers/pg";
import { exited, startWriter } from "./helpers/pg-writer";

/**
 * Many writers on one PostgreSQL store (real server, real processes): 8 writer processes at
 * once lose no point. Slow on a loaded 2-core machine (8 Node processes), hence a stress test
 * (npm run test:stress, part of npm run test:all and CI).
 */

test("8 writer processes x 4 runs each into one PostgreSQL store at once: every point is there, in order", async () => {
  const store = freshPgStore("conc");
  const ws = tempDir("pg-writers-");
  const WRITERS = 8;
  const RUNS = 4;
  const EPOCHS = 3;
  const BATCHES = 400;
  try {
    const children = Array.from({ length: WRITERS }, (_, w) =>
      startWriter([store.url, path.join(ws, `w${w}`), w, RUNS, EPOCHS, BATCHES]),
    );
    const results = await Promise.all(children.map(exited));
    for (const [w, r] of results.entries()) assert.equal(r.code, 0, `writer ${w}: ${r.stderr}`);
    const reader = ResultsStore.open(store.url);
    try {
      const experiments = reader.listExperiments();
      assert.equal(experiments.length, WRITERS);
      assert.ok(experiments.every((e) => e.status === "SUCCESS" && e.runCount === RUNS));
      const runs = reader.listRuns();
      assert.equal(runs.length, WRITERS * RUNS);
      let points = 0;
      for (const run of runs) {
        assert.equal(run.status, "SUCCESS");
        const writer = Number(run.experimentTitle.slice("writer-".length));
        const series = reader.getSeries({ runId: run.id, key: "train_loss" });
        const n = EPOCHS * BATCHES;
        assert.equal(series.totalPoints, n, `${run.experimentTitle} run ${run.repeat}`);
        const expected = Array.from({ length: n }, (_, i) => writer * 1e6 + run.repeat * 1e4 + i);
        assert.deepEqual(series.values, expected, `${run.experimentTitle} run ${run.repeat}: values in step order`);
        assert.deepEqual(reader.getSeries({ runId: run.id, key: "val_loss" }).values, [0, 1, 2]);
        assert.deepEqual(
          reader.listEpochs(run.id).map((e) => e.batchCount),
          Array(EPOCHS).fill(BATCHES),
        );
        points += series.totalPoints + 3;
      }
      assert.equal(points, WRITERS * RUNS * (EPOCHS * BATCHES + EPOCHS));
    } finally {
      reader.close();
    }
  } finally {
    store.drop();
    fs.rmSync(ws, { recursive: true, force: true });
  }
});
