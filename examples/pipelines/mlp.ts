import * as fs from "node:fs";

/**
 * A small multi-layer perceptron in plain TypeScript: one hidden layer (tanh), softmax output,
 * cross-entropy loss, mini-batch SGD with momentum. Enough to train Iris for real in a few
 * milliseconds per epoch, and to save/load checkpoints as JSON any tool can read.
 */
export interface MlpShape {
  inputs: number;
  hidden: number;
  outputs: number;
}

export interface MlpCheckpoint {
  format: "expman-mlp/1";
  shape: MlpShape;
  w1: number[];
  b1: number[];
  w2: number[];
  b2: number[];
  meta?: Record<string, unknown>;
}

export class Mlp {
  readonly shape: MlpShape;
  w1: Float64Array;
  b1: Float64Array;
  w2: Float64Array;
  b2: Float64Array;
  private v: Float64Array[];
  meta: Record<string, unknown> = {};

  constructor(shape: MlpShape, random: () => number) {
    this.shape = shape;
    const { inputs, hidden, outputs } = shape;
    const init = (n: number, fanIn: number) =>
      Float64Array.from({ length: n }, () => (random() * 2 - 1) * Math.sqrt(6 / (fanIn + hidden)));
    this.w1 = init(inputs * hidden, inputs);
    this.b1 = new Float64Array(hidden);
    this.w2 = init(hidden * outputs, hidden);
    this.b2 = new Float64Array(outputs);
    this.v = [this.w1, this.b1, this.w2, this.b2].map((p) => new Float64Array(p.length));
  }

  /** Class probabilities for one sample, and the hidden activations (for backprop). */
  forward(x: ArrayLike<number>): { hidden: Float64Array; probs: Float64Array } {
    const { inputs, hidden: H, outputs: O } = this.shape;
    const hidden = new Float64Array(H);
    for (let h = 0; h < H; h++) {
      let s = this.b1[h];
      for (let i = 0; i < inputs; i++) s += this.w1[h * inputs + i] * x[i];
      hidden[h] = Math.tanh(s);
    }
    const logits = new Float64Array(O);
    let max = -Infinity;
    for (let o = 0; o < O; o++) {
      let s = this.b2[o];
      for (let h = 0; h < H; h++) s += this.w2[o * H + h] * hidden[h];
      logits[o] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let o = 0; o < O; o++) sum += logits[o] = Math.exp(logits[o] - max);
    for (let o = 0; o < O; o++) logits[o] /= sum;
    return { hidden, probs: logits };
  }

  predict(x: ArrayLike<number>): number {
    const { probs } = this.forward(x);
    let best = 0;
    for (let o = 1; o < probs.length; o++) if (probs[o] > probs[best]) best = o;
    return best;
  }

  /** Mean loss and accuracy on a set, without training. */
  evaluate(xs: ArrayLike<number>[], ys: number[]): { loss: number; acc: number } {
    let loss = 0;
    let correct = 0;
    xs.forEach((x, n) => {
      const { probs } = this.forward(x);
      loss -= Math.log(Math.max(probs[ys[n]], 1e-12));
      let best = 0;
      for (let o = 1; o < probs.length; o++) if (probs[o] > probs[best]) best = o;
      if (best === ys[n]) correct++;
    });
    return { loss: loss / xs.length, acc: correct / xs.length };
  }

  /** One SGD-with-momentum step on a mini-batch. Returns the batch loss and gradient norm. */
  trainBatch(
    xs: ArrayLike<number>[],
    ys: number[],
    lr: number,
    momentum: number,
  ): { loss: number; gradNorm: number; correct: number } {
    const { inputs, hidden: H, outputs: O } = this.shape;
    const g = [this.w1, this.b1, this.w2, this.b2].map((p) => new Float64Array(p.length));
    const [gw1, gb1, gw2, gb2] = g;
    let loss = 0;
    let correct = 0;
    xs.forEach((x, n) => {
      const { hidden, probs } = this.forward(x);
      loss -= Math.log(Math.max(probs[ys[n]], 1e-12));
      let best = 0;
      for (let o = 1; o < O; o++) if (probs[o] > probs[best]) best = o;
      if (best === ys[n]) correct++;
      const dOut = Float64Array.from(probs, (p, o) => p - (o === ys[n] ? 1 : 0));
      const dHidden = new Float64Array(H);
      for (let o = 0; o < O; o++) {
        gb2[o] += dOut[o];
        for (let h = 0; h < H; h++) {
          gw2[o * H + h] += dOut[o] * hidden[h];
          dHidden[h] += dOut[o] * this.w2[o * H + h];
        }
      }
      for (let h = 0; h < H; h++) {
        const d = dHidden[h] * (1 - hidden[h] * hidden[h]);
        gb1[h] += d;
        for (let i = 0; i < inputs; i++) gw1[h * inputs + i] += d * x[i];
      }
    });
    let norm = 0;
    const params = [this.w1, this.b1, this.w2, this.b2];
    params.forEach((p, k) => {
      for (let j = 0; j < p.length; j++) {
        const grad = g[k][j] / xs.length;
        norm += grad * grad;
        this.v[k][j] = momentum * this.v[k][j] - lr * grad;
        p[j] += this.v[k][j];
      }
    });
    return { loss: loss / xs.length, gradNorm: Math.sqrt(norm), correct };
  }

  maxAbsWeight(): number {
    let m = 0;
    for (const p of [this.w1, this.w2]) for (const w of p) m = Math.max(m, Math.abs(w));
    return m;
  }

  toJSON(): MlpCheckpoint {
    return {
      format: "expman-mlp/1",
      shape: this.shape,
      w1: [...this.w1],
      b1: [...this.b1],
      w2: [...this.w2],
      b2: [...this.b2],
      meta: this.meta,
    };
  }

  /** Writes the weights as JSON: what CheckpointCallback calls. */
  save(path: string): void {
    fs.writeFileSync(path, JSON.stringify(this.toJSON()));
  }

  static load(path: string): Mlp {
    const data = JSON.parse(fs.readFileSync(path, "utf8")) as MlpCheckpoint;
    if (data.format !== "expman-mlp/1") throw new Error(`${path} is not an expman MLP checkpoint`);
    const model = new Mlp(data.shape, () => 0);
    model.w1 = Float64Array.from(data.w1);
    model.b1 = Float64Array.from(data.b1);
    model.w2 = Float64Array.from(data.w2);
    model.b2 = Float64Array.from(data.b2);
    model.meta = data.meta ?? {};
    return model;
  }
}
