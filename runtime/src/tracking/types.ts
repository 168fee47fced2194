import type { ErrorInfo } from "../common/errors";
import type { Level, RunStatus, Scope } from "../common/enums";

/** `[name, value]`: one custom metric. `Metric.CUSTOM` takes one pair or a list of them. */
export type CustomPair = readonly [string, unknown];

/**
 * One metric value as every tracker receives it. The TrackerManager has already flattened the
 * `Metric.CUSTOM` forms (a pair or a list of pairs) into one point per name, resolved the default
 * step and stamped the wall time, so no tracker has to handle those shapes itself.
 */
export interface MetricPoint {
  /** `train_loss`, ..., or the custom name. */
  key: string;
  value: unknown;
  /** Resolved step: explicit, else the epoch index (epoch scope) or global batch (batch scope); null at run scope. */
  step: number | null;
  scope: Scope;
  custom: boolean;
  /** Epoch index when tracked inside an epoch, else null. */
  epoch: number | null;
  /** Batch index within its epoch when tracked inside a batch, else null. */
  batch: number | null;
  /** Wall time, milliseconds since the Unix epoch. */
  time: number;
  /**
   * A per-label value (the original's `per_label_val`): `key` is `<metric>/<label>`, so every
   * tracker keeps one series per label (TensorBoard groups them under the metric); `label`
   * names the label for trackers that store it as a dimension (the DBTracker).
   */
  label?: string;
}

/** What accompanies a lifecycle event. All fields optional: levels use what applies to them. */
export interface LevelInfo {
  /** Experiment title, trial name. */
  name?: string;
  description?: string;
  epochId?: number;
  batchId?: number;
  /** Which repeat of its trial a trial run is, and its seed. */
  repeat?: number;
  seed?: number;
  /** On end events: how the level ended. */
  status?: RunStatus;
  error?: ErrorInfo;
  [extra: string]: unknown;
}

/** Stable identities of the entities above the current event (UUIDs made by the manager). */
export interface LifecycleIds {
  experiment?: string;
  trial?: string;
  run?: string;
}

export interface LifecycleContext {
  ids: LifecycleIds;
  level: Level;
  time: number;
  epoch: number | null;
  batch: number | null;
}

export interface CheckpointInfo {
  path: string;
  epoch: number | null;
  step: number | null;
  /** Scalar metrics at the checkpoint, by name. */
  metrics: Record<string, unknown>;
  /** The model object (not serialised; trackers that can save models may use it). */
  network?: unknown;
  /** Final checkpoint of a run (`checkpoint-final`). */
  final?: boolean;
  time: number;
}

export interface ArtifactInfo {
  path: string;
  type: string;
  meta?: Record<string, unknown>;
  time: number;
  /**
   * Set when this artifact event announces a checkpoint that trackers also received through
   * `onCheckpoint` (trackers written for the original expect `on_add_artifact` for it). A tracker
   * that stores checkpoints from `onCheckpoint` skips these, so nothing is stored twice.
   */
  checkpoint?: CheckpointInfo;
}

/**
 * A tracker receives every event of the run hierarchy. One instance serves one environment
 * (experiment, trial or trial run); `createChild` makes the instance for the level below.
 * Methods may throw: the TrackerManager isolates failures so one tracker never stops the others.
 */
export interface TrackerLike {
  readonly workspace: string;
  track(point: MetricPoint): void;
  onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void;
  onStart(level: Level, info: LevelInfo, ctx: LifecycleContext): void;
  onEnd(level: Level, info: LevelInfo, ctx: LifecycleContext): void;
  logParams(params: Record<string, unknown>, ctx: LifecycleContext): void;
  onCheckpoint(checkpoint: CheckpointInfo, ctx: LifecycleContext): void;
  onAddArtifact(level: Level, artifact: ArtifactInfo, ctx: LifecycleContext): void;
  /** A warning about the current run that should stay with it (e.g. "no checkpoint saved: <why>"). */
  onRunWarning?(message: string, ctx: LifecycleContext): void;
  createChild(workspace: string): TrackerLike;
  /** Persist what is buffered (epoch ends, checkpoints, run end, exit). */
  flush(): void | Promise<void>;
  /** Release files and connections; called once, at the end of the experiment or on exit. */
  close(): void | Promise<void>;
  /** The original's `save()`: write summaries. Defaults to flush. */
  save?(): void | Promise<void>;
}

/**
 * A tracker that produces metric points of its own (the PerformanceTracker's samples). The
 * TrackerManager sets `sink` to route them to the environment's other trackers, so they are
 * stored and charted like any metric; they never come back to their source.
 */
export interface PointSource {
  sink?: (point: MetricPoint) => void;
}
