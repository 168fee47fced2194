import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { tempDir } from "./env";

export const REPO = path.resolve(__dirname, "../..", "..");
export const EXPMAN = path.join(REPO, "runtime", "bin", "expman.js");
const RUNTIME_DIST = path.join(REPO, "runtime", "dist", "index.js");

/** Runs the built CLI (npm test builds first) without a shell; returns its output. */
export function expman(args: string[], options: { cwd?: string } = {}) {
  const r = spawnSync(process.execPath, [EXPMAN, ...args], {
    cwd: options.cwd ?? REPO,
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function spawnExpman(args: string[], stdio: ("pipe" | "ignore")[] = ["ignore", "pipe", "pipe"]): ChildProcess {
  return spawn(process.execPath, [EXPMAN, ...args], { cwd: REPO, stdio });
}

/** A pipeline module in plain JS that requires the built runtime by path (temp dirs have no node_modules). */
export function pipelineModule(body: string): string {
  return `const rt = require(${JSON.stringify(RUNTIME_DIST)});\nconst { Pipeline, Metric, RunStatus, register } = rt;\n${body}\n`;
}

/**
 * A configurable training pipeline for CLI tests: `epochs`, `sleep_ms` per epoch, `end_sleep_ms`
 * once its epochs end (or an abort stopped them), `fail_in`
 * (throw in that epoch), `kill_in` / `exit_in` (the process SIGKILLs itself once that epoch's start is committed / exits 3 there), metrics from a deterministic curve, the model saved as JSON.
 */
export const TOY_PIPELINE = pipelineModule(`
// kill_in: the process kills itself only once its store has committed this run's epochs so far
// (the ended ones and this one's start). While another worker holds the write lock they wait in
// memory, and a SIGKILL then loses them: what a store promises is what it committed.
async function committedEpochs(env, n) {
  const file = env.trackerManager.trackers.find((t) => typeof t.path === "string" && t.path.endsWith(".db"))?.path;
  if (!file) return;
  const Database = require(${JSON.stringify(require.resolve("better-sqlite3"))});
  const deadline = Date.now() + 60000;
  for (;;) {
    const db = new Database(file, { readonly: true, fileMustExist: true });
    let have = 0;
    try {
      have = db.prepare("SELECT count(*) AS n FROM epoch WHERE run_id IN (SELECT id FROM trial_run WHERE pid = ?)").get(process.pid).n;
    } finally {
      db.close();
    }
    if (have >= n || Date.now() > deadline) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
class ToyModel { constructor(){ this.w = 1; } save(p){ require("fs").writeFileSync(p, JSON.stringify({ w: this.w })); } }
class Toy extends Pipeline {
  static fromConfig(config, env) { return new Toy(env); }
  async run(config) {
    const p = config.pipeline;
    this.model = new ToyModel();
    this.env.trackerManager.logParams({ epochs: p.epochs, lr: config.lr ?? 0.1, arg: this.env.args.custom_arg ?? null, seed: this.env.seed });
    try {
      for (let e = 0; e < p.epochs; e++) {
        await this.runEpoch(e, this.model);
        if (this.stopRequested) break;
        if (p.sleep_ms) await new Promise((r) => setTimeout(r, p.sleep_ms));
      }
    } finally {
      if (p.end_sleep_ms) await new Promise((r) => setTimeout(r, p.end_sleep_ms));
    }
    this.runMetrics[Metric.TEST_ACC] = 0.9;
    this.runMetrics[Metric.NETWORK] = this.model;
    return { status: "completed" };
  }
  async runEpoch(e, model) {
    if (this.env.args.fail_in === e) throw new Error("exploded in epoch " + e);
    if (this.env.args.kill_in === e) {
      await committedEpochs(this.env, e + 1);
      process.kill(process.pid, "SIGKILL");
    }
    if (this.env.args.exit_in === e) process.exit(3);
    model.w *= 0.9;
    this.epochMetrics[Metric.TRAIN_LOSS] = 1 / (e + 1);
    this.epochMetrics[Metric.VAL_LOSS] = 1 / (e + 1) + 0.05;
    this.epochMetrics[Metric.NETWORK] = model;
    this.epochMetrics[Metric.CUSTOM] = [["w", model.w]];
  }
}
Toy.prototype.run = Pipeline.runWrapper(Toy.prototype.run);
Toy.prototype.runEpoch = Pipeline.epochWrapper(Toy.prototype.runEpoch);
register("Toy")(Toy);
`);

export interface ToyConfig {
  epochs?: number;
  sleepMs?: number;
  trials?: string;
  env?: string;
  base?: string;
  experiment?: string;
}

/** Writes a config folder (the four files plus the toy pipeline) in a temp dir. */
export function toyConfig(options: ToyConfig = {}): { dir: string; workspace: string; db: string } {
  const root = tempDir("expman-cli-");
  const dir = path.join(root, "config");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "toy.js"), TOY_PIPELINE);
  fs.writeFileSync(
    path.join(dir, "env.yaml"),
    options.env ??
      `workspace: ../ws\nimports:\n  - ./toy.js\ntrackers:\n  - type: LogTracker\n  - type: DBTracker\n    name: experiment.db\n`,
  );
  fs.writeFileSync(
    path.join(dir, "experiment.yaml"),
    options.experiment ?? `name: toy\ndesc: a toy experiment for tests\n`,
  );
  fs.writeFileSync(
    path.join(dir, "base.yaml"),
    options.base ??
      `seed: 100\npipeline:\n  type: Toy\n  epochs: ${options.epochs ?? 4}\n  sleep_ms: ${options.sleepMs ?? 0}\n  callbacks:\n    - type: CheckpointCallback\n      interval: 2\n    - type: MetricsTracker\n`,
  );
  fs.writeFileSync(
    path.join(dir, "trials.yaml"),
    options.trials ??
      `- name: a\n  repeat: 2\n  settings:\n    lr: 0.1\n  args:\n    custom_arg: 42\n- name: b\n  repeat: 1\n  settings:\n    lr: 0.2\n`,
  );
  const workspace = path.join(root, "ws");
  return { dir, workspace, db: path.join(workspace, "artifacts", "experiment.db") };
}
