import type { Environment } from "../env/environment";
import type { RegistryKind } from "../registry/schema";
import type { MaybePromise } from "../common/maybe-async";
import type { MetricDict, Pipeline } from "./pipeline";

/**
 * Base class of callbacks. Unlike the original, returning `true` from `onEpochEnd` or
 * `onBatchEnd` STOPS training; `false` or nothing continues (docs/architecture.md, "Decisions and deviations": a callback that
 * forgets to return must not stop a run). Every callback is still called for the epoch or
 * batch that stops. Methods may be async when the wrapped pipeline method is async.
 */
export class Callback {
  static readonly registryKind: RegistryKind = "callback";
  env: Environment;
  /** The pipeline this callback is registered on (set by `registerCallback`). */
  pipeline?: Pipeline;

  constructor(env: Environment) {
    this.env = env;
  }

  /** Built from a `pipeline.callbacks` entry of base.yaml. */
  static fromConfig(
    this: new (env: Environment) => Callback,
    _config: Record<string, unknown>,
    env: Environment,
  ): Callback {
    return new this(env);
  }

  onStart(): MaybePromise<void> {}

  /** Return true to stop training. */
  onEpochEnd(_epochIdx: number, _metrics: MetricDict): MaybePromise<boolean | void> {
    return false;
  }

  /** Return true to stop training. */
  onBatchEnd(_batchIdx: number, _metrics: MetricDict): MaybePromise<boolean | void> {
    return false;
  }

  onEnd(_metrics: MetricDict): MaybePromise<void> {}
}
