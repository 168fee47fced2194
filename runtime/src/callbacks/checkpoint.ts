import * as fs from "node:fs";
import * as path from "node:path";
import { Metric } from "../common/enums";
import { attempt, then, type MaybePromise } from "../common/maybe-async";
import { builtinDescription } from "../builtins/catalog";
import { NO_CHECKPOINT_WARNING } from "../events/contract";
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
 * the pipeline's `saveCheckpoint(path)`, else `pipeline.model.save(path)`. A `Metric.NETWORK`
 * value without `save(path)` is written as JSON when it serializes (plain weights, a small
 * model's fields); otherwise the run says "no checkpoint saved: <why>" once, as a warning in its
 * log and on the event stream (the editor shows it on the run), instead of silently succeeding.
 */
export class CheckpointCallback extends Callback {
  readonly interval: number;
  private index = 0;
  currentCheckpoint = 0;
  private warnedNoModel = false;
  /** The last epoch's Metric.NETWORK: the final checkpoint's model when the run metrics have none. */
  private lastNetwork: unknown;

  constructor(env: Environment, interval: number) {
    super(env);
    if (!Number.isInteger(interval) || interval < 1) {
      throw new RangeError(`CheckpointCallback: interval must be an integer >= 1, got ${interval}.`);
    }
    this.interval = interval;
  }

  static override fromConfig(config: Record<string, unknown>, env: Environment): CheckpointCallback {
    const o = readOptions<{ interval: number }>(
      "CheckpointCallback",
      builtinDescription("CheckpointCallback").params!,
      config,
    );
    return new CheckpointCallback(env, o.interval);
  }

  get checkpointDir(): string {
    return this.env.artifactDir;
  }

  override onStart(): void {
    this.index = 0;
    this.currentCheckpoint = 0;
    this.lastNetwork = undefined;
  }

  override onEpochEnd(_epochIdx: number, metrics: MetricDict): MaybePromise<boolean> {
    this.index++;
    if (metrics[Metric.NETWORK] !== undefined) this.lastNetwork = metrics[Metric.NETWORK];
    if (this.index % this.interval !== 0) return false;
    const file = path.join(this.checkpointDir, `checkpoint-${this.currentCheckpoint}`);
    return then(this.save(file, metrics, false), (saved) => {
      if (saved) this.currentCheckpoint++;
      return false;
    });
  }

  override onEnd(metrics: MetricDict): MaybePromise<void> {
    const withModel =
      metrics[Metric.NETWORK] === undefined && this.lastNetwork !== undefined
        ? { ...metrics, [Metric.NETWORK]: this.lastNetwork }
        : metrics;
    return then(this.save(path.join(this.checkpointDir, "checkpoint-final"), withModel, true), () => undefined);
  }

  private save(file: string, metrics: MetricDict, final: boolean): MaybePromise<boolean> {
    const target = this.saveTarget(metrics, this.pipeline);
    if ("why" in target) {
      if (!this.warnedNoModel) {
        const warning = `${NO_CHECKPOINT_WARNING}: ${target.why}`;
        this.env.logger.warning(warning);
        // Stored with the run too: the tree and `expman show` say it after a reload.
        this.env.trackerManager.onRunWarning(warning);
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

  private saveTarget(
    metrics: MetricDict,
    pipeline?: Pipeline,
  ): { save: (p: string) => unknown; network: unknown } | { why: string } {
    const network = metrics[Metric.NETWORK];
    if (isSaveable(network)) return { save: (p) => network.save(p), network };
    const hook = pipeline as unknown as Partial<CheckpointHook> | undefined;
    if (hook && typeof hook.saveCheckpoint === "function")
      return { save: (p) => hook.saveCheckpoint!(p), network: undefined };
    const model = (pipeline as unknown as { model?: unknown } | undefined)?.model;
    if (isSaveable(model)) return { save: (p) => model.save(p), network: model };
    if (network !== undefined && network !== null) {
      const json = asJson(network);
      if ("text" in json) return { save: (p) => fs.writeFileSync(p, json.text), network };
      return {
        why: `the model in Metric.NETWORK (${describeValue(network)}) has no save(path) method and is not JSON-serializable (${json.why}); give it save(path), or the pipeline a saveCheckpoint(path) method`,
      };
    }
    return {
      why: "nothing to save: put the model in epochMetrics[Metric.NETWORK], give the pipeline a saveCheckpoint(path) method, or a `model` with save(path)",
    };
  }
}

/** JSON text of a value, or why there is none (a cycle, a BigInt, a function, an empty result). */
function asJson(value: unknown): { text: string } | { why: string } {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    return { why: (error as Error).message.split("\n")[0] };
  }
  if (text === undefined) return { why: `a ${typeof value} has no JSON form` };
  if (text === "{}" && typeof value === "object" && Object.getPrototypeOf(value) !== Object.prototype)
    return { why: "it serializes to {} (its state is not in enumerable fields)" };
  return { text };
}

function describeValue(value: unknown): string {
  if (typeof value !== "object" || value === null) return typeof value;
  const name = (value as { constructor?: { name?: string } }).constructor?.name;
  return name && name !== "Object" ? `a ${name}` : "an object";
}

function isSaveable(value: unknown): value is Saveable {
  return typeof value === "object" && value !== null && typeof (value as Saveable).save === "function";
}
