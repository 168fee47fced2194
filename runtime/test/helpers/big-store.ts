import { randomUUID } from "node:crypto";
import type { RunStatusName } from "../../src/common/vocabulary";
import { WriteStore } from "../../src/tracking/db/write-store";

export interface BigStoreOptions {
  title?: string;
  configDir?: string | null;
  /** Trials in the sweep, and runs (repeats) of each. */
  trials: number;
  repeats: number;
  /** Epochs of val_loss / val_acc per run. */
  epochs?: number;
  /** The config stored with the plan (as configFingerprint writes it); default: a sweep watching val_loss (min). */
  config?: object;
  /** A run's status by its index (default: every 10th FAILED, the rest SUCCESS). */
  status?: (index: number) => RunStatusName;
  /** When the launch started (ms). */
  time?: number;
}

/** The sweep config the tree orders by: `sweep:` in trials.yaml, EarlyStopping on val_loss in base.yaml. */
export const SWEEP_CONFIG = {
  env: null,
  experiment: { name: "big-sweep" },
  base: { pipeline: { type: "Toy", callbacks: [{ type: "EarlyStopping", metric: "val_loss", patience: 3 }] } },
  trials: [{ name: "grid", sweep: { grid: { lr: [0.1, 0.01] } } }],
};

/**
 * A real tracking database with one experiment of `trials x repeats` runs, written through the
 * store's own writer (plan first, then each run with its epoch series), as a sweep leaves it.
 * Run i's final val_loss is a known function of i, so tests can check the order.
 */
export function writeBigExperiment(file: string, options: BigStoreOptions): { experimentUid: string } {
  const store = new WriteStore(file);
  const experimentUid = randomUUID();
  const time = options.time ?? Date.now();
  const epochs = options.epochs ?? 2;
  const status = options.status ?? ((i: number) => (i % 10 === 9 ? "FAILED" : "SUCCESS"));
  try {
    store.rows.createExperiment(experimentUid, {
      title: options.title ?? "big-sweep",
      desc: "",
      configDir: options.configDir ?? null,
      workspace: null,
      time,
    });
    const trials = Array.from({ length: options.trials }, (_, t) => ({
      uid: randomUUID(),
      name: `lr=${(0.001 * (t + 1)).toPrecision(3)},hidden=${32 * ((t % 4) + 1)}`,
      workspace: null,
    }));
    const runs = trials.flatMap((trial, t) =>
      Array.from({ length: options.repeats }, (_, repeat) => ({
        uid: randomUUID(),
        trialUid: trial.uid,
        index: t * options.repeats + repeat,
        repeat,
        seed: repeat,
        workspace: null,
      })),
    );
    store.writePlan({
      experimentUid,
      time,
      config: JSON.stringify(options.config ?? SWEEP_CONFIG),
      trials,
      runs,
    });
    for (const run of runs) {
      const s = status(run.index);
      // A QUEUED run never started: it stays as the plan wrote it.
      if (s !== "QUEUED") {
        store.startRun(run.uid, time);
        const owner = store.rows.owner({ experiment: experimentUid, trial: run.trialUid, run: run.uid });
        const loss = owner.series("val_loss", "epoch", false);
        const acc = owner.series("val_acc", "epoch", false);
        for (let e = 0; e < epochs; e++) {
          loss.append(e, finalLoss(run.index) + (epochs - 1 - e) * 0.1, time + e);
          acc.append(e, 1 - finalLoss(run.index), time + e);
        }
        store.points.markDirty(loss);
        store.points.markDirty(acc);
        store.endRun(run.uid, owner, { status: s, time: time + epochs });
      }
    }
    store.endExperiment(experimentUid, { status: "SUCCESS", time: time + epochs });
  } finally {
    store.close();
  }
  return { experimentUid };
}

/** Run i's final val_loss: scattered (not in index order), distinct, in (0, 1). */
export function finalLoss(index: number): number {
  return ((index * 7919) % 100_003) / 100_003 + 1e-6;
}
