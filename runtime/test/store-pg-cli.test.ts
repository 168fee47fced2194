import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXPMAN, REPO, toyConfig } from "./helpers/cli";
import { freshPgStore, pgServerUrl } from "./helpers/pg";

/**
 * The CLI on a PostgreSQL store (real server, test/services/postgres.sh): `expman run` writes
 * into it (worker processes too), `expman ls/show/export` read it through `serve --direct`
 * given `--db <url>`, the config's `url`, or EXPMAN_DB_URL; bad URLs fail clearly.
 */

function cli(args: string[], env: Record<string, string | undefined> = {}) {
  const r = spawnSync(process.execPath, [EXPMAN, ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 180_000,
    env: { ...process.env, EXPMAN_DB_URL: undefined, ...env },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const pgEnv = (url: string) =>
  `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    url: "${url}"\n`;

test("expman run --jobs 2 tracks into PostgreSQL; ls/show/export read it by --db, by the config's url and by EXPMAN_DB_URL", () => {
  const store = freshPgStore("cli");
  try {
    const cfg = toyConfig({ env: pgEnv(store.url), epochs: 3 });
    const run = cli(["run", cfg.dir, "--jobs", "2"]);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(fs.existsSync(cfg.db), false, "no SQLite file: the runs went to PostgreSQL");
    const byDb = cli(["ls", "--db", store.url, "--json"]);
    assert.equal(byDb.code, 0, byDb.stderr);
    const runs = JSON.parse(byDb.stdout) as {
      trialName: string;
      repeat: number;
      status: string;
      epochCount: number;
      db: string;
    }[];
    assert.deepEqual(
      runs.map((r) => [r.trialName, r.repeat, r.status, r.epochCount]),
      [
        ["a", 0, "SUCCESS", 3],
        ["a", 1, "SUCCESS", 3],
        ["b", 0, "SUCCESS", 3],
      ],
    );
    assert.ok(!runs[0].db.includes("expman_test@") && runs[0].db.includes(":***@"), `password masked: ${runs[0].db}`);
    const byConfig = cli(["ls", "--config", cfg.dir, "--json"]);
    assert.equal(byConfig.code, 0, byConfig.stderr);
    assert.equal(JSON.parse(byConfig.stdout).length, 3);
    const byEnv = cli(["ls"], { EXPMAN_DB_URL: store.url });
    assert.equal(byEnv.code, 0, byEnv.stderr);
    assert.match(byEnv.stdout, /toy\s+b\s+0\s+SUCCESS\s+3/);
    const show = cli(["show", "a-1", "--db", store.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /SUCCESS/);
    const csv = cli(["export", "b-0", "--db", store.url, "--key", "train_loss"]);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split("\n");
    assert.equal(lines[0], "key,scope,step,value,time");
    assert.deepEqual(
      lines.slice(1).map((l) => l.split(",").slice(0, 4).join(",")),
      ["train_loss,epoch,0,1", "train_loss,epoch,1,0.5", `train_loss,epoch,2,${1 / 3}`],
    );
    for (const out of [byDb, byConfig, byEnv, show, csv])
      assert.ok(!/expman_test:expman_test@/.test(out.stdout + out.stderr));
  } finally {
    store.drop();
  }
});

test("bad PostgreSQL URLs: unreachable or wrong password give a message naming the URL (password masked) and what to do, exit 1, nothing written", () => {
  const good = new URL(pgServerUrl());
  const wrongPassword = new URL(good.toString());
  wrongPassword.password = "not-the-password";
  const unreachable = new URL(good.toString());
  unreachable.port = "1";

  const denied = cli(["ls", "--db", wrongPassword.toString()]);
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /refused the login/);
  assert.match(denied.stderr, /expman_test:\*\*\*@127\.0\.0\.1:\d+\/expman_test/);
  assert.match(denied.stderr, /Check the user name and password/);
  assert.ok(!denied.stderr.includes("not-the-password"));

  const down = cli(["ls", "--db", unreachable.toString()]);
  assert.equal(down.code, 1);
  assert.match(
    down.stderr,
    /Cannot reach the PostgreSQL tracking store postgresql:\/\/expman_test:\*\*\*@127\.0\.0\.1:1\//,
  );
  assert.match(down.stderr, /ECONNREFUSED/);
  assert.match(down.stderr, /Check that the server runs/);

  for (const url of [wrongPassword, unreachable]) {
    const cfg = toyConfig({ env: pgEnv(url.toString()), epochs: 2 });
    const run = cli(["run", cfg.dir]);
    assert.notEqual(run.code, 0, "a run that cannot track fails");
    assert.match(run.stderr, /PostgreSQL tracking store postgresql:\/\/expman_test:\*\*\*@/);
    assert.ok(!run.stderr.includes("not-the-password"));
    assert.equal(fs.existsSync(cfg.db), false, "no SQLite file written instead");
    assert.equal(fs.existsSync(path.join(cfg.workspace, "artifacts", "tracker.db")), false);
  }
});
