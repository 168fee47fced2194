import { test } from "node:test";
import assert from "node:assert/strict";
import { toPostgres } from "../src/tracking/pg/dialect";
import { PgDb } from "../src/tracking/pg/pg-db";
import { freshPgStore } from "./helpers/pg";

/**
 * Statement shapes the store writes once (for SQLite) that PostgreSQL reads differently, run on
 * the real server (test/services/postgres.sh): an optional filter `(? IS NULL OR x = ?)`, which
 * PostgreSQL refuses untyped ("could not determine data type of parameter"), and a camelCase
 * alias, which it folds to lower case (the Slurm reconcile read `jobId` as undefined).
 */

test("toPostgres types a parameter tested for NULL and keeps camelCase aliases", () => {
  assert.equal(
    toPostgres("SELECT r.job_id AS jobId FROM t WHERE (? IS NULL OR e.uid = ?) AND ? IS NOT NULL").text,
    'SELECT r.job_id AS "jobId" FROM t WHERE ($1::text IS NULL OR e.uid = $2) AND $3::text IS NOT NULL',
  );
  assert.equal(toPostgres("SELECT CAST(:e AS BIGINT) IS NULL, x AS lower_case").text.includes('"'), false);
});

test("an optional filter and a camelCase alias read the same on PostgreSQL as on SQLite", () => {
  const store = freshPgStore("dialect");
  const db = new PgDb(store.url);
  try {
    db.query("CREATE TABLE item (uid TEXT, job_id TEXT, n BIGINT)");
    db.query("INSERT INTO item VALUES ('a', '7_0', 1), ('b', '7_1', 2)");
    const q = db.prepare("SELECT uid, job_id AS jobId FROM item WHERE (? IS NULL OR uid = ?) ORDER BY uid");
    assert.deepEqual(q.all(null, null), [
      { uid: "a", jobId: "7_0" },
      { uid: "b", jobId: "7_1" },
    ]);
    assert.deepEqual(q.all("b", "b"), [{ uid: "b", jobId: "7_1" }]);
    const byNumber = db.prepare("SELECT uid FROM item WHERE (? IS NULL OR n = ?) ORDER BY uid");
    assert.deepEqual(byNumber.all(2, 2), [{ uid: "b" }]);
    assert.equal(byNumber.all(null, null).length, 2);
  } finally {
    db.close();
    store.drop();
  }
});
