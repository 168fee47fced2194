import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ResultsStore } from "../src/results/store";
import { EXPMAN, REPO, toyConfig } from "./helpers/cli";
import { tempDir } from "./helpers/env";
import { freshPgStore } from "./helpers/pg";
import { readerSnapshot } from "./helpers/store-backends";

/**
 * `expman db copy` between a SQLite file and a real PostgreSQL store, both ways: everything a
 * reader sees survives the round trip, a second copy is refused without writing anything.
 */

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [EXPMAN, ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, EXPMAN_DB_URL: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("expman db copy: SQLite -> PostgreSQL -> SQLite keeps every run, point, param, checkpoint and artifact; a second copy is refused", () => {
  const pg = freshPgStore("copy");
  try {
    const cfg = toyConfig({ epochs: 3 });
    const run = cli(["run", cfg.dir]);
    assert.equal(run.code, 0, run.stderr);
    const original = readerSnapshot(cfg.db);

    const there = cli(["db", "copy", cfg.db, pg.url]);
    assert.equal(there.code, 0, there.stderr);
    assert.match(
      there.stdout,
      /Copied experiment 'toy' \(2 trials, 3 runs, 9 epochs, \d+ points, \d+ checkpoints, \d+ artifacts\) from .*experiment\.db to postgresql:\/\/expman_test:\*\*\*@/,
    );
    assert.deepEqual(readerSnapshot(pg.url), original);

    const back = path.join(tempDir("copy-back-"), "back.db");
    const home = cli(["db", "copy", pg.url, back]);
    assert.equal(home.code, 0, home.stderr);
    assert.deepEqual(readerSnapshot(back), original);

    const again = cli(["db", "copy", cfg.db, pg.url]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds experiment 'toy' \(uid [0-9a-f-]+\): nothing was copied/);
    const store = ResultsStore.open(pg.url);
    try {
      assert.equal(store.listExperiments().length, 1, "the refused copy wrote nothing");
    } finally {
      store.close();
    }

    const unknown = cli(["db", "copy", cfg.db, back, "--experiment", "nope"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /No experiment 'nope' in .*experiment\.db \(by id, uid or title\)\. It has: 1 'toy'/);
    assert.ok(fs.existsSync(back));
  } finally {
    pg.drop();
  }
});
