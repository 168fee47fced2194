// Test pipelines for the real-editor suites: small, deterministic, fast. They import the
// runtime by name; in the rig's workspace copy that resolves to the extension's bundled
// runtime (no node_modules here), which is what a user without a local install gets.
import * as fs from "node:fs";
import { Metric, Pipeline, RunStatus, register, type Environment, type ParamsSchema } from "@expman/runtime";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class ToyModel {
  constructor(public w = 1) {}
  save(file: string) {
    fs.writeFileSync(file, JSON.stringify({ w: this.w }));
  }
}

abstract class ToyBase extends Pipeline {
  static params: ParamsSchema = {
    epochs: { type: "integer", default: 3, minimum: 1, description: "Epochs to train." },
    delay_ms: { type: "integer", default: 0, minimum: 0, description: "Sleep per epoch (ms)." },
    fail_at: { type: "integer", default: -1, description: "Throw in this epoch (-1: never)." },
  };
  model = new ToyModel();
  delay = 0;
  failAt = -1;

  @Pipeline.runWrapper
  async run(config: Record<string, any>) {
    const p = config.pipeline ?? {};
    const epochs: number = p.epochs ?? 3;
    this.delay = p.delay_ms ?? 0;
    this.failAt = p.fail_at ?? -1;
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
  static override fromConfig(_config: Record<string, any>, env: Environment): ToyPipeline {
    return new ToyPipeline(env);
  }
}
