import { Callback, Metric, register, type Environment, type MetricDict, type ParamsSchema } from "@expman/runtime";

/**
 * A user callback reading an untracked metric: `Metric.CUSTOM_UNTRACKED` values reach
 * callbacks but no tracker. Warns (once per run) when the largest weight passes a threshold.
 */
@register("WeightWatch")
export class WeightWatch extends Callback {
  static params: ParamsSchema = {
    threshold: {
      type: "number",
      default: 5,
      minimum: 0,
      description: "Warn when the largest absolute weight passes this.",
    },
  };
  private warned = false;

  constructor(
    env: Environment,
    readonly threshold: number,
  ) {
    super(env);
  }

  static override fromConfig(config: Record<string, unknown>, env: Environment): WeightWatch {
    return new WeightWatch(env, typeof config.threshold === "number" ? config.threshold : 5);
  }

  override onStart(): void {
    this.warned = false;
  }

  override onEpochEnd(epochIdx: number, metrics: MetricDict): boolean {
    const debug = metrics[Metric.CUSTOM_UNTRACKED] as [string, number][] | undefined;
    const max = debug?.find(([name]) => name === "debug_max_weight")?.[1];
    if (max !== undefined && max > this.threshold && !this.warned) {
      this.env.logger.warning(`Epoch ${epochIdx}: largest weight ${max.toFixed(2)} is above ${this.threshold}`);
      this.warned = true;
    }
    return false;
  }
}
