import { Metric, parseMetric } from "../common/enums";
import { builtinDescription } from "../builtins/catalog";
import type { Environment } from "../env/environment";
import { Callback } from "../pipeline/callback";
import type { MetricDict } from "../pipeline/pipeline";
import type { SqlStatement } from "../tracking/db/sql";
import type { DBTracker } from "../tracking/db/db-tracker";
import { readMetric } from "./early-stopping";
import { readOptions } from "./options";

export interface MedianStopOptions {
  metric?: Metric | string;
  mode?: "min" | "max";
  /** Epochs (0-based indices below this) never stopped: early epochs say little. */
  warmupEpochs?: number;
  /** Finished peers needed at an epoch before the rule judges it. */
  minFinished?: number;
}

/** The median of a non-empty list of numbers. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * The median stopping rule (as Vizier and Optuna's MedianPruner describe it): a run whose
 * metric at epoch k is worse than the median of the finished runs of the same experiment at
 * epoch k stops, after `warmup_epochs` and once `min_finished` peers have a value there. Peers
 * are read from the experiment's store through its DBTracker's connection (SQLite or PostgreSQL,
 * one SQL interface), so it works the same for runs in this process, in parallel workers and
 * in Slurm tasks on other nodes. "Finished"
 * is a run that ended SUCCESS or STOPPED (one stopped by this rule has its epochs up to the
 * stop). The run ends STOPPED with the reason stored as its message (`expman show`).
 */
export class MedianStop extends Callback {
  readonly metric: Metric | string;
  readonly mode: "min" | "max";
  readonly warmupEpochs: number;
  readonly minFinished: number;
  private query: SqlStatement | undefined;
  private warned = false;
  /** Why this callback stopped the run, if it did. */
  reason: string | undefined;

  constructor(env: Environment, options: MedianStopOptions = {}) {
    super(env);
    const metric = options.metric ?? Metric.VAL_LOSS;
    this.metric = typeof metric === "string" ? (parseMetric(metric) ?? metric) : metric;
    this.mode = options.mode ?? "min";
    this.warmupEpochs = options.warmupEpochs ?? 1;
    this.minFinished = options.minFinished ?? 3;
    if (this.mode !== "min" && this.mode !== "max")
      throw new RangeError(`MedianStop: mode must be "min" or "max", got ${JSON.stringify(this.mode)}.`);
    if (!Number.isInteger(this.warmupEpochs) || this.warmupEpochs < 0)
      throw new RangeError(`MedianStop: warmup_epochs must be an integer >= 0, got ${this.warmupEpochs}.`);
    if (!Number.isInteger(this.minFinished) || this.minFinished < 1)
      throw new RangeError(`MedianStop: min_finished must be an integer >= 1, got ${this.minFinished}.`);
  }

  static override fromConfig(config: Record<string, unknown>, env: Environment): MedianStop {
    const o = readOptions<{ metric: string; mode: "min" | "max"; warmup_epochs: number; min_finished: number }>(
      "MedianStop",
      builtinDescription("MedianStop").params!,
      config,
    );
    return new MedianStop(env, {
      metric: o.metric,
      mode: o.mode,
      warmupEpochs: o.warmup_epochs,
      minFinished: o.min_finished,
    });
  }

  override onStart(): void {
    this.reason = undefined;
  }

  /** The peers' values of the metric at `epoch`: finished runs of this experiment, this run excluded. */
  peerValues(epoch: number): number[] | undefined {
    if (this.warned) return undefined;
    try {
      if (!this.query) {
        // Required here, not imported: the DBTracker module (and better-sqlite3) loads only when used.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { DBTracker: Db } = require("../tracking/db/db-tracker") as { DBTracker: typeof DBTracker };
        const store = this.env.trackerManager.trackers.find((t): t is DBTracker => t instanceof Db);
        if (!store) {
          this.warnOnce("no DBTracker in env.yaml, so no peers to compare with; it never stops");
          return undefined;
        }
        // The writer's own connection: committed rows of every process (SQLite WAL readers do
        // not wait for writers; a PostgreSQL read is one statement outside the writer's transactions).
        this.query = store.connection.prepare(
          `SELECT m.value AS value FROM epoch_metric m
             JOIN trial_run r ON r.id = m.run_id
             JOIN trial t ON t.id = r.trial_id
             JOIN experiment e ON e.id = t.experiment_id
           WHERE e.uid = ? AND r.uid <> ? AND r.status IN ('SUCCESS', 'STOPPED')
             AND m.epoch = ? AND m.key = ? AND m.value IS NOT NULL`,
        );
      }
      const ids = this.env.trackerManager.ids;
      const rows = this.query.all(ids.experiment ?? "", ids.run ?? "", epoch, String(this.metric)) as {
        value: number;
      }[];
      return rows.map((r) => r.value).filter((v) => Number.isFinite(v));
    } catch (error) {
      // Reading the peers must never fail the run: say why once and go on without stopping.
      this.warnOnce(`cannot read the peers from the store (${(error as Error).message}); it never stops`);
      return undefined;
    }
  }

  private warnOnce(why: string): void {
    if (this.warned) return;
    this.warned = true;
    this.env.logger.warning(`MedianStop: ${why}.`);
  }

  override onEpochEnd(epochIdx: number, metrics: MetricDict): boolean {
    if (epochIdx < this.warmupEpochs) return false;
    const value = readMetric(metrics, this.metric);
    if (value === undefined || !Number.isFinite(value)) return false;
    const peers = this.peerValues(epochIdx);
    if (!peers || peers.length < this.minFinished) return false;
    const m = median(peers);
    const worse = this.mode === "min" ? value > m : value < m;
    if (!worse) return false;
    this.reason = `median_stop: ${String(this.metric)} ${fmt(value)} at epoch ${epochIdx} is worse than the median ${fmt(m)} of ${peers.length} finished runs (mode ${this.mode})`;
    this.env.logger.info(`MedianStop: ${this.reason}`);
    if (this.pipeline) this.pipeline.stopReason = this.reason;
    return true;
  }

  override onEnd(): void {
    // The connection is the DBTracker's: only the statement is dropped.
    this.query = undefined;
  }
}

function fmt(x: number): string {
  return Number(x.toPrecision(4)).toString();
}
