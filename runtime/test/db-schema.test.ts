import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { openForWriting, TrackingDbError } from "../src/tracking/db/connection";
import { MIGRATIONS, SCHEMA_VERSION } from "../src/tracking/db/schema";
import { DBTracker } from "../src/tracking/db/db-tracker";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "db-schema-"));

function schemaDump(file: string): { version: number; sql: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma("user_version", { simple: true }) as number,
      sql: (db.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name").all() as { sql: string }[]).map((r) => r.sql),
    };
  } finally {
    db.close();
  }
}

test("a new file is at the latest schema version, in WAL mode, with foreign keys on", () => {
  const file = path.join(tmp(), "nested", "a.db");
  const db = openForWriting(file);
  try {
    assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
    assert.equal(SCHEMA_VERSION, MIGRATIONS.at(-1)!.version);
    assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
    assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
    const tables = (db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").all() as { name: string }[]).map((r) => r.name);
    assert.deepEqual(tables, [
      "artifact", "checkpoint", "chunk", "epoch", "epoch_metric", "experiment", "metric_text", "param", "series", "trial", "trial_run",
      "v_epoch_metric", "v_final_metric", "v_run",
    ]);
    // Foreign keys are enforced: no phantom rows.
    assert.throws(() => db.prepare("INSERT INTO trial (uid, experiment_id, name, start_time) VALUES ('t', 999, 'x', 0)").run(), /FOREIGN KEY constraint failed/);
    assert.throws(() => db.prepare("INSERT INTO experiment (uid, title, start_time, status) VALUES ('e', 'x', 0, 'DONE')").run(), /CHECK constraint failed/);
  } finally {
    db.close();
  }
});

test("reopening is idempotent: same version, same schema, data kept", () => {
  const file = path.join(tmp(), "b.db");
  const db = openForWriting(file);
  db.prepare("INSERT INTO experiment (uid, title, start_time) VALUES ('e1', 'first', 1)").run();
  db.close();
  const before = schemaDump(file);
  for (let i = 0; i < 3; i++) openForWriting(file).close();
  assert.deepEqual(schemaDump(file), before);
  const check = new Database(file, { readonly: true });
  assert.deepEqual(check.prepare("SELECT title FROM experiment").all(), [{ title: "first" }]);
  check.close();
});

test("files from a newer expman, and SQLite files that are not ours, are refused with the file named", () => {
  const dir = tmp();
  const newer = path.join(dir, "newer.db");
  const raw = new Database(newer);
  raw.pragma("user_version = 999");
  raw.close();
  assert.throws(
    () => openForWriting(newer),
    (e: unknown) => e instanceof TrackingDbError && e.code === "DB_NEWER" && e.message.includes(newer) && /newer than this expman/.test(e.message),
  );

  const foreign = path.join(dir, "foreign.db");
  const other = new Database(foreign);
  other.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')");
  other.close();
  assert.throws(() => openForWriting(foreign), (e: unknown) => e instanceof TrackingDbError && e.message.includes(foreign) && /not an expman tracking database/.test(e.message));
  // The refused file is left untouched.
  const still = new Database(foreign, { readonly: true });
  assert.deepEqual(still.prepare("SELECT text FROM notes").all(), [{ text: "keep me" }]);
  still.close();

  const junk = path.join(dir, "junk.db");
  fs.writeFileSync(junk, "this is not a database ".repeat(200));
  assert.throws(() => openForWriting(junk), (e: unknown) => e instanceof TrackingDbError && e.message.includes(junk) && /not a SQLite database/.test(e.message));
  assert.throws(() => new DBTracker(dir, { name: "../junk.db" }), /not a SQLite database.*recreate: true/);

  // recreate replaces them.
  const db = openForWriting(junk, { recreate: true });
  assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  db.close();
});

test("importing the runtime, the DBTracker module or the results store does not load better-sqlite3", () => {
  const script =
    "require('./src/index'); require('./src/tracking/db/db-tracker'); require('./src/results/store'); require('./src/builtins/register-builtins').registerBuiltins();" +
    "process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('better-sqlite3')).length))";
  const out = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: path.join(__dirname, ".."), encoding: "utf8" });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, "0");
});
