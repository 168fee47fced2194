import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import Database from "better-sqlite3";
import { EXPMAN, expman, toyConfig } from "../../runtime/test/helpers/cli";
import { cancelSlurmTask } from "../../client/src/core/slurm-cancel";

// The Slurm executor on a real one-node Slurm cluster on this machine (issue 10.2):
// `npm run test:slurm` starts it first (test/services/slurm.sh: Debian slurm-wlm + munge).
// Nothing here is faked: sbatch, squeue, scontrol and scancel are Slurm's own, and each array
// task runs `expman worker` as a real process started by slurmd.

const SLURM_ENV = (slurm = "") =>
  `workspace: ../ws\nexecutor: slurm\n${slurm ? `slurm:\n${slurm}` : ""}imports:\n  - ./toy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n`;

function rows<T>(dbFile: string, sql: string, ...params: unknown[]): T[] {
  const db = new Database(dbFile, { readonly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}

type Run = {
  uid: string;
  trial: string;
  repeat: number;
  run_index: number;
  status: string;
  job_id: string | null;
  pid: number | null;
  error_message: string | null;
  epochs: number;
};
const RUNS = `SELECT r.uid, t.name AS trial, r.repeat, r.run_index, r.status, r.job_id, r.pid, r.error_message,
  (SELECT count(*) FROM epoch e WHERE e.run_id = r.id) AS epochs
  FROM trial_run r JOIN trial t ON t.id = r.trial_id ORDER BY r.run_index`;

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = probe();
      if (v !== undefined) return v;
    } catch {
      // the database may not exist yet
    }
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

function jobOf(stdout: string): string {
  const m = /to Slurm: job (\d+) /.exec(stdout);
  assert.ok(m, `no job id in: ${stdout}`);
  return m[1];
}

test("cluster is up: sinfo shows this node in service", () => {
  const r = spawnSync("sinfo", ["-h", "-o", "%T"], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /idle|mixed|allocated/);
});

test("8 runs go through ONE sbatch array job: expman run returns once submitted, every task writes its run, all SUCCESS with their points", async () => {
  const trials = "- name: a\n  repeat: 4\n  settings: {}\n- name: b\n  repeat: 4\n  settings:\n    lr: 0.2\n";
  const c = toyConfig({ epochs: 3, sleepMs: 50, trials, env: SLURM_ENV() });
  const t0 = Date.now();
  const r = expman(["run", c.dir]);
  assert.equal(r.code, 0, r.stderr);
  const job = jobOf(r.stdout);
  assert.match(
    r.stdout,
    new RegExp(`Submitted 8 run\\(s\\) of 'toy' to Slurm: job ${job} \\(tasks ${job}_0 \\.\\. ${job}_7\\)`),
  );
  // Returned once submitted: the plan is in the store, every run tied to its array task.
  const planned = rows<Run>(c.db, RUNS);
  assert.equal(planned.length, 8);
  assert.deepEqual(
    planned.map((x) => x.job_id),
    planned.map((x) => `${job}_${x.run_index}`),
  );
  const [exp] = rows<{ pid: number | null; executor: string; status: string }>(
    c.db,
    "SELECT pid, executor, status FROM experiment",
  );
  assert.equal(exp.executor, "slurm");
  assert.equal(exp.pid, null, "the submitting process is not the experiment's writer any more (it has exited)");
  // One array job, as Slurm sees it.
  const sc = spawnSync("scontrol", ["show", "job", "-o", job], { encoding: "utf8" });
  assert.equal(sc.status, 0, sc.stderr);
  assert.ok(
    sc.stdout
      .split("\n")
      .filter(Boolean)
      .every((l) => l.includes(`ArrayJobId=${job} `)),
  );

  const done = await until("all 8 runs to end", () => {
    const now = rows<Run>(c.db, RUNS);
    return now.every((x) => !["QUEUED", "RUNNING"].includes(x.status)) ? now : undefined;
  });
  const elapsed = Date.now() - t0;
  assert.deepEqual(
    done.map((x) => [x.trial, x.repeat, x.status, x.epochs]),
    [
      ["a", 0, "SUCCESS", 3],
      ["a", 1, "SUCCESS", 3],
      ["a", 2, "SUCCESS", 3],
      ["a", 3, "SUCCESS", 3],
      ["b", 0, "SUCCESS", 3],
      ["b", 1, "SUCCESS", 3],
      ["b", 2, "SUCCESS", 3],
      ["b", 3, "SUCCESS", 3],
    ],
  );
  // Every run's points in the store; one run's read back through the results API (expman
  // export: one process per run would cost ~5 s each on this loaded machine).
  assert.deepEqual(
    rows<{ steps: string }>(
      c.db,
      `SELECT group_concat(m.epoch) AS steps FROM trial_run r
       LEFT JOIN (SELECT * FROM epoch_metric WHERE key = 'train_loss' ORDER BY epoch) m ON m.run_id = r.id
       GROUP BY r.id ORDER BY r.run_index`,
    ).map((x) => x.steps),
    Array(8).fill("0,1,2"),
    "train_loss at every epoch of every run",
  );
  const ex = expman(["export", "b-3", "--config", c.dir]);
  assert.equal(ex.code, 0, ex.stderr);
  assert.deepEqual(
    ex.stdout
      .split("\n")
      .filter((l) => l.startsWith("train_loss,epoch,"))
      .map((l) => Number(l.split(",")[2])),
    [0, 1, 2],
  );
  assert.equal(new Set(done.map((x) => x.pid)).size, 8, "each run in its own task process");
  // The last task settled the trials and the experiment.
  await until("the experiment to settle", () =>
    rows<{ status: string }>(c.db, "SELECT status FROM experiment")[0].status === "SUCCESS" ? true : undefined,
  );
  assert.deepEqual(
    rows<{ status: string }>(c.db, "SELECT status FROM trial ORDER BY id").map((t) => t.status),
    ["SUCCESS", "SUCCESS"],
  );
  // Each task's output file, where expman run said.
  for (let i = 0; i < 8; i++) assert.ok(fs.existsSync(path.join(c.workspace, "slurm", `${job}_${i}.out`)));
  // ls reads them as any run, with their task.
  const ls = expman(["ls", "--config", c.dir]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, /slurm task/);
  assert.equal((ls.stdout.match(/SUCCESS/g) ?? []).length, 8);
  assert.match(ls.stdout, new RegExp(`${job}_7`));
  console.log(`8 runs on Slurm: submit to all ended ${elapsed} ms`);
});

test("Slurm refusing the job: its stderr shown, exit 1, the planned runs FAILED with it (none left QUEUED)", () => {
  const c = toyConfig({ env: SLURM_ENV("  partition: no-such-partition\n") });
  const r = expman(["run", c.dir]);
  assert.equal(r.code, 1, r.stdout);
  assert.match(r.stderr, /Slurm refused the job \(sbatch exit 1\)/);
  assert.match(r.stderr, /sbatch: error: .*[Pp]artition/);
  const runs = rows<Run>(c.db, RUNS);
  assert.equal(runs.length, 3);
  for (const x of runs) {
    assert.equal(x.status, "FAILED");
    assert.match(x.error_message ?? "", /Slurm did not take the job: sbatch: error: .*[Pp]artition/);
    assert.equal(x.job_id, null);
  }
  assert.deepEqual(
    rows<{ status: string }>(c.db, "SELECT status FROM experiment").map((e) => e.status),
    ["FAILED"],
  );
});

test("scancel: a running task's run ends ABORTED (the worker ends it on Slurm's SIGTERM), a waiting task's run too; ls shows QUEUED with the cluster's reason first", async () => {
  const c = toyConfig({
    epochs: 60,
    sleepMs: 250,
    trials: "- name: s\n  repeat: 2\n  settings: {}\n",
    env: SLURM_ENV("  max_concurrent: 1\n"),
  });
  const r = expman(["run", c.dir]);
  assert.equal(r.code, 0, r.stderr);
  const job = jobOf(r.stdout);
  await until("run 0 to run an epoch", () => {
    const [first] = rows<Run>(c.db, RUNS);
    return first.status === "RUNNING" && first.epochs >= 1 ? true : undefined;
  });
  // The cluster's view: task 1 waits behind the array's limit of one task at once.
  const ls = expman(["ls", "--config", c.dir]);
  assert.equal(ls.code, 0, ls.stderr);
  assert.match(ls.stdout, new RegExp(`RUNNING\\s+${job}_0`));
  assert.match(ls.stdout, new RegExp(`QUEUED \\(JobArrayTaskLimit\\)\\s+${job}_1`));

  // Cancel the waiting task first (it never starts), then the running one with the extension's
  // Stop Run code for Slurm runs (client/src/core/slurm-cancel.ts: scancel of the run's task).
  const cancel = spawnSync("scancel", [`${job}_1`], { encoding: "utf8" });
  assert.equal(cancel.status, 0, cancel.stderr);
  const [running] = rows<Run>(c.db, RUNS);
  assert.deepEqual(await cancelSlurmTask(running.job_id!), {});
  assert.match(
    (await cancelSlurmTask("--all")).error ?? "",
    /not a Slurm array task id/,
    "never an option from the store",
  );
  const first = await until("run 0 to end", () => {
    const [x] = rows<Run>(c.db, RUNS);
    return x.status === "RUNNING" ? undefined : x;
  });
  assert.equal(first.status, "ABORTED", "the worker ended its run on SIGTERM");
  assert.ok(first.epochs < 60, "stopped early");
  // Run 1 never started: only the cluster knows; ls writes it to the store.
  await until("task 1 to leave the queue", () => {
    const q = spawnSync("squeue", ["-h", "-r", "-j", job, "-o", "%i"], { encoding: "utf8" });
    return q.stdout.includes(`${job}_1`) ? undefined : true;
  });
  assert.equal(rows<Run>(c.db, RUNS)[1].status, "QUEUED");
  // Each ls reconciles with the cluster; the cancelled running task's final state comes once
  // Slurm has finished killing it (KillWait), so look again until it is there.
  const [r0, r1] = await until("the scheduler's final state of both tasks", () => {
    const after = expman(["ls", "--config", c.dir]);
    assert.equal(after.code, 0, after.stderr);
    const now = rows<Run>(c.db, RUNS);
    return /^CANCELLED/.test(now[0].error_message ?? "") ? now : undefined;
  });
  assert.equal(r1.status, "ABORTED");
  assert.match(r1.error_message ?? "", new RegExp(`^CANCELLED: Slurm task ${job}_1 was cancelled`));
  assert.equal(r0.status, "ABORTED");
  assert.match(r0.error_message ?? "", /^CANCELLED/, "the scheduler's reason is added to the run that ended itself");
  assert.deepEqual(
    rows<{ status: string }>(c.db, "SELECT status FROM experiment").map((e) => e.status),
    ["ABORTED"],
    "the experiment settled once no run was open",
  );
});

test("a task past its time limit: FAILED with reason TIMEOUT in the store (--wait follows it and exits 1)", () => {
  // Slurm counts time limits in minutes (0:01 rounds up to 1:00) and checks them about every
  // 30 s; KillWait=2 in slurm.conf. So this takes 60-100 s.
  const c = toyConfig({
    epochs: 1000,
    sleepMs: 500,
    trials: "- name: t\n  repeat: 1\n  settings: {}\n",
    env: SLURM_ENV('  time: "0:01"\n'),
  });
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [EXPMAN, "run", c.dir, "--wait"], { encoding: "utf8", timeout: 300_000 });
  assert.equal(r.status, 1, `${r.stdout}\n${r.stderr}`);
  const job = jobOf(r.stdout);
  assert.match(r.stdout, /t\s+0\s+100\s+\S+\s+FAILED/);
  assert.match(r.stderr, /t-0 FAILED: TIMEOUT: Slurm task \S+ ran past its time limit/);
  const [run] = rows<Run>(c.db, RUNS);
  assert.equal(run.status, "FAILED");
  assert.match(
    run.error_message ?? "",
    new RegExp(`^TIMEOUT: Slurm task ${job}_0 ran past its time limit \\(00:01:00\\)`),
  );
  assert.ok(run.epochs > 10 && run.epochs < 1000, `it ran until the limit (${run.epochs} epochs)`);
  assert.deepEqual(
    rows<{ status: string }>(c.db, "SELECT status FROM experiment").map((e) => e.status),
    ["FAILED"],
  );
  console.log(`TIMEOUT of a 1-minute task seen after ${Date.now() - t0} ms`);
});
