import { Metric, Pipeline, RunStatus, register, type Environment, type ParamsSchema } from "@expman/runtime";
import { loadIris, type Split } from "./iris-data";
import { Mlp } from "./mlp";

/** The settings this pipeline reads (base.yaml merged with the trial's `settings`). */
type IrisSettings = {
  pipeline?: { epochs?: number; batch_size?: number; hidden?: number };
  optimizer?: { lr?: number; momentum?: number };
  lr_scheduler?: { step_size?: number; gamma?: number };
};

/**
 * Trains a one-hidden-layer MLP on the Iris data set, for real: mini-batch SGD with momentum
 * and a step learning-rate schedule. Shows the three wrappers (run, epoch, batch), standard
 * metrics, custom metrics (`grad_norm`, `weight_max`) and an untracked debug metric that only
 * callbacks see (`debug_max_weight`, read by the WeightWatch callback).
 */
@register("IrisMlp")
export class IrisMlp extends Pipeline {
  static params: ParamsSchema = {
    epochs: {
      type: "integer",
      default: 60,
      minimum: 1,
      description: "Maximum number of epochs (EarlyStopping may end sooner).",
    },
    batch_size: { type: "integer", default: 16, minimum: 1, description: "Samples per mini-batch." },
    hidden: { type: "integer", default: 16, minimum: 1, description: "Units in the hidden layer." },
  };
  static metrics = ["grad_norm", "weight_max"];

  model!: Mlp;
  private data!: { train: Split; val: Split; test: Split };
  private lr = 0.1;
  private momentum = 0.9;
  private batchSize = 16;
  private epochTotals = { loss: 0, correct: 0, seen: 0, gradNorm: 0, batches: 0 };

  static override fromConfig(_config: Record<string, unknown>, env: Environment): IrisMlp {
    return new IrisMlp(env);
  }

  @Pipeline.runWrapper
  async run(config: IrisSettings) {
    const p = config.pipeline ?? {};
    const epochs: number = p.epochs ?? 60;
    this.batchSize = p.batch_size ?? 16;
    const baseLr: number = config.optimizer?.lr ?? 0.1;
    this.momentum = config.optimizer?.momentum ?? 0.9;
    const stepSize: number = config.lr_scheduler?.step_size ?? 20;
    const gamma: number = config.lr_scheduler?.gamma ?? 0.5;

    this.env.trackerManager.logParams({
      model: "mlp",
      hidden: p.hidden ?? 16,
      epochs,
      batch_size: this.batchSize,
      optimizer: { type: "sgd", lr: baseLr, momentum: this.momentum },
      lr_scheduler: { step_size: stepSize, gamma },
      seed: this.env.seed,
    });

    const iris = loadIris((items) => this.env.rng.shuffle(items));
    this.data = iris;
    this.model = new Mlp({ inputs: 4, hidden: p.hidden ?? 16, outputs: iris.classes.length }, () =>
      this.env.rng.random(),
    );
    this.model.meta = { classes: iris.classes, seed: this.env.seed };

    for (let epoch = 0; epoch < epochs; epoch++) {
      this.lr = baseLr * gamma ** Math.floor(epoch / stepSize);
      await this.runEpoch(epoch, this.model);
      if (this.stopRequested) break; // EarlyStopping: evaluate the model trained so far
      // Let signals (Stop from the editor, Ctrl-C) be handled between epochs.
      await new Promise((resolve) => setImmediate(resolve));
    }

    const test = this.model.evaluate(iris.test.x, iris.test.y);
    this.runMetrics[Metric.TEST_LOSS] = test.loss;
    this.runMetrics[Metric.TEST_ACC] = test.acc;
    this.runMetrics[Metric.NETWORK] = this.model;
    this.env.logger.info(`Final Results - Loss: ${test.loss.toFixed(4)}, Accuracy: ${test.acc.toFixed(4)}`);
    return { status: "completed", testAcc: test.acc, testLoss: test.loss };
  }

  @Pipeline.epochWrapper
  async runEpoch(epochIdx: number, model: Mlp) {
    const { train, val } = this.data;
    const order = this.env.rng.shuffle(train.x.map((_, i) => i));
    this.epochTotals = { loss: 0, correct: 0, seen: 0, gradNorm: 0, batches: 0 };
    for (let b = 0, start = 0; start < order.length; b++, start += this.batchSize) {
      if (this.stopRequested) break;
      const idx = order.slice(start, start + this.batchSize);
      this.runBatch(
        b,
        idx.map((i) => train.x[i]),
        idx.map((i) => train.y[i]),
      );
    }
    const t = this.epochTotals;
    const v = model.evaluate(val.x, val.y);
    this.epochMetrics[Metric.TRAIN_LOSS] = t.loss / t.seen;
    this.epochMetrics[Metric.TRAIN_ACC] = t.correct / t.seen;
    this.epochMetrics[Metric.VAL_LOSS] = v.loss;
    this.epochMetrics[Metric.VAL_ACC] = v.acc;
    this.epochMetrics[Metric.LEARNING_RATE] = this.lr;
    this.epochMetrics[Metric.NETWORK] = model;
    this.epochMetrics[Metric.CUSTOM] = [
      ["grad_norm", t.gradNorm / t.batches],
      ["weight_max", model.maxAbsWeight()],
    ];
    this.epochMetrics[Metric.CUSTOM_UNTRACKED] = [["debug_max_weight", model.maxAbsWeight()]];
    return RunStatus.SUCCESS;
  }

  @Pipeline.batchWrapper
  runBatch(_batchIdx: number, xs: number[][], ys: number[]) {
    const r = this.model.trainBatch(xs, ys, this.lr, this.momentum);
    const t = this.epochTotals;
    t.loss += r.loss * xs.length;
    t.correct += r.correct;
    t.seen += xs.length;
    t.gradNorm += r.gradNorm;
    t.batches++;
    this.batchMetrics[Metric.TRAIN_LOSS] = r.loss;
    this.batchMetrics[Metric.CUSTOM] = [["grad_norm", r.gradNorm]];
    return RunStatus.SUCCESS;
  }
}
