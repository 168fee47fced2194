import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { REPO } from "./cli";

/** Writer processes for the PostgreSQL store tests (store-pg-writers, store-pg-concurrency.stress). */

const RUNTIME_DIST = path.join(REPO, "runtime", "dist", "index.js");

/**
 * A writer process: one experiment, one trial, `runs` runs of `epochs` x `batches` points each
 * (train_loss = writer*1e6 + run*1e4 + global step, so every point is checkable), then exits;
 * with `hang`, it prints "flushed" after the first epoch of its first run and waits to be killed.
 */
const WRITER = `
const rt = require(${JSON.stringify(RUNTIME_DIST)});
const { TrackerManager, Level, Metric, RunStatus } = rt;
const [url, ws, writer, runs, epochs, batches, hang] = process.argv.slice(1);
(async () => {
  const root = TrackerManager.fromConfig({ trackers: [{ type: "DBTracker", url, flush_interval: 0.2 }] }, ws);
  root.onCreate(Level.EXPERIMENT, { name: "writer-" + writer });
  root.onStart(Level.EXPERIMENT);
  const trial = root.createChild(ws + "/t");
  trial.onCreate(Level.TRIAL, "t" + writer);
  trial.onStart(Level.TRIAL);
  for (let r = 0; r < +runs; r++) {
    const run = trial.createChild(ws + "/t/" + r);
    run.onCreate(Level.TRIAL_RUN, { repeat: r, seed: r });
    run.onStart(Level.TRIAL_RUN);
    let step = 0;
    for (let e = 0; e < +epochs; e++) {
      run.onCreate(Level.EPOCH, { epochId: e });
      run.onStart(Level.EPOCH, { epochId: e });
      for (let b = 0; b < +batches; b++) {
        run.onCreate(Level.BATCH, { batchId: b });
        run.onStart(Level.BATCH, { batchId: b });
        run.trackDict({ [Metric.TRAIN_LOSS]: +writer * 1e6 + r * 1e4 + step++ });
        run.onEnd(Level.BATCH);
      }
      run.trackDict({ [Metric.VAL_LOSS]: e });
      run.onEnd(Level.EPOCH);
      if (hang === "hang") {
        process.stdout.write("flushed\\n");
        setInterval(() => {}, 1000);
        return;
      }
    }
    run.onEnd(Level.TRIAL_RUN, { status: RunStatus.SUCCESS });
    await run.close();
  }
  trial.onEnd(Level.TRIAL);
  root.onEnd(Level.EXPERIMENT, { status: RunStatus.SUCCESS });
  await root.close();
})().catch((e) => { process.stderr.write(String(e && e.stack || e) + "\\n"); process.exit(1); });
`;

export function startWriter(args: (string | number)[]): ChildProcess {
  return spawn(process.execPath, ["-e", WRITER, ...args.map(String)], { stdio: ["ignore", "pipe", "pipe"] });
}

export function exited(child: ChildProcess): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}
