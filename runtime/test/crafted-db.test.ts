/**
 * Crafted and damaged databases never hang a reader: the schema is checked (tables, not
 * views), every query of `ls`/`show`/`export`/`serve` runs in a per-file process with a
 * deadline, and the query service keeps answering for the other files.
 */
import { test, after } from "node:test";
import assert from "node:assert/strict";
import Database from "better-sqlite3";
import { expman } from "./helpers/cli";
import { healthy, serve } from "./helpers/serve";

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

test("ls, show, export refuse a database whose 'experiment' is a recursive view, at once, naming it", async () => {
  const file = await recursiveView();
  for (const args of [
    ["ls", "--db", file],
    ["show", "1", "--db", file],
    ["export", "1", "--db", file],
  ]) {
    const started = Date.now();
    const r = expman(args);
    assert.equal(r.code, 1, `${args[0]}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /'experiment' is a view, not a table/);
    assert.ok(r.stderr.includes(file));
    assert.ok(Date.now() - started < 60_000);
  }
});

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
  assert.match(bad.error?.message ?? "", /'experiment' is a view, not a table/);
  const ok = await s.ask("runs.list", { db: good });
  assert.equal(ok.result?.length, 1);
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
  assert.equal((byId.get(101)?.result as unknown[]).length, 1);
  assert.equal(byId.get(102)?.error?.code, -32601);
  assert.equal(byId.get(103)?.error?.code, -32602);
  s.stop();
});
