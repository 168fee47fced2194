import { randomUUID } from "node:crypto";
import { toErrorInfo } from "../common/errors";
import { isFatalTrackerError } from "./db/errors";
import { ALL_METRICS, Level, Metric, MetricCategory, getMetricCategory, type Scope } from "../common/enums";
import { getRegistry } from "../registry/registry";
import type { Environment } from "../env/environment";
import type { TrackerClass } from "./tracker";
import { artifactsDirOf } from "./tracker";
import type {
  ArtifactInfo,
  CheckpointInfo,
  CustomPair,
  LevelInfo,
  LifecycleContext,
  LifecycleIds,
  MetricPoint,
  PointSource,
  TrackerLike,
} from "./types";

const METRIC_SET: ReadonlySet<string> = new Set(ALL_METRICS);
const UNTRACKED: ReadonlySet<string> = new Set(
  ALL_METRICS.filter((m) => getMetricCategory(m) === MetricCategory.UNTRACKED),
);

/** Failures per tracker, shared by a manager and its children so each is reported once. */
class FailureLog {
  private readonly byTracker = new Map<string, { count: number; first: string }>();
  /** Called once with the first fatal error (a tracker that can never track again). */
  readonly fatalListeners: ((error: Error) => void)[] = [];
  private fatal: Error | undefined;
  constructor(public report: (message: string) => void) {}

  record(trackerName: string, method: string, error: unknown): void {
    if (this.fatal === undefined && isFatalTrackerError(error)) {
      this.fatal = error as Error;
      for (const listener of this.fatalListeners) listener(this.fatal);
    }
    const seen = this.byTracker.get(trackerName);
    if (seen) {
      seen.count++;
      return;
    }
    const info = toErrorInfo(error);
    this.byTracker.set(trackerName, { count: 1, first: `${method}: ${info.message}` });
    this.report(
      `Tracker ${trackerName} failed in ${method}: ${info.message}. The other trackers keep tracking; further errors of ${trackerName} are counted, not repeated.` +
        (info.stack ? `\n${info.stack}` : ""),
    );
  }

  summary(): string[] {
    return [...this.byTracker].map(([name, f]) => `${name}: ${f.count} failure(s), first in ${f.first}`);
  }

  get failed(): boolean {
    return this.byTracker.size > 0;
  }
}

type LevelInfoArg = LevelInfo | string | number | undefined;

/**
 * Fans every event out to the trackers of one environment, in env.yaml order. It also keeps
 * the lifecycle state (current epoch and batch, global batch counter, entity ids), so trackers
 * receive resolved steps and scopes instead of each keeping its own, drifting copy, which is
 * where the original's phantom epoch and batch rows came from.
 */
export class TrackerManager {
  readonly trackers: TrackerLike[] = [];
  private readonly trackerNames: string[] = [];
  private readonly failures: FailureLog;
  readonly workspace: string;
  ids: LifecycleIds;
  private epoch: number | null = null;
  private lastEpoch: number | null = null;
  private batch: number | null = null;
  private lastBatch: number | null = null;
  private globalBatch = 0;
  private closed = false;

  constructor(
    workspace: string,
    options: { ids?: LifecycleIds; report?: (message: string) => void; failures?: FailureLog } = {},
  ) {
    this.workspace = workspace;
    this.ids = { ...(options.ids ?? {}) };
    this.failures = options.failures ?? new FailureLog(options.report ?? ((m) => process.stderr.write(`${m}\n`)));
  }

  /** Builds the trackers listed under `trackers:` in env.yaml, through the registry. */
  static fromConfig(
    envConfig: { trackers?: unknown } | undefined,
    workspace: string,
    env?: Environment,
  ): TrackerManager {
    const manager = new TrackerManager(workspace, { report: env ? (m) => env.logger.error(m) : undefined });
    const entries = Array.isArray(envConfig?.trackers) ? envConfig!.trackers : [];
    for (const entry of entries as Record<string, unknown>[]) {
      const type = entry?.type;
      if (typeof type !== "string") {
        throw new Error(
          `A tracker entry in env.yaml is missing its required 'type' field (got ${JSON.stringify(entry)}).`,
        );
      }
      const cls = getRegistry().get("tracker", type) as unknown as TrackerClass;
      const tracker =
        typeof cls.fromConfig === "function" ? cls.fromConfig(entry, workspace, env) : new cls(workspace, entry);
      manager.addTracker(tracker, type);
    }
    return manager;
  }

  /** Where this environment's trackers write: `<ws>/artifacts`. */
  get artifactDir(): string {
    return artifactsDirOf(this.workspace);
  }

  set report(fn: (message: string) => void) {
    this.failures.report = fn;
  }

  addTracker(tracker: TrackerLike, name = tracker.constructor?.name ?? "Tracker"): void {
    this.trackers.push(tracker);
    this.trackerNames.push(this.trackerNames.includes(name) ? `${name}#${this.trackers.length}` : name);
    this.connectSink(tracker);
  }

  /** Routes a point-producing tracker's own points to this environment's other trackers. */
  private connectSink(tracker: TrackerLike): void {
    if (!("sink" in tracker)) return;
    (tracker as PointSource).sink = (point) => {
      const trackers = this.trackers;
      for (let i = 0; i < trackers.length; i++) {
        if (trackers[i] === tracker) continue;
        try {
          trackers[i].track(point);
        } catch (error) {
          this.failures.record(this.trackerNames[i], "track", error);
        }
      }
    };
  }

  /** Whether any tracker has failed (the CLI prints a summary). */
  get hadFailures(): boolean {
    return this.failures.failed;
  }

  failureSummary(): string[] {
    return this.failures.summary();
  }

  /**
   * Calls `listener` with the first fatal tracker error (for example a database that cannot be
   * written: a full disk, a lock held too long), for this manager and all its children.
   */
  onFatalFailure(listener: (error: Error) => void): void {
    this.failures.fatalListeners.push(listener);
  }

  createChild(workspace: string): TrackerManager {
    const child = new TrackerManager(workspace, { ids: this.ids, failures: this.failures });
    this.trackers.forEach((t, i) => {
      try {
        const made = t.createChild(workspace);
        child.trackers.push(made);
        child.trackerNames.push(this.trackerNames[i]);
        // A tracker that returns itself as child (LogTracker) keeps its root-level sink.
        if (made !== t) child.connectSink(made);
      } catch (error) {
        this.failures.record(this.trackerNames[i], "createChild", error);
      }
    });
    return child;
  }

  // ---- metrics ---------------------------------------------------------------------------

  /**
   * Tracks one metric. `Metric.CUSTOM` takes `[name, value]` or a list of such pairs. Untracked
   * metrics (NETWORK, CUSTOM_UNTRACKED, ...) are dropped: they are for callbacks only. The step
   * defaults to the epoch index inside an epoch and to the global batch counter inside a batch.
   */
  track(metric: Metric, value: unknown, step?: number | null, options: TrackOptions = {}): void {
    if (!METRIC_SET.has(metric)) {
      throw new TypeError(
        `track(): '${String(metric)}' is not a Metric. Use a Metric (e.g. Metric.TRAIN_LOSS) or Metric.CUSTOM with ['${String(metric)}', value].`,
      );
    }
    if (UNTRACKED.has(metric)) return;
    const time = Date.now();
    const resolved = step ?? this.defaultStep();
    const scope = this.scope();
    const emit = (key: string, v: unknown, custom: boolean, perLabel?: Record<string, unknown>) => {
      // A mapping of label -> number is per-label values (the original's dict value); with
      // `perLabel` the total is tracked too. Each label is its own series, `<key>/<label>`.
      const labels = perLabel ?? (isLabelMap(v) ? v : undefined);
      if (perLabel !== undefined || labels === undefined)
        this.emit({ key, value: v, step: resolved, scope, custom, epoch: this.epoch, batch: this.batch, time });
      if (labels) {
        for (const [label, lv] of Object.entries(labels)) {
          this.emit({
            key: `${key}/${label}`,
            value: lv,
            step: resolved,
            scope,
            custom,
            epoch: this.epoch,
            batch: this.batch,
            time,
            label,
          });
        }
      }
    };
    const perLabel = options.perLabel ?? options.per_label_val ?? undefined;
    if (metric === Metric.CUSTOM) {
      for (const [key, v] of customPairs(value)) emit(key, v, true);
      return;
    }
    emit(metric, value, false, perLabel);
  }

  /** Tracks every TRACKED entry of a metrics dict (epochMetrics, batchMetrics, runMetrics). */
  trackDict(metrics: Partial<Record<Metric, unknown>>, step?: number | null): void {
    for (const key of Object.keys(metrics)) {
      if (!METRIC_SET.has(key)) {
        throw new TypeError(
          `trackDict(): '${key}' is not a Metric. Put custom names under Metric.CUSTOM as [name, value] pairs.`,
        );
      }
      if (UNTRACKED.has(key)) continue;
      this.track(key as Metric, metrics[key as Metric], step);
    }
  }

  private scope(): Scope {
    return this.batch !== null ? "batch" : this.epoch !== null ? "epoch" : "run";
  }

  private defaultStep(): number | null {
    if (this.batch !== null) return this.globalBatch;
    return this.epoch;
  }

  private emit(point: MetricPoint): void {
    const trackers = this.trackers;
    for (let i = 0; i < trackers.length; i++) {
      try {
        trackers[i].track(point);
      } catch (error) {
        this.failures.record(this.trackerNames[i], "track", error);
      }
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  onCreate(level: Level, info?: LevelInfoArg): void {
    const i = normalizeInfo(level, info);
    switch (level) {
      // A planned entity comes with its id (`info.uid`): a worker process continues the plan.
      case Level.EXPERIMENT:
        this.ids = { experiment: presetUid(i) ?? randomUUID() };
        break;
      case Level.TRIAL:
        this.ids = { ...this.ids, trial: presetUid(i) ?? randomUUID(), run: undefined };
        break;
      case Level.TRIAL_RUN:
        this.ids = { ...this.ids, run: presetUid(i) ?? randomUUID() };
        this.epoch = this.lastEpoch = this.batch = this.lastBatch = null;
        this.globalBatch = 0;
        break;
      case Level.EPOCH:
        this.epoch = i.epochId ?? (this.lastEpoch === null ? 0 : this.lastEpoch + 1);
        i.epochId = this.epoch;
        this.batch = this.lastBatch = null;
        break;
      case Level.BATCH:
        this.batch = i.batchId ?? (this.lastBatch === null ? 0 : this.lastBatch + 1);
        i.batchId = this.batch;
        break;
    }
    this.fanOut("onCreate", (t, ctx) => t.onCreate(level, i, ctx), level);
  }

  onStart(level: Level, info?: LevelInfoArg): void {
    const i = normalizeInfo(level, info);
    if (level === Level.EPOCH) {
      if (i.epochId !== undefined) this.epoch = i.epochId;
      if (this.epoch === null) this.epoch = this.lastEpoch === null ? 0 : this.lastEpoch + 1;
      i.epochId = this.epoch;
    } else if (level === Level.BATCH) {
      if (i.batchId !== undefined) this.batch = i.batchId;
      if (this.batch === null) this.batch = this.lastBatch === null ? 0 : this.lastBatch + 1;
      i.batchId = this.batch;
    }
    this.fanOut("onStart", (t, ctx) => t.onStart(level, i, ctx), level);
  }

  onEnd(level: Level, info?: LevelInfoArg): void {
    const i = normalizeInfo(level, info);
    if (level === Level.EPOCH && this.epoch !== null) i.epochId ??= this.epoch;
    if (level === Level.BATCH && this.batch !== null) i.batchId ??= this.batch;
    this.fanOut("onEnd", (t, ctx) => t.onEnd(level, i, ctx), level);
    if (level === Level.EPOCH) {
      this.lastEpoch = this.epoch ?? this.lastEpoch;
      this.epoch = null;
      this.batch = null;
    } else if (level === Level.BATCH) {
      this.lastBatch = this.batch ?? this.lastBatch;
      this.batch = null;
      this.globalBatch++;
    } else if (level === Level.TRIAL_RUN || level === Level.PIPELINE) {
      this.epoch = null;
      this.batch = null;
    }
  }

  logParams(params: Record<string, unknown>): void {
    this.fanOut("logParams", (t, ctx) => t.logParams(params, ctx));
  }

  /**
   * Records a checkpoint: `onCheckpoint(network, path, metrics)` as in the original, or
   * `onCheckpoint({ network, checkpointPath, metrics })`.
   */
  onCheckpoint(
    networkOrOptions: unknown,
    checkpointPath?: string,
    metrics: Record<string, unknown> = {},
    options: { final?: boolean } = {},
  ): void {
    let network = networkOrOptions;
    if (checkpointPath === undefined && isCheckpointOptions(networkOrOptions)) {
      network = networkOrOptions.network;
      checkpointPath = networkOrOptions.checkpointPath ?? networkOrOptions.path;
      metrics = networkOrOptions.metrics ?? {};
      options = { final: networkOrOptions.final };
    }
    if (typeof checkpointPath !== "string" || checkpointPath === "") {
      throw new TypeError("onCheckpoint(): a checkpoint path (string) is required.");
    }
    const epoch = this.epoch ?? this.lastEpoch;
    const checkpoint: CheckpointInfo = {
      path: checkpointPath,
      epoch,
      step: epoch,
      metrics: flattenMetricRecord(metrics),
      network,
      final: options.final ?? false,
      time: Date.now(),
    };
    this.fanOut("onCheckpoint", (t, ctx) => t.onCheckpoint(checkpoint, ctx));
    // The original's CheckpointCallback announces checkpoints as artifacts of the trial run
    // (`on_add_artifact`); trackers written for it rely on that. Marked, so ours skip it.
    const artifact: ArtifactInfo = { path: checkpointPath, type: "checkpoint", time: checkpoint.time, checkpoint };
    this.fanOut("onAddArtifact", (t, ctx) => t.onAddArtifact(Level.TRIAL_RUN, artifact, ctx));
  }

  onAddArtifact(level: Level, artifactPath: string, artifactType = "unknown", meta?: Record<string, unknown>): void {
    const artifact: ArtifactInfo = { path: artifactPath, type: artifactType, meta, time: Date.now() };
    this.fanOut("onAddArtifact", (t, ctx) => t.onAddArtifact(level, artifact, ctx));
  }

  /** A warning about the current run, kept with it by trackers that store runs (DBTracker). */
  onRunWarning(message: string): void {
    this.fanOut("onRunWarning", (t, ctx) => t.onRunWarning?.(message, ctx));
  }

  /** The lifecycle state trackers see with each event. */
  context(level: Level): LifecycleContext {
    return { ids: this.ids, level, time: Date.now(), epoch: this.epoch ?? this.lastEpoch, batch: this.batch };
  }

  private fanOut(
    method: string,
    call: (tracker: TrackerLike, ctx: LifecycleContext) => void,
    level: Level = Level.TRIAL_RUN,
  ): void {
    const ctx = this.context(level);
    this.trackers.forEach((tracker, i) => {
      try {
        call(tracker, ctx);
      } catch (error) {
        this.failures.record(this.trackerNames[i], method, error);
      }
    });
  }

  async flush(): Promise<void> {
    await this.eachAsync("flush", (t) => t.flush());
  }

  async save(): Promise<void> {
    await this.eachAsync("save", (t) => (t.save ? t.save() : t.flush()));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.eachAsync("close", (t) => t.close());
  }

  private async eachAsync(method: string, call: (t: TrackerLike) => void | Promise<void>): Promise<void> {
    for (let i = 0; i < this.trackers.length; i++) {
      try {
        await call(this.trackers[i]);
      } catch (error) {
        this.failures.record(this.trackerNames[i], method, error);
      }
    }
  }
}

function presetUid(info: LevelInfo): string | undefined {
  return typeof info.uid === "string" && info.uid !== "" ? info.uid : undefined;
}

function normalizeInfo(level: Level, info: LevelInfoArg): LevelInfo {
  if (info === undefined || info === null) return {};
  if (typeof info === "string") return { name: info };
  if (typeof info === "number") {
    if (level === Level.EPOCH) return { epochId: info };
    if (level === Level.BATCH) return { batchId: info };
    return { id: info };
  }
  const copy: LevelInfo = { ...info };
  // Accept the original's keyword spellings too.
  if (copy.epochId === undefined && typeof copy.epoch_id === "number") copy.epochId = copy.epoch_id;
  if (copy.batchId === undefined && typeof copy.batch_id === "number") copy.batchId = copy.batch_id;
  return copy;
}

/** Per-label values given with a metric (the original's `per_label_val=` keyword). */
export interface TrackOptions {
  perLabel?: Record<string, number> | null;
  per_label_val?: Record<string, number> | null;
}

/** `{ cat: 0.9, dog: 0.8 }`: a plain, non-empty object of numbers (per-label values). */
export function isLabelMap(value: unknown): value is Record<string, number> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const values = Object.values(value);
  return values.length > 0 && values.every((v) => typeof v === "number");
}

/** The `Metric.CUSTOM` forms: one `[name, value]` pair, or a list of pairs. */
export function customPairs(value: unknown): CustomPair[] {
  if (isCustomPair(value)) return [value];
  if (Array.isArray(value) && value.every(isCustomPair)) return value as CustomPair[];
  throw new TypeError(`Metric.CUSTOM takes [name, value] or a list of [name, value] pairs; got ${safeJson(value)}.`);
}

/** One `[name, value]` pair of `Metric.CUSTOM`. */
export function isCustomPair(value: unknown): value is CustomPair {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === "string";
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 200) ?? String(value);
  } catch {
    return String(value);
  }
}

interface CheckpointOptions {
  network?: unknown;
  checkpointPath?: string;
  path?: string;
  metrics?: Record<string, unknown>;
  final?: boolean;
}

function isCheckpointOptions(value: unknown): value is CheckpointOptions {
  return typeof value === "object" && value !== null && ("checkpointPath" in value || "path" in value);
}

/** Metric dicts as plain name -> value, with CUSTOM pairs spread and untracked keys dropped. */
export function flattenMetricRecord(metrics: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(metrics)) {
    if (UNTRACKED.has(key)) continue;
    if (key === Metric.CUSTOM) {
      for (const [name, v] of customPairs(value)) out[name] = v;
    } else {
      out[key] = value;
    }
  }
  return out;
}
