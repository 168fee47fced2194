import * as fs from "node:fs";
import * as path from "node:path";
import { Level, RunStatus } from "../common/enums";
import { pyRepr } from "../common/py-repr";
import { pythonTimestamp } from "../env/logger";
import type { Environment } from "../env/environment";
import { Tracker } from "./tracker";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "./types";

const SCOPE_LEVEL = { batch: Level.BATCH, epoch: Level.EPOCH, run: Level.PIPELINE } as const;

/** Buffered lines reach the file at most this long after they were logged. */
const FLUSH_MS = 1000;

/**
 * The original's human-readable `experiment.log`: one file for the whole hierarchy
 * (`<root ws>/artifacts/experiment.log`), each line indented two spaces per level, in the
 * original's wording (`Creating EPOCH`, `Kwargs: {...}`, `Parameters:`, `<metric>: <value> at
 * step <n>`). Lines are buffered so per-batch metrics stay cheap, and written within a second
 * (a timer, and a check on every line for loops that never yield), at level ends, every 64 KiB
 * and on exit: `tail -f` follows a long epoch. The syntaxes/ grammar colours this format.
 */
export class LogTracker extends Tracker {
  readonly file: string;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private readonly echo: boolean;
  private readonly exitHandler = () => this.flush();
  private timer: NodeJS.Timeout | undefined;
  private lastFlush = Date.now();
  /** The original's `current_level`: set by create/start, cleared by end; params and run metrics are indented by it. */
  private currentLevel: Level | null = null;

  constructor(workspace: string, options: { verbose?: boolean } = {}) {
    super(workspace);
    this.file = path.join(this.workspace, "experiment.log");
    this.echo = options.verbose ?? false;
    fs.mkdirSync(this.workspace, { recursive: true });
    process.on("exit", this.exitHandler);
  }

  static fromConfig(config: Record<string, unknown>, workspace: string, _env?: Environment): LogTracker {
    return new LogTracker(workspace, { verbose: config.verbose === true });
  }

  /** One file for the whole hierarchy: children are this tracker. */
  createChild(_workspace: string): TrackerLike {
    return this;
  }

  private line(level: Level, text: string): void {
    const out = `${pythonTimestamp(new Date())} - ${"  ".repeat(level)}${text}\n`;
    this.buffer.push(out);
    this.bufferedBytes += out.length;
    if (this.echo) process.stdout.write(`${"  ".repeat(level)}${text}\n`);
    if (this.bufferedBytes > 65536 || Date.now() - this.lastFlush >= FLUSH_MS) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, FLUSH_MS);
      // The log must never keep the process alive; the exit handler writes what is left.
      this.timer.unref();
    }
  }

  private infoLines(level: Level, info: LevelInfo): void {
    const { name, ...rest } = info;
    if (name !== undefined) this.line(level, `Args: (${pyRepr(name)},)`);
    const kwargs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(rest)) {
      if (v === undefined) continue;
      if (k === "status") kwargs.status = RunStatus[v as RunStatus] ?? v;
      else if (k === "error") kwargs.error = (v as { message?: string })?.message ?? v;
      else kwargs[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v;
    }
    if (Object.keys(kwargs).length > 0) this.line(level, `Kwargs: ${pyRepr(kwargs)}`);
  }

  override onCreate(level: Level, info: LevelInfo): void {
    this.currentLevel = level;
    this.line(level, `Creating ${Level[level]}`);
    this.infoLines(level, info);
  }

  override onStart(level: Level, info: LevelInfo): void {
    this.currentLevel = level;
    this.line(level, `Starting ${Level[level]}`);
    // The original starts the experiment without arguments and a trial with `trial_name=`.
    const { name, ...rest } = info;
    if (level === Level.TRIAL && name !== undefined) this.infoLines(level, { trialName: name, ...rest });
    else if (level === Level.EXPERIMENT) this.infoLines(level, rest);
    else this.infoLines(level, info);
  }

  override onEnd(level: Level, info: LevelInfo): void {
    this.line(level, `Ending ${Level[level]}`);
    this.infoLines(level, info);
    this.currentLevel = null;
    if (level <= Level.EPOCH) this.flush();
  }

  override track(point: MetricPoint): void {
    const step = point.step === null ? "" : ` at step ${point.step}`;
    const level = point.scope === "run" ? (this.currentLevel ?? Level.EXPERIMENT) : SCOPE_LEVEL[point.scope];
    this.line(level, `${point.key}: ${formatValue(point.value)}${step}`);
  }

  override logParams(params: Record<string, unknown>, _ctx: LifecycleContext): void {
    const level = this.currentLevel ?? Level.EXPERIMENT;
    this.line(level, "Parameters:");
    for (const [k, v] of Object.entries(params)) this.line(level, `  ${k}: ${formatValue(v)}`);
  }

  override onCheckpoint(checkpoint: CheckpointInfo): void {
    const kind = checkpoint.network
      ? ((checkpoint.network as object).constructor?.name ?? typeof checkpoint.network)
      : "None";
    this.line(Level.EPOCH, `Saving checkpoint of network ${kind}, to ${checkpoint.path}`);
  }

  override onAddArtifact(level: Level, artifact: ArtifactInfo): void {
    this.line(level, "Adding artifact:");
    this.line(level, `  Path: ${artifact.path}`);
    this.line(level, `  Type: ${artifact.type}`);
    if (artifact.meta && Object.keys(artifact.meta).length > 0) this.line(level, `  Kwargs: ${pyRepr(artifact.meta)}`);
  }

  /** The original's extra: a block of named values at a level. */
  onMetric(level: Level, metrics: Record<string, unknown>): void {
    this.line(level, "Metric:");
    for (const [k, v] of Object.entries(metrics)) this.line(level, `  ${k}: ${formatValue(v)}`);
  }

  override flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastFlush = Date.now();
    if (this.buffer.length === 0) return;
    const text = this.buffer.join("");
    this.buffer = [];
    this.bufferedBytes = 0;
    fs.appendFileSync(this.file, text);
  }

  override close(): void {
    this.flush();
    process.off("exit", this.exitHandler);
  }
}

function formatValue(value: unknown): string {
  if (typeof value === "number") return pyRepr(value);
  if (typeof value === "string") return value;
  return pyRepr(value);
}
