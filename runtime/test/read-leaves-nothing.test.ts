/**
 * Readers never create or change a file beside a database (issue 13.8), in the two cases where
 * SQLite would: a database whose header says WAL with no -wal/-shm beside it (its writer closed
 * while another connection had it open, or the file was copied alone), and the -wal/-shm a
 * killed writer left. The CLI readers (ls, show, export) and the results API read everything
 * committed (the killed writer's last transaction too), and every file beside the database,
 * the database itself included, is byte for byte as before. A database a live writer holds is
 * read in place, and a long-lived reader of a copy follows the original when a writer goes on.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";
import Database from "better-sqlite3";
import { ResultsStore } from "../src/results/store";
import { isWalMode, readSource } from "../src/tracking/db/read-copy";
import { expman, REPO, toyConfig } from "./helpers/cli";

const SQLITE = path.join(REPO, "node_modules", "better-sqlite3");

/** Every file beside the database (name -> sha256). */
function beside(db: string): Record<string, string> {
  const dir = path.dirname(db);
  const out: Record<string, string> = {};
  for (const f of fs
    .readdirSync(dir)
    .filter((n) => n.startsWith(path.basename(db)))
    .sort())
    out[f] = createHash("sha256")
      .update(fs.readFileSync(path.join(dir, f)))
      .digest("hex");
  return out;
}

function readEverything(db: string, run: string): void {
  for (const args of [
    ["ls", "--db", db],
    ["show", run, "--db", db],
    ["export", run, "--db", db],
  ]) {
    const r = expman(args);
    assert.equal(r.code, 0, `${args[0]}: ${r.stderr}`);
  }
}

/** A node process that writes `sql` to `db` in WAL mode, then kills itself (no clean close). */
function killedWriter(db: string, sql: string): void {
  const script = `const D = require(${JSON.stringify(SQLITE)}); const db = new D(${JSON.stringify(db)});
db.pragma("journal_mode = WAL"); db.pragma("wal_autocheckpoint = 0"); db.exec(${JSON.stringify(sql)});
process.kill(process.pid, "SIGKILL");`;
  const r = spawnSync(process.execPath, ["-e", script]);
  assert.equal(r.signal, "SIGKILL", String(r.stderr));
}

test("a database left in WAL mode with nothing beside it: readers add no -wal/-shm and change nothing", () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  assert.equal(expman(["run", cfg.dir]).code, 0);
  // WAL mode for good (the header), and SQLite removes -wal/-shm when this last connection closes.
  const w = new Database(cfg.db);
  w.pragma("journal_mode = WAL");
  w.close();
  assert.ok(isWalMode(cfg.db));
  const before = beside(cfg.db);
  assert.deepEqual(Object.keys(before), ["experiment.db"]);
  readEverything(cfg.db, "a-0");
  const store = new ResultsStore(cfg.db);
  try {
    assert.deepEqual(
      store.listRuns().map((r) => [r.trialName, r.status, r.epochCount]),
      [["a", "SUCCESS", 2]],
    );
  } finally {
    store.close();
  }
  assert.deepEqual(beside(cfg.db), before);
});

test("a killed writer's -wal/-shm: readers see its last commit and leave every file as it was", () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  assert.equal(expman(["run", cfg.dir]).code, 0);
  killedWriter(cfg.db, "UPDATE experiment SET desc = 'written just before the kill'");
  const before = beside(cfg.db);
  assert.deepEqual(Object.keys(before), ["experiment.db", "experiment.db-shm", "experiment.db-wal"]);
  readEverything(cfg.db, "a-0");
  const store = new ResultsStore(cfg.db);
  try {
    assert.equal(store.listExperiments()[0].desc, "written just before the kill");
  } finally {
    store.close();
  }
  assert.deepEqual(beside(cfg.db), before);
});

test("a database a live writer holds is read in place; a long-lived reader of a copy follows a later writer", async () => {
  const cfg = toyConfig({ epochs: 2, trials: "- name: a\n  repeat: 1\n  settings: {}\n" });
  assert.equal(expman(["run", cfg.dir]).code, 0);
  killedWriter(cfg.db, "UPDATE experiment SET desc = 'first'");
  const store = new ResultsStore(cfg.db);
  try {
    assert.equal(store.listExperiments()[0].desc, "first");
    // A live writer: holds the database open (its locks are on the -shm) while it writes.
    const script = `const D = require(${JSON.stringify(SQLITE)}); const db = new D(${JSON.stringify(cfg.db)});
db.pragma("journal_mode = WAL"); db.exec("UPDATE experiment SET desc = 'second'"); console.log("written");
setInterval(() => {}, 1000);`;
    const live = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    try {
      await new Promise<void>((resolve) => live.stdout!.once("data", () => resolve()));
      const source = readSource(cfg.db);
      assert.equal(source.copied, false, "a database a live process holds is read in place");
      source.dispose();
      assert.equal(store.listExperiments()[0].desc, "second", "the long-lived reader follows the writer");
    } finally {
      live.kill("SIGKILL");
    }
  } finally {
    store.close();
  }
});
