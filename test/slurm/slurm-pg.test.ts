import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { EXPMAN, REPO, toyConfig } from "../../runtime/test/helpers/cli";
import { freshPgStore } from "../../runtime/test/helpers/pg";
import { serve } from "../../runtime/test/helpers/serve";
import { PgDb } from "../../runtime/src/tracking/pg/pg-db";

// The Slurm executor writing to the PostgreSQL store (issues 10.2 and 10.3), on the real one-node
// cluster (test/services/slurm.sh) and the real PostgreSQL server (test/services/postgres.sh,
// started by the helper when it is down). Every task is a real `expman worker` started by slurmd
// that connects to PostgreSQL by the config's url; the readers (`--wait`, `ls`, `show`, `serve`)
// reach it by that URL too, and write what only the cluster knows into it.

const pgEnv = (url: string, slurm = "") =>
  `workspace: ../ws\nexecutor: slurm\n${slurm ? `slurm:\n${slurm}` : ""}imports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    url: "${url}"\n`;

/** A trial whose runs go on for a minute unless stopped (the toy pipeline reads its settings). */
const LONG = (name: string, repeat = 1) =>
  `- name: ${name}\n  repeat: ${repeat}\n  settings:\n    pipeline:\n      epochs: 240\n      sleep_ms: 250\n`;

type Run = { trial: string; repeat: number; status: string; job_id: string | null; error_message: string | null };
const RUNS = `SELECT t.name AS trial, r.repeat, r.status, r.job_id, r.error_message
  FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.run_index`;

function pgRows<T>(url: string, sql: string): T[] {
  const db = new PgDb(url);
  try {
    return db.query(sql).rows as T[];
  } finally {
    db.close();
  }
}

function cli(args: string[]) {
  const r = spawnSync(process.execPath, [EXPMAN, ...args], {
    cwd: REPO,
    encoding: "utf8",
    timeout: 120_000,
    env: { ...process.env, EXPMAN_DB_URL: undefined },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 120_000) {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (error) {
      last = error; // the schema's tables may not exist yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (${String(last)})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test("PostgreSQL store: 8 runs and a long one go through ONE array job; --wait follows them by the URL; the scancelled task reads ABORTED there; ls/show by the URL show all", async () => {
  const store = freshPgStore("slurm");
  try {
    const trials = `${LONG("long")}- name: a\n  repeat: 4\n  settings: {}\n- name: b\n  repeat: 4\n  settings:\n    lr: 0.2\n`;
    const c = toyConfig({ epochs: 3, sleepMs: 20, trials, env: pgEnv(store.url) });
    const t0 = Date.now();
    const child = spawn(process.execPath, [EXPMAN, "run", c.dir, "--wait"], {
      cwd: REPO,
      env: { ...process.env, EXPMAN_DB_URL: undefined },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));

    // The long run (plan index 0) runs an epoch; then it is cancelled as a user would.
    const long = await until("the long run to run an epoch", () => {
      const [r] = pgRows<Run & { epochs: string }>(
        store.url,
        `SELECT r.status, r.job_id, (SELECT count(*) FROM epoch e WHERE e.run_id = r.id) AS epochs
         FROM trial_run r WHERE r.run_index = 0`,
      );
      return r?.status === "RUNNING" && Number(r.epochs) >= 1 ? r : undefined;
    });
    const job = long.job_id!.split("_")[0];
    const cancel = spawnSync("scancel", [long.job_id!], { encoding: "utf8" });
    assert.equal(cancel.status, 0, cancel.stderr);

    const code = await exited;
    const elapsed = Date.now() - t0;
    assert.equal(code, 1, `one run ABORTED: --wait exits 1\n${stdout}\n${stderr}`);
    assert.match(
      stdout,
      new RegExp(`Submitted 9 run\\(s\\) of 'toy' to Slurm: job ${job} \\(tasks ${job}_0 \\.\\. ${job}_8\\)`),
    );
    assert.match(stdout, /8 of 9 run\(s\) succeeded/, stderr);
    assert.match(stderr, /long-0 ABORTED: CANCELLED/);
    assert.ok(!/expman_test:expman_test@/.test(stdout + stderr), "the password is never printed");

    // In PostgreSQL: every run with its task, 8 SUCCESS with their points, the cancelled one ABORTED.
    const runs = pgRows<Run>(store.url, RUNS);
    assert.deepEqual(
      runs.map((r) => [r.trial, r.repeat, r.status, r.job_id]),
      [
        ["long", 0, "ABORTED", `${job}_0`],
        ...[0, 1, 2, 3].map((i) => ["a", i, "SUCCESS", `${job}_${i + 1}`]),
        ...[0, 1, 2, 3].map((i) => ["b", i, "SUCCESS", `${job}_${i + 5}`]),
      ],
    );
    assert.match(runs[0].error_message ?? "", new RegExp(`^CANCELLED: Slurm task ${job}_0 was cancelled`));
    const points = pgRows<{ trial: string; repeat: number; steps: string }>(
      store.url,
      `SELECT t.name AS trial, r.repeat, string_agg(m.epoch::text, ',' ORDER BY m.epoch) AS steps
       FROM epoch_metric m JOIN trial_run r ON r.id = m.run_id JOIN trial t ON t.id = r.trial_id
       WHERE m.key = 'train_loss' AND t.name <> 'long' GROUP BY t.name, r.repeat, r.run_index ORDER BY r.run_index`,
    );
    assert.deepEqual(
      points.map((p) => [p.trial, p.repeat, p.steps]),
      [..."aaaabbbb"].map((t, i) => [t, i % 4, "0,1,2"]),
    );
    const [exp] = pgRows<{ status: string; executor: string }>(store.url, "SELECT status, executor FROM experiment");
    assert.deepEqual(exp, { status: "ABORTED", executor: "slurm" });
    assert.equal(fs.existsSync(c.db), false, "no SQLite file: everything went to PostgreSQL");

    // The readers, by the config's URL and by --db: the same runs, the same reason.
    const ls = cli(["ls", "--config", c.dir, "--json"]);
    assert.equal(ls.code, 0, ls.stderr);
    const listed = JSON.parse(ls.stdout) as { trialName: string; status: string; jobId: string; epochCount: number }[];
    assert.deepEqual(
      listed.map((r) => [r.trialName, r.status, r.jobId]),
      runs.map((r) => [r.trial, r.status, r.job_id]),
    );
    assert.ok(listed.slice(1).every((r) => r.epochCount === 3));
    const show = cli(["show", "long-0", "--db", store.url]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, /Status: ABORTED/);
    assert.match(show.stdout, /CANCELLED: Slurm task/);
    const csv = cli(["export", "b-3", "--db", store.url, "--key", "train_loss"]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(
      csv.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(",").slice(0, 4).join(",")),
      ["train_loss,epoch,0,1", "train_loss,epoch,1,0.5", `train_loss,epoch,2,${1 / 3}`],
    );
    console.log(`9 runs on Slurm into PostgreSQL: submit to --wait's end ${elapsed} ms`);
  } finally {
    store.drop();
  }
});

test("tasks killed without a word (scancel --signal=KILL): the query service (expman serve) reads them ABORTED from the cluster, and so does ls; PostgreSQL store", async () => {
  const store = freshPgStore("slurmkill");
  const q = serve();
  try {
    const c = toyConfig({ trials: LONG("k", 2), env: pgEnv(store.url) });
    const r = cli(["run", c.dir]);
    assert.equal(r.code, 0, r.stderr);
    const running = () =>
      pgRows<Run>(store.url, RUNS).every((x) => x.status === "RUNNING") ? pgRows<Run>(store.url, RUNS) : undefined;
    const [k0, k1] = await until("both tasks to run", running);
    const list = async () => {
      const a = await q.ask("runs.list", { db: store.url });
      assert.equal(a.error, undefined, JSON.stringify(a.error));
      return a.result as { trialName: string; repeat: number; status: string; error: { message: string } | null }[];
    };
    assert.deepEqual(
      (await list()).map((x) => x.status),
      ["RUNNING", "RUNNING"],
    );

    // SIGKILL: the worker cannot end its run; only the cluster knows the task is gone.
    const kill = spawnSync("scancel", ["--signal=KILL", k0.job_id!], { encoding: "utf8" });
    assert.equal(kill.status, 0, kill.stderr);
    const t0 = Date.now();
    // On this one-node cluster a reader may already show the run ABORTED from its writer's dead
    // pid (results/stale.ts), with no reason; on a real cluster the node is another host. What
    // only the cluster knows is the reason, and the status written to the store.
    const seen = await until("the query service to read run k-0 ended by the cluster", async () => {
      const [x] = await list();
      return /^CANCELLED/.test(x.error?.message ?? "") ? x : undefined;
    });
    console.log(`serve read the killed task's end from the cluster ${Date.now() - t0} ms after scancel`);
    assert.equal(seen.status, "ABORTED");
    assert.match(seen.error?.message ?? "", new RegExp(`^CANCELLED: Slurm task ${k0.job_id} was cancelled`));
    const [stored] = pgRows<Run>(store.url, RUNS);
    assert.equal(stored.status, "ABORTED", "written to the store, not only shown");
    assert.equal((await list())[1].status, "RUNNING", "the other task runs on");
    q.stop();

    // ls reconciles a PostgreSQL store too (nothing else follows this experiment now).
    spawnSync("scancel", ["--signal=KILL", k1.job_id!], { encoding: "utf8" });
    const after = await until("ls to show run k-1 ended", () => {
      const ls = cli(["ls", "--db", store.url, "--json"]);
      assert.equal(ls.code, 0, ls.stderr);
      const rows = JSON.parse(ls.stdout) as { status: string }[];
      return /^CANCELLED/.test(pgRows<Run>(store.url, RUNS)[1].error_message ?? "") ? rows : undefined;
    });
    assert.deepEqual(
      after.map((x) => x.status),
      ["ABORTED", "ABORTED"],
    );
    assert.match(pgRows<Run>(store.url, RUNS)[1].error_message ?? "", /^CANCELLED: Slurm task/);
    assert.deepEqual(
      pgRows<{ status: string }>(store.url, "SELECT status FROM experiment").map((e) => e.status),
      ["ABORTED"],
      "the experiment settled once no run was open",
    );
  } finally {
    q.stop();
    store.drop();
  }
});
