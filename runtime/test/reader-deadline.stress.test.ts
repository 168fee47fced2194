/**
 * The per-file reader deadline of `expman serve` (issue 13.6): a query that runs past it is
 * stopped (its reader process killed) and answers DB_TIMEOUT, while other files keep
 * answering. Slow: it builds a database whose runs.list reads 3 M params.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { healthy, serve } from "./helpers/serve";

const services: ReturnType<typeof serve>[] = [];
after(() => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill("SIGKILL");
});

/** A valid database whose runs.list reads 3 M params: seconds of work, for the deadline. */
async function slow(): Promise<string> {
  const file = await healthy("slow.db");
  const db = new Database(file);
  db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000)
    INSERT INTO param (experiment_id, trial_id, run_id, key, value) SELECT 1, 1, 1, 'p' || x, '1' FROM c;`);
  db.close();
  return file;
}

test("serve: a query past its deadline answers DB_TIMEOUT for that file only; the others keep answering, the file is read again later", async () => {
  const slowDb = await slow();
  const good = await healthy("good2.db");
  const s = serve(["--timeout", "1000"]);
  services.push(s);
  // Warm the healthy reader first so that its answer does not wait on a process start.
  assert.equal((await s.ask("runs.list", { db: good })).result?.length, 1);
  const hanging = s.ask("runs.list", { db: slowDb });
  const meanwhile = await s.ask("series.get", { db: good, runId: 1, key: "train_loss" });
  assert.deepEqual(meanwhile.result?.values, [0.5], "the healthy file answered while the slow one was busy");
  const timedOut = await hanging;
  assert.equal(timedOut.error?.code, -32003, JSON.stringify(timedOut));
  assert.match(
    timedOut.error?.message ?? "",
    /did not finish within 1000 ms.*slow\.db|slow\.db.*did not finish within 1000 ms/,
  );
  assert.equal((await s.ask("runs.list", { db: good })).result?.length, 1);
  // The slow file gets a fresh reader: a cheap query on it answers.
  const again = await s.ask("series.keys", { db: slowDb, runId: 1 });
  assert.equal(again.result?.length, 1, JSON.stringify(again));
  s.stop();
});
