import * as path from "node:path";
import { Metric } from "../common/enums";
import { attempt, then, type MaybePromise } from "../common/maybe-async";
import { builtinDescription } from "../builtins/catalog";
import type { Environment } from "../env/environment";
import { Callback } from "../pipeline/callback";
import type { MetricDict, Pipeline } from "../pipeline/pipeline";
import { readOptions } from "./options";

/** Something that can write itself to a file: the model, or the pipeline's own hook. */
interface Saveable {
  save(path: string): unknown;
}

/** A pipeline may implement this instead of exposing a model with `save(path)`. */
export interface CheckpointHook {
  saveCheckpoint(path: string): unknown;
}

/**
 * Saves the model every `interval` epochs as `<run>/artifacts/checkpoint-<k>` (k from 0) and at
 * the end as `checkpoint-final`, and records each checkpoint with the epoch's metrics through
 * `onCheckpoint`. The model comes from `Metric.NETWORK` in the metrics (the original's way), else
 * the pipeline's `saveCheckpoint(path)`, else `pipeline.model.save(path)`.
 */
export class CheckpointCallback extends Callback {
  readonly interval: number;
  private index = 0;
  currentCheckpoint = 0;
  private warnedNoModel = false;

  constructor(env: Environment, interval: number) {
    super(env);
    if (!Number.isInteger(interval) || interval < 1) {
      throw new RangeError(`CheckpointCallback: interval must be an integer >= 1, got ${interval}.`);
    }
    this.interval = interval;
  }

  static override fromConfig(config: Record<string, unknown>, env: Environment): CheckpointCallback {
    const o = readOptions("CheckpointCallback", builtinDescription("CheckpointCallback").params!, config);
    return new CheckpointCallback(env, o.interval);
  }

  get checkpointDir(): string {
    return this.env.artifactDir;
  }

  override onStart(): void {
    this.index = 0;
    this.currentCheckpoint = 0;
  }

  override onEpochEnd(_epochIdx: number, metrics: MetricDict): MaybePromise<boolean> {
    this.index++;
    if (this.index % this.interval !== 0) return false;
    const file = path.join(this.checkpointDir, `checkpoint-${this.currentCheckpoint}`);
    return then(this.save(file, metrics, false), (saved) => {
      if (saved) this.currentCheckpoint++;
      return false;
    });
  }

  override onEnd(metrics: MetricDict): MaybePromise<void> {
    return then(this.save(path.join(this.checkpointDir, "checkpoint-final"), metrics, true), () => undefined);
  }

  private save(file: string, metrics: MetricDict, final: boolean): MaybePromise<boolean> {
    const target = this.saveTarget(metrics, this.pipeline);
    if (!target) {
      if (!this.warnedNoModel) {
        this.env.logger.warning(
          "CheckpointCallback: nothing to save. Put the model in epochMetrics[Metric.NETWORK], give the pipeline a saveCheckpoint(path) method, or a `model` with save(path).",
        );
        this.warnedNoModel = true;
      }
      return false;
    }
    const record = () => {
      this.env.trackerManager.onCheckpoint(target.network, file, { ...metrics }, { final });
      this.env.logger.info(`Checkpoint saved: ${file}`);
      return true;
    };
    // A failed save (sync or async) is logged and the run goes on, as in the original.
    return attempt(
      () => then(target.save(file), record),
      (error) => {
        this.env.logger.error(`Failed to save checkpoint ${file}: ${(error as Error)?.message ?? String(error)}`);
        return false;
      },
    );
  }

  private saveTarget(metrics: MetricDict, pipeline?: Pipeline): { save: (p: string) => unknown; network: unknown } | undefined {
    const network = metrics[Metric.NETWORK];
    if (isSaveable(network)) return { save: (p) => network.save(p), network };
    const hook = pipeline as unknown as Partial<CheckpointHook> | undefined;
    if (hook && typeof hook.saveCheckpoint === "function") return { save: (p) => hook.saveCheckpoint!(p), network: undefined };
    const model = (pipeline as unknown as { model?: unknown } | undefined)?.model;
    if (isSaveable(model)) return { save: (p) => model.save(p), network: model };
    return undefined;
  }
}

function isSaveable(value: unknown): value is Saveable {
  return typeof value === "object" && value !== null && typeof (value as Saveable).save === "function";
}
