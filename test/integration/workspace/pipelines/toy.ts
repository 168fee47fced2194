// Test pipelines for the real-editor suites: small, deterministic, fast. They import the
// runtime by name; in the rig's workspace copy that resolves to the extension's bundled
// runtime (no node_modules here), which is what a user without a local install gets.
import * as fs from "node:fs";
import { Metric, Pipeline, RunStatus, register, type Environment, type ParamsSchema } from "@expman/runtime";

/** The settings these fixture pipelines read (base.yaml merged with the trial's `settings`). */
type ToySettings = {
  lr?: number;
  pipeline?: { epochs?: number; delay_ms?: number; fail_at?: number; unsaveable?: boolean; batches?: number; seed_spread?: number };
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class ToyModel {
  constructor(public w = 1) {}
  save(file: string) {
    fs.writeFileSync(file, JSON.stringify({ w: this.w }));
  }
}

/** A model CheckpointCallback cannot save: no save(path), and JSON refuses its cycle. */
function unsaveableModel(): ToyModel {
  const model = { w: 1 } as ToyModel & { self?: object };
  model.self = model;
  return model;
}

abstract class ToyBase extends Pipeline {
  static params: ParamsSchema = {
    epochs: { type: "integer", default: 3, minimum: 1, description: "Epochs to train." },
    delay_ms: { type: "integer", default: 0, minimum: 0, description: "Sleep per epoch (ms)." },
    fail_at: { type: "integer", default: -1, description: "Throw in this epoch (-1: never)." },
    unsaveable: { type: "boolean", default: false, description: "Track a model with neither save() nor JSON form." },
  };
  model = new ToyModel();
  delay = 0;
  failAt = -1;

  @Pipeline.runWrapper
  async run(config: ToySettings) {
    const p = config.pipeline ?? {};
    const epochs: number = p.epochs ?? 3;
    this.delay = p.delay_ms ?? 0;
    this.failAt = p.fail_at ?? -1;
    // Neither the tracked model nor the pipeline's `model` can be saved: CheckpointCallback has
    // no way left and must say so.
    if (p.unsaveable === true) this.model = unsaveableModel();
    this.env.trackerManager.logParams({ epochs, lr: config.lr ?? 0.1 });
    for (let e = 0; e < epochs; e++) {
      await this.runEpoch(e, this.model);
      if (this.stopRequested) break;
      await sleep(this.delay);
    }
    this.runMetrics[Metric.TEST_ACC] = 0.9;
    return { status: "completed" };
  }

  @Pipeline.epochWrapper
  async runEpoch(epochIdx: number, model: ToyModel) {
    if (epochIdx === this.failAt) throw new Error(`toy failure at epoch ${epochIdx}`);
    model.w *= 0.5;
    this.epochMetrics[Metric.TRAIN_LOSS] = model.w;
    this.epochMetrics[Metric.VAL_ACC] = 1 - model.w / 2;
    this.epochMetrics[Metric.NETWORK] = model;
    return RunStatus.SUCCESS;
  }
}

@register("ToyPipeline")
export class ToyPipeline extends ToyBase {
  static override fromConfig(_config: Record<string, unknown>, env: Environment): ToyPipeline {
    return new ToyPipeline(env);
  }
}

/** Deterministic noise in [-0.5, 0.5) (no Math.random: the charts must look the same every run). */
function noise(i: number): number {
  const x = Math.sin(i * 12.9898 + 78.233) * 43758.5453;
  return x - Math.floor(x) - 0.5;
}

/**
 * A noisy, decaying loss logged per batch (and accuracy per epoch): a curve worth charting,
 * for the metrics panel check (zoom and smoothing must change what is drawn). With
 * `seed_spread` s, a run's loss lies s * (1 + seed % 3) higher and its accuracy a tenth of
 * that lower: the repeats of a trial differ, so the panel's group-by-trial band has a width
 * (test/integration/ui/compare.ui.mjs, configs/repeats).
 */
@register("CurvePipeline")
export class CurvePipeline extends Pipeline {
  static params: ParamsSchema = {
    epochs: { type: "integer", default: 10, minimum: 1, description: "Epochs to train." },
    batches: { type: "integer", default: 30, minimum: 1, description: "Batches per epoch." },
    seed_spread: {
      type: "number",
      default: 0,
      minimum: 0,
      description: "Loss offset s * (1 + seed % 3): the repeats of a trial differ.",
    },
  };
  private rate = 0.1;
  private batches = 30;
  private step = 0;
  private level = 0;

  static override fromConfig(_config: Record<string, unknown>, env: Environment): CurvePipeline {
    return new CurvePipeline(env);
  }

  @Pipeline.runWrapper
  async run(config: ToySettings) {
    const p = config.pipeline ?? {};
    const epochs: number = p.epochs ?? 10;
    this.batches = p.batches ?? 30;
    this.rate = config.lr ?? 0.1;
    this.level = (p.seed_spread ?? 0) * (1 + (this.env.seed % 3));
    this.env.trackerManager.logParams({ epochs, batches: this.batches, lr: this.rate });
    for (let e = 0; e < epochs; e++) await this.runEpoch(e);
    return { status: "completed" };
  }

  @Pipeline.epochWrapper
  async runEpoch(epochIdx: number) {
    for (let b = 0; b < this.batches; b++) await this.runBatch(b);
    this.epochMetrics[Metric.VAL_ACC] = 1 - Math.exp(-this.rate * (epochIdx + 1)) / 2 - this.level / 10;
    return RunStatus.SUCCESS;
  }

  @Pipeline.batchWrapper
  async runBatch(_batchIdx: number) {
    const t = this.step++ / this.batches;
    this.batchMetrics[Metric.TRAIN_LOSS] =
      Math.exp(-this.rate * 3 * t) + this.level + 0.25 * noise(this.step * (this.rate > 0.15 ? 7 : 3));
    return RunStatus.SUCCESS;
  }
}

/**
 * CurvePipeline, slowed down (60 ms per batch) and ending with a run-level test_loss: a run
 * lasts a few seconds, so the live metrics panel check can open the panel mid-experiment and
 * see a run-level chart appear when the first run ends.
 */
@register("LiveCurvePipeline")
export class LiveCurvePipeline extends CurvePipeline {
  private liveStep = 0;

  static override fromConfig(_config: Record<string, unknown>, env: Environment): LiveCurvePipeline {
    return new LiveCurvePipeline(env);
  }

  @Pipeline.batchWrapper
  override async runBatch(_batchIdx: number) {
    await sleep(60);
    const t = this.liveStep++;
    this.batchMetrics[Metric.TRAIN_LOSS] = Math.exp(-t / 60) + 0.2 * noise(t * 5);
    this.runMetrics[Metric.TEST_LOSS] = Math.exp(-t / 60);
    return RunStatus.SUCCESS;
  }
}
