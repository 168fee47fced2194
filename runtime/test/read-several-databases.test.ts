/**
 * A workspace's artifacts folder with several databases, one of them altered outside expman
 * and one not a database at all: the readers name the file that fails, say what to do, and
 * still list (or search) the others.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Database from "better-sqlite3";
import { expman, toyConfig } from "./helpers/cli";

test("expman ls/show with several databases: one that fails is named with what to do; the others' runs still show; exit 1", () => {
  const { dir, workspace, db } = toyConfig({ epochs: 1 });
  assert.equal(expman(["run", dir]).code, 0);
  const artifacts = path.dirname(db);
  // A copy whose schema version promises run_note, with the table dropped (an outside edit).
  const altered = path.join(artifacts, "altered.db");
  fs.copyFileSync(db, altered);
  const conn = new Database(altered);
  conn.exec("DROP TABLE run_note");
  conn.close();
  const notADb = path.join(artifacts, "notes.db");
  fs.writeFileSync(notADb, "not a database\n");

  const ls = expman(["ls", "--workspace", workspace]);
  assert.equal(ls.code, 1, "exit code says a database could not be read");
  // The good database's three runs, each row saying which database it is from (ids repeat across files).
  const rows = ls.stdout.split("\n").filter((l) => /experiment\.db\s+\d+\s+toy\s/.test(l));
  assert.equal(rows.length, 3, ls.stdout);
  assert.match(ls.stdout, /^db\s+id\s+experiment/m);
  const errors = ls.stderr.trim().split("\n");
  assert.equal(errors.length, 2, ls.stderr);
  const alteredLine = errors.find((l) => l.includes(altered));
  assert.ok(alteredLine, `the altered file is named:\n${ls.stderr}`);
  assert.match(alteredLine, /no such table: run_note/);
  assert.match(alteredLine, /altered outside expman.*Move it out of the workspace's artifacts folder/);
  assert.match(errors.find((l) => l.includes(notADb)) ?? "", /not a SQLite database/);

  // --json: the readable runs, the same failures on stderr.
  const json = expman(["ls", "--workspace", workspace, "--json"]);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).length, 3);
  assert.match(json.stderr, /altered\.db.*no such table: run_note/);

  // show searches every database: one that fails is named, not the only thing said.
  const show = expman(["show", "nope-0", "--workspace", workspace]);
  assert.equal(show.code, 1);
  assert.match(show.stderr, /No run 'nope-0' in /);
  assert.match(show.stderr, new RegExp(`Not searched: .*${altered.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}.*run_note`));
  const found = expman(["show", "b-0", "--workspace", workspace]);
  assert.equal(found.code, 0, found.stderr);
  assert.match(found.stdout, /toy \/ b repeat 0/);

  // One database given with --db: its own error, naming it.
  const one = expman(["ls", "--db", altered]);
  assert.equal(one.code, 1);
  assert.match(one.stderr, new RegExp(`${altered.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: no such table: run_note`));
});
