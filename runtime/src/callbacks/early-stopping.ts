import { Metric, parseMetric } from "../common/enums";
import { builtinDescription } from "../builtins/catalog";
import type { Environment } from "../env/environment";
import { Callback } from "../pipeline/callback";
import type { MetricDict } from "../pipeline/pipeline";
import { isCustomPair } from "../tracking/tracker-manager";
import { readOptions } from "./options";

export type EarlyStoppingMode = "min" | "max";

export interface EarlyStoppingOptions {
  metric?: Metric | string;
  patience?: number;
  minDeltaPercent?: number;
  minDelta?: number;
  mode?: EarlyStoppingMode;
}

/**
 * Stops training when the watched metric has not improved for `patience` epochs. An epoch
 * improves when the change beats both thresholds, strictly: `min_delta_percent` of the best
 * value (the original's rule) and the absolute `min_delta` (ours: usable when the best is 0,
 * where a percentage is undefined).
 */
export class EarlyStopping extends Callback {
  readonly metric: Metric | string;
  readonly patience: number;
  readonly minDeltaPercent: number;
  readonly minDelta: number;
  readonly mode: EarlyStoppingMode;
  counter = 0;
  bestMetric: number | undefined;
  bestEpoch: number | undefined;
  stoppedEarly = false;
  private warnedMissing = false;

  constructor(env: Environment, options: EarlyStoppingOptions = {}) {
    super(env);
    const metric = options.metric ?? Metric.VAL_LOSS;
    this.metric = typeof metric === "string" ? (parseMetric(metric) ?? metric) : metric;
    this.patience = options.patience ?? 5;
    this.minDeltaPercent = options.minDeltaPercent ?? 0;
    this.minDelta = options.minDelta ?? 0;
    this.mode = options.mode ?? "min";
    if (!Number.isInteger(this.patience) || this.patience < 1) {
      throw new RangeError(`EarlyStopping: patience must be an integer >= 1, got ${this.patience}.`);
    }
    if (!(this.minDeltaPercent >= 0))
      throw new RangeError(`EarlyStopping: min_delta_percent must be >= 0, got ${this.minDeltaPercent}.`);
    if (!(this.minDelta >= 0)) throw new RangeError(`EarlyStopping: min_delta must be >= 0, got ${this.minDelta}.`);
    if (this.mode !== "min" && this.mode !== "max") {
      throw new RangeError(`EarlyStopping: mode must be "min" or "max", got ${JSON.stringify(this.mode)}.`);
    }
    if (this.metric === Metric.CUSTOM || this.metric === Metric.CUSTOM_UNTRACKED || this.metric === Metric.NETWORK) {
      throw new RangeError(
        `EarlyStopping: metric must be a value metric such as val_loss or a custom metric name, not '${this.metric}'.`,
      );
    }
  }

  static override fromConfig(config: Record<string, unknown>, env: Environment): EarlyStopping {
    const o = readOptions<{
      metric: string;
      patience: number;
      min_delta_percent?: number;
      min_delta?: number;
      mode: EarlyStoppingMode;
    }>("EarlyStopping", builtinDescription("EarlyStopping").params!, config);
    return new EarlyStopping(env, {
      metric: o.metric,
      patience: o.patience,
      minDeltaPercent: o.min_delta_percent,
      minDelta: o.min_delta,
      mode: o.mode,
    });
  }

  /** Whether this callback stopped training (the original's `early_stop` attribute, which it never set). */
  get earlyStop(): boolean {
    return this.stoppedEarly;
  }
  get early_stop(): boolean {
    return this.stoppedEarly;
  }

  /** The original's alias. */
  get waitCount(): number {
    return this.counter;
  }

  get metricName(): string {
    return String(this.metric);
  }

  override onStart(): void {
    this.counter = 0;
    this.bestMetric = undefined;
    this.bestEpoch = undefined;
    this.stoppedEarly = false;
  }

  override onEpochEnd(epochIdx: number, metrics: MetricDict): boolean {
    const value = readMetric(metrics, this.metric);
    if (value === undefined) {
      if (!this.warnedMissing) {
        this.env.logger.warning(
          `EarlyStopping: metric '${this.metricName}' not found in epoch ${epochIdx} metrics; not counting this epoch.`,
        );
        this.warnedMissing = true;
      }
      return false;
    }
    if (this.bestMetric === undefined) {
      this.bestMetric = value;
      this.bestEpoch = epochIdx;
      return false;
    }
    const delta = this.mode === "min" ? this.bestMetric - value : value - this.bestMetric;
    const deltaPercent =
      this.bestMetric === 0
        ? delta > 0
          ? Infinity
          : delta < 0
            ? -Infinity
            : 0
        : (100 * delta) / Math.abs(this.bestMetric);
    if (deltaPercent > this.minDeltaPercent && delta > this.minDelta) {
      this.bestMetric = value;
      this.bestEpoch = epochIdx;
      this.counter = 0;
      this.env.logger.info(`Metric improved by ${Number.isFinite(deltaPercent) ? deltaPercent.toFixed(2) : "inf"}%`);
    } else {
      this.counter++;
      this.env.logger.info(`No improvement in ${this.counter} epochs`);
    }
    if (this.counter >= this.patience) {
      this.stoppedEarly = true;
      this.env.logger.info(`Early stopping triggered after ${this.counter} epochs without improvement`);
      return true;
    }
    return false;
  }

  override onEnd(): void {
    if (this.bestMetric === undefined) this.env.logger.info("Training finished without recording any metrics");
    else this.env.logger.info(`Training finished. Best ${this.metricName}: ${this.bestMetric.toFixed(4)}`);
  }
}

/** A metric's value in an epoch dict: a Metric key, or a custom name in CUSTOM/CUSTOM_UNTRACKED. */
export function readMetric(metrics: MetricDict, metric: Metric | string): number | undefined {
  const direct = (metrics as Record<string, unknown>)[metric];
  if (direct !== undefined) return typeof direct === "number" ? direct : undefined;
  for (const key of [Metric.CUSTOM, Metric.CUSTOM_UNTRACKED]) {
    const pairs = metrics[key];
    const list = isCustomPair(pairs) ? [pairs] : Array.isArray(pairs) ? pairs : [];
    for (const pair of list)
      if (isCustomPair(pair) && pair[0] === metric && typeof pair[1] === "number") return pair[1];
  }
  return undefined;
}
