import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Database from "better-sqlite3";
import { openForWriting, TrackingDbError } from "../src/tracking/db/connection";
import {
  CHUNK_POINTS,
  MIGRATIONS,
  SCHEMA_VERSION,
  setStatusChecks,
  statusCheckMigration,
} from "../src/tracking/db/schema";
import {
  ChunkScratch,
  decodeChunk,
  encodeChunk,
  STEPS_CONSECUTIVE,
  TIMES_U32_OFFSETS,
} from "../src/tracking/db/chunk-codec";
import { DBTracker } from "../src/tracking/db/db-tracker";
import { TrackerManager } from "../src/tracking/tracker-manager";
import { ResultsStore } from "../src/results/store";
import { Level } from "../src/common/enums";
import { RUN_STATUS_NAMES, SCOPES } from "../src/common/vocabulary";

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "db-schema-"));

function schemaDump(file: string): { version: number; sql: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    return {
      version: db.pragma("user_version", { simple: true }) as number,
      sql: (
        db.prepare("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY name").all() as { sql: string }[]
      ).map((r) => r.sql),
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
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') ORDER BY name").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    assert.deepEqual(tables, [
      "artifact",
      "checkpoint",
      "chunk",
      "epoch",
      "epoch_metric",
      "experiment",
      "metric_text",
      "param",
      "run_note",
      "run_tag",
      "series",
      "trial",
      "trial_run",
      "v_epoch_metric",
      "v_final_metric",
      "v_run",
    ]);
    // Foreign keys are enforced: no phantom rows.
    assert.throws(
      () => db.prepare("INSERT INTO trial (uid, experiment_id, name, start_time) VALUES ('t', 999, 'x', 0)").run(),
      /FOREIGN KEY constraint failed/,
    );
    assert.throws(
      () => db.prepare("INSERT INTO experiment (uid, title, start_time, status) VALUES ('e', 'x', 0, 'DONE')").run(),
      /CHECK constraint failed/,
    );
  } finally {
    db.close();
  }
});

test("the CHECK constraints allow exactly the RunStatus names and the scopes of common/vocabulary", () => {
  const db = openForWriting(path.join(tmp(), "check.db"));
  try {
    const insert = db.prepare("INSERT INTO experiment (uid, title, start_time, status) VALUES (?, 'x', 0, ?)");
    RUN_STATUS_NAMES.forEach((status, i) => insert.run(`e${i}`, status));
    assert.throws(() => insert.run("bad", "running"), /CHECK constraint failed/);
    const series = db.prepare("INSERT INTO series (experiment_id, key, scope) VALUES (1, ?, ?)");
    SCOPES.forEach((scope) => series.run("loss", scope));
    assert.throws(() => series.run("loss", "step"), /CHECK constraint failed/);
  } finally {
    db.close();
  }
});

test("adding a status: setStatusChecks widens an existing file's CHECK in place, rows and keys kept", () => {
  const file = path.join(tmp(), "widen.db");
  const db = openForWriting(file);
  db.prepare("INSERT INTO experiment (uid, title, start_time) VALUES ('e1', 'kept', 1)").run();
  db.prepare("INSERT INTO trial (uid, experiment_id, name, start_time) VALUES ('t1', 1, 'a', 1)").run();
  const queue = () =>
    db.prepare("INSERT INTO trial_run (uid, trial_id, start_time, status) VALUES ('r1', 1, 1, 'HELD')").run();
  assert.throws(queue, /CHECK constraint failed/);
  const migration = statusCheckMigration(SCHEMA_VERSION + 1);
  assert.match(migration.name, /status CHECK: RUNNING, SUCCESS/);
  db.transaction(() => setStatusChecks(db, [...RUN_STATUS_NAMES, "HELD"])).immediate();
  queue();
  db.prepare("INSERT INTO epoch (run_id, idx, start_time, status) VALUES (1, 0, 1, 'HELD')").run();
  assert.throws(
    () =>
      db
        .prepare("INSERT INTO trial (uid, experiment_id, name, start_time, status) VALUES ('t2', 1, 'b', 1, 'BOGUS')")
        .run(),
    /CHECK constraint failed/,
  );
  assert.throws(
    () => db.prepare("INSERT INTO trial (uid, experiment_id, name, start_time) VALUES ('t3', 999, 'c', 1)").run(),
    /FOREIGN KEY constraint failed/,
  );
  // Defensive mode is back on: the schema cannot be edited by accident afterwards.
  assert.throws(
    () => db.prepare("UPDATE sqlite_schema SET sql = sql WHERE name = 'trial'").run(),
    /may not be modified/,
  );
  db.close();
  const reopened = openForWriting(file);
  try {
    assert.equal(reopened.pragma("integrity_check", { simple: true }), "ok");
    assert.deepEqual(reopened.prepare("SELECT status FROM trial_run").all(), [{ status: "HELD" }]);
    assert.deepEqual(reopened.prepare("SELECT title FROM experiment").all(), [{ title: "kept" }]);
    reopened.prepare("INSERT INTO experiment (uid, title, start_time, status) VALUES ('e2', 'q', 1, 'HELD')").run();
  } finally {
    reopened.close();
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
    (e: unknown) =>
      e instanceof TrackingDbError &&
      e.code === "DB_NEWER" &&
      e.message.includes(newer) &&
      /newer than this expman/.test(e.message),
  );

  const foreign = path.join(dir, "foreign.db");
  const other = new Database(foreign);
  other.exec("CREATE TABLE notes (text TEXT); INSERT INTO notes VALUES ('keep me')");
  other.close();
  assert.throws(
    () => openForWriting(foreign),
    (e: unknown) =>
      e instanceof TrackingDbError && e.message.includes(foreign) && /not an expman tracking database/.test(e.message),
  );
  // The refused file is left untouched.
  const still = new Database(foreign, { readonly: true });
  assert.deepEqual(still.prepare("SELECT text FROM notes").all(), [{ text: "keep me" }]);
  still.close();

  const junk = path.join(dir, "junk.db");
  fs.writeFileSync(junk, "this is not a database ".repeat(200));
  assert.throws(
    () => openForWriting(junk),
    (e: unknown) => e instanceof TrackingDbError && e.message.includes(junk) && /not a SQLite database/.test(e.message),
  );
  // DBTracker names are file names under <workspace>/artifacts (never paths out of it).
  fs.mkdirSync(path.join(dir, "artifacts"), { recursive: true });
  fs.copyFileSync(junk, path.join(dir, "artifacts", "junk.db"));
  assert.throws(() => new DBTracker(dir, { name: "junk.db" }), /not a SQLite database.*recreate: true/);

  // recreate replaces them.
  const db = openForWriting(junk, { recreate: true });
  assert.equal(db.pragma("user_version", { simple: true }), SCHEMA_VERSION);
  db.close();
});

test("importing the runtime, the DBTracker module or the results store does not load better-sqlite3", () => {
  const script =
    "require('./src/index'); require('./src/tracking/db/db-tracker'); require('./src/results/store'); require('./src/builtins/register-builtins').registerBuiltins();" +
    "process.stdout.write(String(Object.keys(require.cache).filter((k) => k.includes('better-sqlite3')).length))";
  const out = spawnSync(process.execPath, ["--import", "tsx", "-e", script], {
    cwd: path.join(__dirname, ".."),
    encoding: "utf8",
  });
  assert.equal(out.status, 0, out.stderr);
  assert.equal(out.stdout, "0");
});

test("chunk codec: consecutive steps and whole-ms times take the compact forms, anything else stays plain, all round-trip", () => {
  const scratch = new Uint32Array(CHUNK_POINTS);
  const cases: [string, number[], number[], number][] = [
    [
      "batch counter, ms times",
      [5, 6, 7, 8],
      [1.7e12, 1.7e12 + 1, 1.7e12 + 1, 1.7e12 + 9],
      STEPS_CONSECUTIVE | TIMES_U32_OFFSETS,
    ],
    ["gaps in steps", [0, 2, 4, 6], [10, 11, 12, 13], TIMES_U32_OFFSETS],
    ["no steps (NaN)", [NaN, NaN], [10, 11], TIMES_U32_OFFSETS],
    ["fractional times", [1, 2, 3], [10.5, 11, 12], STEPS_CONSECUTIVE],
    ["times going back", [1, 2], [10, 9], STEPS_CONSECUTIVE],
    ["times 50 days apart", [1, 2], [0, 50 * 86_400_000], STEPS_CONSECUTIVE],
    ["half steps", [0.5, 1], [1, 1], TIMES_U32_OFFSETS],
    ["fractional but consecutive", [0.5, 1.5], [1, 1], STEPS_CONSECUTIVE | TIMES_U32_OFFSETS],
  ];
  for (const [name, steps, times, enc] of cases) {
    const n = steps.length;
    const values = Float64Array.from(steps, (_, i) => (i === 1 ? NaN : i * 1.25));
    const encoded = encodeChunk(Float64Array.from(steps), values, Float64Array.from(times), n, scratch);
    assert.equal(encoded.enc, enc, name);
    // Copy the blobs, as SQLite would, then decode from unaligned copies to exercise that path too.
    const unaligned = (b: Buffer) => Buffer.concat([Buffer.alloc(1), b]).subarray(1);
    const minStep = steps.every(Number.isNaN) ? null : Math.min(...steps.filter((s) => !Number.isNaN(s)));
    const out = decodeChunk(
      encoded.enc,
      n,
      minStep,
      times[0],
      unaligned(encoded.steps),
      unaligned(encoded.values),
      unaligned(encoded.times),
      new ChunkScratch(),
    );
    assert.deepEqual(Array.from(out.steps.subarray(0, n)), steps, name);
    assert.deepEqual(Array.from(out.times.subarray(0, n)), times, name);
    assert.deepEqual(Array.from(out.values.subarray(0, n)), Array.from(values), name);
  }
});

test("forward migration: a version-1 file reads as is, then a writer migrates it to the latest version and appends", async () => {
  // Under an `artifacts` folder: the DBTracker below opens it by name (names are not paths).
  const file = path.join(tmp(), "artifacts", "v1.db");
  fs.mkdirSync(path.dirname(file));
  const v1 = new Database(file);
  v1.pragma("journal_mode = WAL");
  v1.exec(MIGRATIONS[0].sql);
  v1.pragma("user_version = 1");
  v1.exec(`INSERT INTO experiment (id, uid, title, start_time, status) VALUES (1, 'e', 'old', 1000, 'SUCCESS');
           INSERT INTO trial (id, uid, experiment_id, name, start_time) VALUES (1, 't', 1, 'tr', 1000);
           INSERT INTO trial_run (id, uid, trial_id, start_time, status) VALUES (1, 'r', 1, 1000, 'SUCCESS');
           INSERT INTO series (id, experiment_id, trial_id, run_id, key, scope, count, min_step, max_step, last_step, last_value, last_time)
             VALUES (1, 1, 1, 1, 'loss', 'batch', 3, 0, 2, 2, 0.25, 1003);`);
  const f64 = (xs: number[]) => Buffer.from(Float64Array.from(xs).buffer);
  v1.prepare(
    "INSERT INTO chunk (series_id, seq, n, min_step, max_step, min_value, max_value, first_time, last_time, steps, vals, times) VALUES (1, 0, 3, 0, 2, 0.25, 1, 1001, 1003, ?, ?, ?)",
  ).run(f64([0, 1, 2]), f64([1, 0.5, 0.25]), f64([1001, 1002, 1003]));
  v1.close();

  const old = new ResultsStore(file);
  assert.equal(old.schemaVersion, 1);
  assert.deepEqual(old.getSeries({ runId: 1, key: "loss" }).values, [1, 0.5, 0.25]);
  old.close();

  const tracker = new DBTracker(path.dirname(file), { name: "v1.db" });
  const manager = new TrackerManager(path.dirname(file));
  manager.addTracker(tracker, "DBTracker");
  manager.onCreate(Level.EXPERIMENT, "new");
  manager.onEnd(Level.EXPERIMENT);
  await manager.close();
  assert.equal(schemaDump(file).version, SCHEMA_VERSION);

  const migrated = new ResultsStore(file);
  try {
    assert.deepEqual(
      migrated.listExperiments().map((e) => e.title),
      ["old", "new"],
    );
    const loss = migrated.getSeries({ runId: 1, key: "loss" });
    assert.deepEqual(
      [loss.steps, loss.values, loss.times],
      [
        [0, 1, 2],
        [1, 0.5, 0.25],
        [1001, 1002, 1003],
      ],
    );
  } finally {
    migrated.close();
  }
});
