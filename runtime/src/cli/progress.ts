import { Level, RunStatus } from "../common/enums";
import { Tracker } from "../tracking/tracker";
import type { LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "../tracking/types";
import { duration, num } from "./format";

/**
 * The CLI's view of a run: a one-line progress bar on a TTY (trial, repeat, epoch of total,
 * latest loss), plain lines otherwise, and the last value of each metric per run for the
 * summary table. An in-process tracker, so it sees exactly what the other trackers see.
 */
export class ProgressTracker extends Tracker {
  private state: Shared;

  constructor(workspace: string, out: NodeJS.WriteStream = process.stderr, shared?: Shared) {
    super(workspace);
    this.state = shared ?? new Shared(out);
  }

  createChild(workspace: string): TrackerLike {
    return new ProgressTracker(workspace, this.state.out, this.state);
  }

  /** Last value of every metric key, per run uid. */
  get finalMetrics(): Map<string, Record<string, number>> {
    return this.state.finals;
  }

  override track(point: MetricPoint): void {
    if (typeof point.value !== "number" || !this.state.runId) return;
    const finals = this.state.finals.get(this.state.runId)!;
    // Run-scope values win over epoch ones, which win over batch ones (as the results API).
    const rank = { run: 3, epoch: 2, batch: 1 }[point.scope];
    const prev = this.state.ranks.get(point.key) ?? 0;
    if (rank >= prev) {
      finals[point.key] = point.value;
      this.state.ranks.set(point.key, rank);
    }
  }

  override onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    const s = this.state;
    if (level === Level.TRIAL) s.trial = info.name ?? "";
    if (level === Level.TRIAL_RUN) {
      s.runId = ctx.ids.run;
      s.finals.set(ctx.ids.run!, {});
      s.ranks.clear();
      s.repeat = Number(info.repeat ?? 0);
      s.repeats = Number(info.repeats ?? 1);
      s.epochs = typeof info.epochs === "number" ? info.epochs : undefined;
      s.runIndex = Number(info.runIndex ?? 0);
      s.plannedRuns = Number(info.plannedRuns ?? 1);
      s.epoch = undefined;
      s.runStarted = Date.now();
      s.render();
    }
  }

  override onEnd(level: Level, info: LevelInfo): void {
    const s = this.state;
    if (level === Level.EPOCH) {
      s.epoch = info.epochId;
      s.render();
    } else if (level === Level.TRIAL_RUN) {
      s.finish(info.status ?? RunStatus.SUCCESS, info.error?.message);
    }
  }
}

class Shared {
  readonly finals = new Map<string, Record<string, number>>();
  readonly ranks = new Map<string, number>();
  trial = "";
  runId: string | undefined;
  repeat = 0;
  repeats = 1;
  epochs: number | undefined;
  epoch: number | undefined;
  runIndex = 0;
  plannedRuns = 1;
  runStarted = Date.now();
  private lastRender = 0;
  private readonly tty: boolean;

  constructor(readonly out: NodeJS.WriteStream) {
    this.tty = Boolean(out.isTTY);
  }

  private headline(): string {
    const epoch = this.epoch === undefined ? "" : ` epoch ${this.epoch + 1}${this.epochs ? `/${this.epochs}` : ""}`;
    return `[run ${this.runIndex + 1}/${this.plannedRuns}] ${this.trial} repeat ${this.repeat + 1}/${this.repeats}${epoch}`;
  }

  private latest(): string {
    const finals = this.runId ? this.finals.get(this.runId) : undefined;
    if (!finals) return "";
    const keys = ["train_loss", "val_loss", "val_acc"].filter((k) => k in finals);
    return keys.map((k) => `${k}=${num(finals[k])}`).join(" ");
  }

  render(): void {
    if (!this.tty) {
      // Plain lines for logs and pipes: one per run start and per epoch, nothing animated.
      this.out.write(`${this.headline()} ${this.latest()}`.trimEnd() + "\n");
      return;
    }
    const now = Date.now();
    if (now - this.lastRender < 50 && this.epoch !== undefined) return;
    this.lastRender = now;
    const width = 24;
    const fraction = this.epochs && this.epoch !== undefined ? Math.min(1, (this.epoch + 1) / this.epochs) : 0;
    const filled = Math.round(fraction * width);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const line = `${bar} ${this.headline()} ${this.latest()}`;
    const columns = this.out.columns ?? 120;
    this.out.write(`\r\x1b[2K${line.slice(0, columns - 1)}`);
  }

  finish(status: RunStatus, error?: string): void {
    const took = duration(Date.now() - this.runStarted);
    const text = `${this.tty ? "\r\x1b[2K" : ""}${this.headline()} ${RunStatus[status]} in ${took}${error ? `: ${error}` : ""}\n`;
    this.out.write(text);
  }
}
