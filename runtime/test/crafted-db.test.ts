/**
 * Crafted and damaged databases never hang a reader: the schema is checked (tables, not
 * views), every query of `ls`/`show`/`export`/`serve` runs in a per-file process with a
 * deadline, and the query service keeps answering for the other files.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import * as readline from "node:readline";
import Database from "better-sqlite3";
import { Level, Metric } from "../src/common/enums";
import { expman, EXPMAN, REPO } from "./helpers/cli";
import { dbRun } from "./helpers/db";

/** A healthy database with one run and a few points. */
async function healthy(name: string): Promise<string> {
  const { root, tracker, run } = dbRun(name);
  run.onCreate(Level.EPOCH, 0);
  run.track(Metric.TRAIN_LOSS, 0.5);
  run.onEnd(Level.EPOCH);
  run.onEnd(Level.TRIAL_RUN);
  await root.close();
  return tracker.path;
}

/** The `experiment` table replaced by an endlessly recursive view (issue 13.6). */
async function recursiveView(): Promise<string> {
  const file = await healthy("crafted.db");
  const db = new Database(file);
  db.pragma("foreign_keys = OFF");
  db.exec(`ALTER TABLE experiment RENAME TO experiment_old;
    CREATE VIEW experiment AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c)
      SELECT x AS id, 'u' || x AS uid, 't' AS title, '' AS desc, 'RUNNING' AS status, 0 AS start_time, NULL AS end_time,
             NULL AS config_dir, NULL AS workspace, NULL AS pid, NULL AS host, NULL AS error_message, NULL AS error_stack FROM c;`);
  db.close();
  return file;
}

/** A valid database whose runs.list reads 500,000 params: seconds of work, for the deadline. */
async function slow(): Promise<string> {
  const file = await healthy("slow.db");
  const db = new Database(file);
  db.exec(`WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 500000)
    INSERT INTO param (experiment_id, trial_id, run_id, key, value) SELECT 1, 1, 1, 'p' || x, '1' FROM c;`);
  db.close();
  return file;
}

test("ls, show, export refuse a database whose 'experiment' is a recursive view, at once, naming it", async () => {
  const file = await recursiveView();
  for (const args of [["ls", "--db", file], ["show", "1", "--db", file], ["export", "1", "--db", file]]) {
    const started = Date.now();
    const r = expman(args);
    assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /'experiment' is a view, not a table/);
    assert.ok(r.stderr.includes(file));
    assert.ok(Date.now() - started < 60_000);
  }
});

/** A running `expman serve` and a typed way to ask it. */
function serve(args: string[] = []) {
  const child = spawn(process.execPath, [EXPMAN, "serve", ...args], { cwd: REPO }) as ChildProcessWithoutNullStreams;
  const waiting = new Map<number, (m: any) => void>();
  readline.createInterface({ input: child.stdout }).on("line", (line) => {
    const m = JSON.parse(line);
    for (const one of Array.isArray(m) ? m : [m]) waiting.get(one.id)?.(one);
  });
  let next = 1;
  const ask = (method: string, params: object): Promise<any> => {
    const id = next++;
    return new Promise((resolve) => {
      waiting.set(id, resolve);
      child.stdin.write(`${JSON.stringify({ jsonrpc: "2.0", id, method, params })}\n`);
    });
  };
  const raw = (text: string, ids: number[]): Promise<any[]> =>
    new Promise((resolve) => {
      const got: any[] = [];
      for (const id of ids) waiting.set(id, (m) => { got.push(m); if (got.length === ids.length) resolve(got); });
      child.stdin.write(`${text}\n`);
    });
  return { child, ask, raw, stop: () => child.stdin.end() };
}

const services: ReturnType<typeof serve>[] = [];
after(() => {
  for (const s of services) if (s.child.exitCode === null) s.child.kill("SIGKILL");
});

test("serve: a crafted file answers an error for its requests; a healthy file in the same service still answers", async () => {
  const crafted = await recursiveView();
  const good = await healthy("good.db");
  const s = serve();
  services.push(s);
  const bad = await s.ask("runs.list", { db: crafted });
  assert.equal(bad.error?.code, -32002);
  assert.match(bad.error.message, /'experiment' is a view, not a table/);
  const ok = await s.ask("runs.list", { db: good });
  assert.equal(ok.result?.length, 1);
  s.stop();
});

test("serve: a query past its deadline answers DB_TIMEOUT for that file only; the others keep answering, the file is read again later", async () => {
  const slowDb = await slow();
  const good = await healthy("good2.db");
  const s = serve(["--timeout", "100"]);
  services.push(s);
  // Warm the healthy reader first so that its answer does not wait on a process start.
  assert.equal((await s.ask("runs.list", { db: good })).result.length, 1);
  const hanging = s.ask("runs.list", { db: slowDb });
  const meanwhile = await s.ask("series.get", { db: good, runId: 1, key: "train_loss" });
  assert.deepEqual(meanwhile.result?.values, [0.5], "the healthy file answered while the slow one was busy");
  const timedOut = await hanging;
  assert.equal(timedOut.error?.code, -32003, JSON.stringify(timedOut));
  assert.match(timedOut.error.message, /did not finish within 100 ms.*slow\.db|slow\.db.*did not finish within 100 ms/);
  assert.equal((await s.ask("runs.list", { db: good })).result.length, 1);
  // The slow file gets a fresh reader: a cheap query on it answers.
  assert.equal((await s.ask("series.keys", { db: slowDb, runId: 1 })).result.length, 1);
  s.stop();
});

test("serve: only the method table's own methods; JSON-RPC batches answered as batches", async () => {
  const good = await healthy("good3.db");
  const s = serve();
  services.push(s);
  for (const method of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
    const r = await s.ask(method, { db: good });
    assert.equal(r.error?.code, -32601, `${method}: ${JSON.stringify(r)}`);
  }
  const batch = JSON.stringify([
    { jsonrpc: "2.0", id: 101, method: "runs.list", params: { db: good } },
    { jsonrpc: "2.0", method: "runs.list", params: { db: good } },
    { jsonrpc: "2.0", id: 102, method: "nope", params: {} },
    { jsonrpc: "2.0", id: 103, method: "run.get", params: { db: good, runId: "1" } },
  ]);
  const answers = await s.raw(batch, [101, 102, 103]);
  const byId = new Map(answers.map((a) => [a.id, a]));
  assert.equal(byId.get(101).result.length, 1);
  assert.equal(byId.get(102).error.code, -32601);
  assert.equal(byId.get(103).error.code, -32602);
  s.stop();
});
