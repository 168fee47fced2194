/**
 * A store that cannot write: a real full file system (a tmpfs mounted for the test) and a real
 * lock held by another process. The run must fail promptly naming the cause, exit non-zero,
 * never spin or stall training, and leave what was flushed readable.
 */
import { test, after } from "node:test";
import * as assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXPMAN, REPO, pipelineModule } from "./helpers/cli";
import { tempDir } from "./helpers/env";
import { ResultsStore } from "../src/results/store";

const SQLITE = require.resolve("better-sqlite3", { paths: [path.join(REPO, "runtime")] });

/** Training that tracks `points` random values per epoch (random: they do not compress). */
const HEAVY = pipelineModule(`
class Heavy extends Pipeline {
  static fromConfig(config, env) { return new Heavy(env); }
  async run(config) {
    const p = config.pipeline;
    for (let e = 0; e < p.epochs; e++) {
      await this.runEpoch(e);
      if (p.sleep_ms) await new Promise((r) => setTimeout(r, p.sleep_ms));
    }
  }
  async runEpoch(e) {
    const p = this.env.settings ?? {};
    const tm = this.env.trackerManager;
    for (let i = 0; i < ${"${POINTS}"}; i++) tm.track(Metric.CUSTOM, ["noise", Math.random()], e * 1e6 + i);
    this.epochMetrics[Metric.TRAIN_LOSS] = 1 / (e + 1);
  }
}
Heavy.prototype.run = Pipeline.runWrapper(Heavy.prototype.run);
Heavy.prototype.runEpoch = Pipeline.epochWrapper(Heavy.prototype.runEpoch);
register("Heavy")(Heavy);
`);

function heavyConfig(
  workspace: string,
  opts: { epochs: number; points: number; sleepMs?: number; lockTimeout?: number },
): string {
  const dir = path.join(tempDir("expman-unwritable-"), "config");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "heavy.js"), HEAVY.replace("${POINTS}", String(opts.points)));
  fs.writeFileSync(
    path.join(dir, "env.yaml"),
    `workspace: ${JSON.stringify(workspace)}\nimports:\n  - ./heavy.js\ntrackers:\n  - type: DBTracker\n    name: experiment.db\n    flush_interval: 0.2\n` +
      (opts.lockTimeout !== undefined ? `    lock_timeout: ${opts.lockTimeout}\n` : ""),
  );
  fs.writeFileSync(path.join(dir, "experiment.yaml"), "name: heavy\ndesc: fills or locks its store\n");
  fs.writeFileSync(
    path.join(dir, "base.yaml"),
    `pipeline:\n  type: Heavy\n  epochs: ${opts.epochs}\n  sleep_ms: ${opts.sleepMs ?? 0}\n`,
  );
  fs.writeFileSync(path.join(dir, "trials.yaml"), "- name: t\n  repeat: 1\n  settings: {}\n");
  return dir;
}

interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  timedOut: boolean;
}

/** Runs `expman run` with a hard deadline (a hang is a failure, not a stuck test). */
function runExpman(configDir: string, deadlineMs: number, prefix: string[] = []): Promise<Finished> {
  const started = Date.now();
  const [cmd, ...args] =
    prefix.length > 0
      ? [...prefix, process.execPath, EXPMAN, "run", configDir]
      : [process.execPath, EXPMAN, "run", configDir];
  const child = spawn(cmd, args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, deadlineMs);
  return new Promise((resolve) =>
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started, timedOut });
    }),
  );
}

/** Another process that opens the database and holds its write lock until killed. */
function holdLock(db: string): Promise<ChildProcess> {
  const script = `const D = require(${JSON.stringify(SQLITE)}); const db = new D(${JSON.stringify(db)}); db.exec("BEGIN IMMEDIATE"); process.stdout.write("locked\\n"); setInterval(() => {}, 1000);`;
  const holder = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    holder.stdout!.once("data", () => resolve(holder));
    holder.once("exit", (code) => reject(new Error(`lock holder exited ${code}`)));
  });
}

const mounts: string[] = [];
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  for (const m of mounts) spawnSync("umount", ["-l", m]);
});

/** A real small file system: a tmpfs of `size` mounted on a fresh folder. */
function smallFileSystem(size: string): { dir: string } | { skip: string } {
  const dir = tempDir("expman-tmpfs-");
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", `size=${size}`, "tmpfs", dir], { encoding: "utf8" });
  if (r.status !== 0)
    return {
      skip: `cannot mount a tmpfs here (${(r.stderr || r.error?.message || "").trim()}); the RLIMIT_FSIZE case below still fills a real file`,
    };
  mounts.push(dir);
  return { dir };
}

test("full disk (a real 3 MiB tmpfs): the run fails promptly with ENOSPC named, exit 1, no spinning; the flushed points stay readable", async (t) => {
  const fsys = smallFileSystem("3m");
  if ("skip" in fsys) return t.skip(fsys.skip);
  const workspace = path.join(fsys.dir, "ws");
  // 200 epochs x 20,000 random points (~ 200 KiB each): the disk is full after ~12 epochs.
  const config = heavyConfig(workspace, { epochs: 200, points: 20_000 });
  const r = await runExpman(config, 120_000);
  assert.equal(r.timedOut, false, `expman run did not end within 120 s (spinning?):\n${r.stderr.slice(-2000)}`);
  assert.equal(r.signal, null);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  const db = path.join(workspace, "artifacts", "experiment.db");
  assert.match(r.stderr, /disk is full \(ENOSPC/);
  assert.ok(r.stderr.includes(db), `the message names the file:\n${r.stderr.slice(-2000)}`);
  assert.match(r.stdout, /Experiment 'heavy' FAILED/);
  // Stopped at the next epoch: far from the 200 planned.
  const store = new ResultsStore(db);
  try {
    const [run] = store.listRuns();
    assert.ok(run, "the run row was written before the disk filled");
    assert.notEqual(run.status, "SUCCESS");
    assert.notEqual(run.status, "RUNNING", "a writer that is gone does not show RUNNING");
    const noise = store.getSeries({ runId: run.id, key: "noise" });
    assert.ok(noise.totalPoints >= 20_000, `flushed points readable (${noise.totalPoints})`);
    assert.ok(noise.totalPoints < 200 * 20_000, "training stopped");
    // Points are consistent: strictly increasing steps, values in [0, 1).
    for (let i = 1; i < noise.steps.length; i++) assert.ok(noise.steps[i] > noise.steps[i - 1]);
    assert.ok(noise.values.every((v) => v !== null && v >= 0 && v < 1));
  } finally {
    store.close();
  }
  t.diagnostic(`failed after ${r.ms} ms`);
});

test("full disk (RLIMIT_FSIZE: the file may not grow past 2 MiB): fails with the cause named, exit 1", async (t) => {
  const prlimit = spawnSync("prlimit", ["--version"]);
  if (prlimit.status !== 0) return t.skip("prlimit is not installed");
  const workspace = path.join(tempDir("expman-fsize-"), "ws");
  const config = heavyConfig(workspace, { epochs: 200, points: 20_000 });
  const r = await runExpman(config, 120_000, ["prlimit", `--fsize=${2 * 1024 * 1024}`, "--"]);
  assert.equal(r.timedOut, false, r.stderr.slice(-2000));
  assert.equal(r.signal, null, "SIGXFSZ is ignored by Node: the write fails with EFBIG instead");
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, /Cannot write tracking database .*experiment\.db/);
});

test("a lock held by another process for 3 s during training: training is not stalled, nothing is lost, exit 0", async () => {
  const workspace = path.join(tempDir("expman-lock-"), "ws");
  const config = heavyConfig(workspace, { epochs: 40, points: 200, sleepMs: 100, lockTimeout: 20 });
  const db = path.join(workspace, "artifacts", "experiment.db");
  const running = runExpman(config, 120_000);
  // Wait until the run has written its first epochs, then take the lock for 3 s.
  for (let i = 0; i < 600 && !fs.existsSync(db); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 800));
  const holder = await holdLock(db);
  children.push(holder);
  await new Promise((r) => setTimeout(r, 3000));
  holder.kill("SIGKILL");
  const r = await running;
  assert.equal(r.code, 0, r.stderr.slice(-2000));
  const store = new ResultsStore(db);
  try {
    const [run] = store.listRuns();
    assert.equal(run.status, "SUCCESS");
    const epochs = store.listEpochs(run.id);
    assert.equal(epochs.length, 40);
    assert.ok(epochs.every((e) => e.status === "SUCCESS" && e.metrics.train_loss !== undefined));
    assert.equal(store.getSeries({ runId: run.id, key: "noise" }).totalPoints, 40 * 200);
    // Epochs went on while the lock was held: no gap between epoch ends near the 3 s held
    // (before, every flush waited up to 5 s for the lock).
    const gaps = epochs.slice(1).map((e, i) => e.endTime! - epochs[i].endTime!);
    assert.ok(Math.max(...gaps) < 2000, `largest gap between epoch ends ${Math.max(...gaps)} ms`);
  } finally {
    store.close();
  }
});

test("a lock held for good: the run fails after lock_timeout naming the holder's pid, exit 1", async () => {
  const workspace = path.join(tempDir("expman-lock-"), "ws");
  const config = heavyConfig(workspace, { epochs: 400, points: 200, sleepMs: 50, lockTimeout: 2 });
  const db = path.join(workspace, "artifacts", "experiment.db");
  const running = runExpman(config, 120_000);
  for (let i = 0; i < 600 && !fs.existsSync(db); i++) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 800));
  const holder = await holdLock(db);
  children.push(holder);
  const r = await running;
  holder.kill("SIGKILL");
  assert.equal(r.timedOut, false);
  assert.equal(r.code, 1, r.stderr.slice(-2000));
  assert.match(r.stderr, new RegExp(`locked by pid ${holder.pid}\\b`), r.stderr.slice(-2000));
  assert.match(r.stdout, /FAILED/);
  // What was flushed before the lock is there.
  const store = new ResultsStore(db);
  try {
    const [run] = store.listRuns();
    assert.ok(store.getSeries({ runId: run.id, key: "noise" }).totalPoints >= 200);
    assert.ok(store.listEpochs(run.id).length < 400);
  } finally {
    store.close();
  }
});

test("a lock held while the experiment starts: fails after lock_timeout naming the holder, exit 1", async () => {
  const workspace = path.join(tempDir("expman-lock-"), "ws");
  const config = heavyConfig(workspace, { epochs: 2, points: 10, lockTimeout: 1 });
  const db = path.join(workspace, "artifacts", "experiment.db");
  const first = await runExpman(config, 120_000);
  assert.equal(first.code, 0, first.stderr);
  const holder = await holdLock(db);
  children.push(holder);
  const r = await runExpman(config, 120_000);
  holder.kill("SIGKILL");
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`locked by pid ${holder.pid}\\b`));
});

test("a database on a read-only mount: exit 1 saying read-only, not SUCCESS having tracked nothing", async (t) => {
  const fsys = smallFileSystem("8m");
  if ("skip" in fsys) return t.skip(fsys.skip);
  const workspace = path.join(fsys.dir, "ws");
  const config = heavyConfig(workspace, { epochs: 2, points: 10 });
  assert.equal((await runExpman(config, 120_000)).code, 0);
  // The run's own folders must exist to get as far as the store: only the database is at stake.
  const remount = spawnSync("mount", ["-o", "remount,ro", fsys.dir], { encoding: "utf8" });
  if (remount.status !== 0) return t.skip(`cannot remount read-only: ${remount.stderr}`);
  const r = await runExpman(config, 120_000);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stderr, /read-only/);
  assert.doesNotMatch(r.stdout, /SUCCESS/);
});
