import { Level, RunStatus } from "../../src/common/enums";
import { Tracker } from "../../src/tracking/tracker";
import type {
  ArtifactInfo,
  CheckpointInfo,
  LevelInfo,
  LifecycleContext,
  MetricPoint,
  TrackerLike,
} from "../../src/tracking/types";

/**
 * A real tracker that writes down what it receives, in order, as compact strings
 * (`create EPOCH 0`, `track epoch train_loss=0.5@0`), so tests can compare whole traces.
 */
export class RecordingTracker extends Tracker {
  constructor(
    workspace: string,
    readonly events: string[] = [],
    readonly points: MetricPoint[] = [],
    readonly checkpoints: CheckpointInfo[] = [],
  ) {
    super(workspace);
  }
  createChild(workspace: string): TrackerLike {
    return new RecordingTracker(workspace, this.events, this.points, this.checkpoints);
  }
  private lc(phase: string, level: Level, info: LevelInfo): void {
    const idx = level === Level.EPOCH ? info.epochId : level === Level.BATCH ? info.batchId : info.name;
    const status = info.status !== undefined ? ` ${RunStatus[info.status]}` : "";
    this.events.push(`${phase} ${Level[level]}${idx !== undefined ? ` ${idx}` : ""}${status}`);
  }
  override onCreate(level: Level, info: LevelInfo): void {
    this.lc("create", level, info);
  }
  override onStart(level: Level, info: LevelInfo): void {
    this.lc("start", level, info);
  }
  override onEnd(level: Level, info: LevelInfo): void {
    this.lc("end", level, info);
  }
  override track(point: MetricPoint): void {
    this.points.push(point);
    this.events.push(`track ${point.scope} ${point.key}=${String(point.value)}@${point.step}`);
  }
  override logParams(params: Record<string, unknown>): void {
    this.events.push(`params ${Object.keys(params).join(",")}`);
  }
  override onCheckpoint(checkpoint: CheckpointInfo, _ctx: LifecycleContext): void {
    this.checkpoints.push(checkpoint);
    this.events.push(
      `checkpoint ${checkpoint.path.split("/").pop()} epoch=${checkpoint.epoch}${checkpoint.final ? " final" : ""}`,
    );
  }
  override onAddArtifact(level: Level, artifact: ArtifactInfo): void {
    this.events.push(`artifact ${Level[level]} ${artifact.type}`);
  }
}
