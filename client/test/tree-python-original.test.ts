// TreeModel over a real `expman serve` child on databases the Python original's DBTracker wrote:
// the reference database (copied; counts checked against SQL on it) and one made here with
// per-label values and artifacts. The tree shows what is there, says what the original did not
// record (no status: no "finished", no pass icon), and the file is left byte for byte unchanged.
import * as assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import Database from "better-sqlite3";
import { QueryClient } from "../src/core/query-client";
import { TreeModel, type Query, type TreeNode } from "../src/core/tree-model";
import { isRunningRow } from "../src/core/tree-refresh";
import { node, repoRoot, repoRuntime } from "./helpers";

const SCHEMA = path.join(repoRoot, "runtime", "test", "fixtures", "python-original", "schema.sql");
const REFERENCE = [
  process.env.EXPMAN_PYTHON_REFERENCE_DB,
  path.resolve(repoRoot, "../shared/reference/python_original_experiment.db"),
  "/work/shared/reference/python_original_experiment.db",
].find((f): f is string => typeof f === "string" && fs.existsSync(f));

let dir: string;
let client: QueryClient;
let query: Query;

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex");
const sidecars = (file: string) => ["-wal", "-shm", "-journal"].filter((s) => fs.existsSync(file + s));

/** A small database in the original's schema, as its DBTracker writes it (status 'started', phantom batch links). */
function makeOriginal(file: string): void {
  const db = new Database(file);
  db.pragma("foreign_keys = OFF");
  db.exec(fs.readFileSync(SCHEMA, "utf8"));
  const t = "2026-11-26T02:07:10.000000";
  db.prepare("INSERT INTO EXPERIMENT (title, desc, start_time, update_time) VALUES ('made-here', '', ?, ?)").run(t, t);
  db.prepare("INSERT INTO TRIAL (name, experiment_id, start_time, update_time) VALUES ('lr', 1, ?, ?)").run(t, t);
  db.prepare("INSERT INTO TRIAL_RUN (trial_id, status, start_time, update_time) VALUES (1, 'started', ?, ?)").run(t, t);
  for (let e = 0; e < 2; e++) {
    db.prepare("INSERT INTO EPOCH (idx, trial_run_id, time) VALUES (?, 1, ?)").run(e, t);
    db.prepare("INSERT INTO BATCH (idx, epoch_idx, trial_run_id, time) VALUES (0, ?, 1, ?)").run(e, t);
    const m = db
      .prepare("INSERT INTO METRIC (type, total_val, per_label_val) VALUES ('val_acc', ?, ?)")
      .run(0.5 + e / 10, JSON.stringify({ cat: 0.4 + e / 10, dog: 0.6 })).lastInsertRowid;
    // Filed under batch 1, which does not exist (the original's known bug): an epoch metric.
    db.prepare("INSERT INTO BATCH_METRIC VALUES (1, ?, 1, ?)").run(e, m);
  }
  db.prepare("INSERT INTO ARTIFACT (type, loc) VALUES ('figure', '/somewhere/summary.png')").run();
  db.prepare("INSERT INTO EXPERIMENT_ARTIFACT VALUES (1, last_insert_rowid())").run();
  db.close();
}

async function walk(model: TreeModel, root: TreeNode): Promise<Map<string, TreeNode[]>> {
  const byKind = new Map<string, TreeNode[]>();
  const visit = async (n: TreeNode) => {
    byKind.set(n.kind, [...(byKind.get(n.kind) ?? []), n]);
    for (const c of await model.children(n)) await visit(c);
  };
  await visit(root);
  return byKind;
}

before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "expman-tree-pyorig-"));
  client = new QueryClient({ node, runtime: repoRuntime });
  query = (m, p) => client.request(m, p);
});
after(() => {
  client.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("TreeModel on the Python original's databases", () => {
  it("the reference database: experiments, trials, runs and epochs as counted by SQL on the file; status said to be not recorded; the file unchanged", async (t) => {
    if (!REFERENCE) return t.skip("the original's reference database (shared/reference) is not on this machine");
    const file = path.join(dir, "reference.db");
    fs.copyFileSync(REFERENCE, file);
    fs.chmodSync(file, 0o644);
    const before = sha256(file);
    const sql = new Database(file, { readonly: true });
    const count = (q: string) => (sql.prepare(q).get() as { n: number }).n;

    const model = new TreeModel(query);
    const roots = await model.roots([file]);
    assert.equal(roots.length, count("SELECT count(*) AS n FROM EXPERIMENT"));
    const [exp] = roots;
    const shown = model.present(exp);
    assert.equal(shown.label, "anchor_experiment");
    assert.match(shown.description ?? "", /Python original/);
    assert.doesNotMatch(shown.description ?? "", /finished/);
    assert.match(shown.tooltip, /Not recorded by the original: status, repeat/);

    const tree = await walk(model, exp);
    assert.equal(tree.get("trial")?.length, count("SELECT count(*) AS n FROM TRIAL"));
    const runs = tree.get("run") ?? [];
    assert.equal(runs.length, count("SELECT count(*) AS n FROM TRIAL_RUN"));
    assert.equal(tree.get("epoch")?.length, count("SELECT count(*) AS n FROM EPOCH"));
    for (const r of runs) {
      const p = model.present(r);
      assert.match(p.description ?? "", /^status not recorded · /, p.description);
      assert.notEqual(p.icon.id, "pass", "no pass icon for a status the original did not record");
      assert.match(p.tooltip, /Not recorded by the original/);
    }
    // Epoch metrics the original filed under a batch that does not exist show on their epochs.
    const epoch0 = (tree.get("epoch") ?? [])[0];
    assert.match(model.present(epoch0).description ?? "", /val_acc/);
    const trial = model.present((tree.get("trial") ?? [])[0]);
    assert.match(trial.tooltip, /status not recorded/);
    assert.doesNotMatch(trial.tooltip, /finished/);
    sql.close();
    await client.request("db.close", { db: file });
    assert.equal(sha256(file), before, "the file is unchanged");
    assert.deepEqual(sidecars(file), [], "no -wal, -shm or -journal beside it");
  });

  it("a database made here: per-label values as their own series, experiment artifacts, epoch metrics from phantom batches", async () => {
    const file = path.join(dir, "tracker.db");
    makeOriginal(file);
    const before = sha256(file);
    const model = new TreeModel(query);
    const [exp] = await model.roots([file]);
    const children = await model.children(exp);
    assert.deepEqual(
      children.map((n) => [n.kind, model.present(n).label]),
      [
        ["trial", "lr"],
        ["artifacts", "Artifacts"],
      ],
    );
    // Its status is unknown, so its rows are re-read when a database changes (the run may be being written).
    assert.equal(isRunningRow(exp), true);
    // Said on a clean clone too (the reference file may not be there): no status, no "finished".
    assert.match(model.present(exp).description ?? "", /^1 run · Python original/);
    assert.match(model.present(children[0]).description ?? "", /status not recorded/);
    const [run] = await model.children(children[0]);
    assert.equal(run.kind, "run");
    assert.match(model.present(run).description ?? "", /^status not recorded · val_acc 0\.6/);
    assert.equal(model.present(run).icon.id, "circle-outline");
    const [epochs] = await model.children(run);
    const list = await model.children(epochs);
    // The epoch metric (filed under a batch that does not exist) and its per-label values.
    assert.deepEqual(
      list.map((n) => model.present(n).description),
      ["val_acc 0.5 · val_acc/cat 0.4", "val_acc 0.6 · val_acc/cat 0.5"],
    );
    assert.match(model.present(list[1]).tooltip, /val\\_acc\/dog \| 0\.6 \|/);
    const keys = await client.request("series.keys", { db: file, runId: (run as { run: { id: number } }).run.id });
    assert.deepEqual(
      keys.map((k) => [k.key, k.scope, k.label ?? null]),
      [
        ["val_acc", "epoch", null],
        ["val_acc/cat", "epoch", "cat"],
        ["val_acc/dog", "epoch", "dog"],
      ],
    );
    await client.request("db.close", { db: file });
    assert.equal(sha256(file), before);
    assert.deepEqual(sidecars(file), []);
  });
});
