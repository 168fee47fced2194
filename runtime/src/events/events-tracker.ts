import { Level, runStatusName } from "../common/enums";
import { Tracker } from "../tracking/tracker";
import type {
  ArtifactInfo,
  CheckpointInfo,
  LevelInfo,
  LifecycleContext,
  LifecycleIds,
  MetricPoint,
  TrackerLike,
} from "../tracking/types";
import type { EventChannel } from "./channel";
import { encodeNumber, jsonReplacer } from "../common/non-finite";
import type { LevelName, MetricsPoint } from "./contract";

const LEVEL_NAMES: Record<Level, LevelName> = {
  [Level.EXPERIMENT]: "experiment",
  [Level.TRIAL]: "trial",
  [Level.TRIAL_RUN]: "trial_run",
  [Level.PIPELINE]: "pipeline",
  [Level.EPOCH]: "epoch",
  [Level.BATCH]: "batch",
};

/** Shared by a root tracker and its children: one channel, one point buffer, one timer. */
class Outbox {
  private points: MetricsPoint[] = [];
  private pointIds: LifecycleIds = {};
  private timer: NodeJS.Timeout | undefined;
  constructor(
    readonly channel: EventChannel,
    private readonly intervalMs: number,
  ) {}

  point(ids: LifecycleIds, point: MetricsPoint): void {
    if (this.points.length > 0 && ids.run !== this.pointIds.run) this.flush();
    this.pointIds = ids;
    this.points.push(point);
    if (this.points.length >= 5000) this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      this.timer.unref();
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.points.length === 0) return;
    this.channel.send({ kind: "metrics", ids: this.pointIds, points: this.points });
    this.points = [];
  }
}

/**
 * Streams the run's events as JSON lines for the extension (events/contract.ts). Metric
 * points are batched (at most every 100 ms, and at every level end) so a fast loop costs one
 * line per batch of points, not one per point.
 */
export class EventsTracker extends Tracker {
  private readonly outbox: Outbox;
  private ids: LifecycleIds = {};
  private runInfo: LevelInfo = {};
  private trialName = "";

  constructor(workspace: string, channel: EventChannel | Outbox, options: { intervalMs?: number } = {}) {
    super(workspace);
    this.outbox = channel instanceof Outbox ? channel : new Outbox(channel, options.intervalMs ?? 100);
  }

  createChild(workspace: string): TrackerLike {
    const child = new EventsTracker(workspace, this.outbox);
    child.ids = this.ids;
    child.trialName = this.trialName;
    return child;
  }

  override track(point: MetricPoint): void {
    const label = point.label === undefined ? {} : { metric: metricOf(point.key, point.label), label: point.label };
    this.outbox.point(this.ids, {
      ...label,
      key: point.key,
      scope: point.scope,
      step: point.step,
      value:
        typeof point.value === "number"
          ? encodeNumber(point.value)
          : typeof point.value === "boolean"
            ? Number(point.value)
            : String(point.value),
      time: point.time,
    });
  }

  private lifecycle(phase: "create" | "start" | "end", level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    this.ids = ctx.ids;
    if (level === Level.TRIAL && info.name) this.trialName = info.name;
    if (level === Level.TRIAL_RUN && phase === "create") this.runInfo = info;
    if (phase === "end" || level <= Level.TRIAL_RUN) this.outbox.flush();
    const status = info.status !== undefined ? runStatusName(info.status) : undefined;
    this.outbox.channel.send({
      kind: "lifecycle",
      phase,
      level: LEVEL_NAMES[level],
      ids: ctx.ids,
      name: info.name,
      repeat: info.repeat,
      seed: info.seed,
      epoch: info.epochId,
      batch: info.batchId,
      status,
      error: info.error ? { message: info.error.message, stack: info.error.stack } : undefined,
      db: typeof info.db === "string" ? info.db : undefined,
      plannedRuns: typeof info.plannedRuns === "number" ? info.plannedRuns : undefined,
      workspace: level <= Level.TRIAL_RUN && phase === "create" ? this.workspace : undefined,
    });
    if (level === Level.EPOCH && phase === "end" && ctx.ids.run) {
      const run = this.runInfo;
      this.outbox.channel.send({
        kind: "progress",
        ids: ctx.ids,
        trial: this.trialName,
        repeat: Number(run.repeat ?? 0),
        repeats: Number(run.repeats ?? 1),
        epoch: info.epochId ?? null,
        epochs: typeof run.epochs === "number" ? run.epochs : null,
        runIndex: Number(run.runIndex ?? 0),
        plannedRuns: Number(run.plannedRuns ?? 1),
      });
    }
  }

  override onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    if (level === Level.EXPERIMENT || level === Level.TRIAL || level === Level.TRIAL_RUN || level === Level.EPOCH) {
      this.lifecycle("create", level, info, ctx);
    }
  }

  override onStart(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    if (level !== Level.BATCH && level !== Level.PIPELINE) this.lifecycle("start", level, info, ctx);
  }

  override onEnd(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    // Batches are too many to announce one by one; their points carry the scope.
    if (level !== Level.BATCH) this.lifecycle("end", level, info, ctx);
  }

  override logParams(params: Record<string, unknown>, ctx: LifecycleContext): void {
    this.outbox.channel.send({ kind: "params", ids: ctx.ids, params: jsonSafe(params) as Record<string, unknown> });
  }

  override onCheckpoint(checkpoint: CheckpointInfo, ctx: LifecycleContext): void {
    const metrics: Record<string, number | string> = {};
    for (const [k, v] of Object.entries(checkpoint.metrics)) {
      if (typeof v === "number") metrics[k] = encodeNumber(v);
      else if (typeof v === "string") metrics[k] = v;
    }
    this.outbox.channel.send({
      kind: "checkpoint",
      ids: ctx.ids,
      path: checkpoint.path,
      epoch: checkpoint.epoch,
      final: checkpoint.final ?? false,
      metrics,
    });
  }

  override onAddArtifact(level: Level, artifact: ArtifactInfo, ctx: LifecycleContext): void {
    // Already sent as a "checkpoint" event.
    if (artifact.checkpoint) return;
    this.outbox.channel.send({
      kind: "artifact",
      ids: ctx.ids,
      path: artifact.path,
      type: artifact.type,
      level: LEVEL_NAMES[level],
    });
  }

  override flush(): void {
    this.outbox.flush();
  }

  override close(): void {
    this.outbox.flush();
  }
}

function jsonSafe(value: unknown): unknown {
  try {
    return JSON.parse(JSON.stringify(value, jsonReplacer));
  } catch {
    return String(value);
  }
}

/** The metric of a per-label key `<metric>/<label>` (TrackerManager joins them so). */
function metricOf(key: string, label: string): string {
  return key.endsWith(`/${label}`) ? key.slice(0, key.length - label.length - 1) : key;
}
