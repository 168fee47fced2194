import * as fs from "node:fs";
import * as path from "node:path";
import { Level, RunStatus } from "../common/enums";
import { pyRepr } from "../common/py-repr";
import { pythonTimestamp } from "../env/logger";
import type { Environment } from "../env/environment";
import { Tracker } from "./tracker";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "./types";

const SCOPE_LEVEL = { batch: Level.BATCH, epoch: Level.EPOCH, run: Level.PIPELINE } as const;

/**
 * The original's human-readable `experiment.log`: one file for the whole hierarchy
 * (`<root ws>/artifacts/experiment.log`), each line indented two spaces per level. Lines are
 * buffered and written at level ends, every 64 KiB and on exit, so per-batch metrics stay cheap.
 * The syntaxes/ grammar colours this format in the editor.
 */
export class LogTracker extends Tracker {
  readonly file: string;
  private buffer: string[] = [];
  private bufferedBytes = 0;
  private readonly echo: boolean;
  private readonly exitHandler = () => this.flush();

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
    if (this.bufferedBytes > 65536) this.flush();
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
    this.line(level, `Creating ${Level[level]}`);
    this.infoLines(level, info);
  }

  override onStart(level: Level, info: LevelInfo): void {
    this.line(level, `Starting ${Level[level]}`);
    this.infoLines(level, info);
  }

  override onEnd(level: Level, info: LevelInfo): void {
    this.line(level, `Ending ${Level[level]}`);
    this.infoLines(level, info);
    if (level <= Level.EPOCH) this.flush();
  }

  override track(point: MetricPoint): void {
    const step = point.step === null ? "" : ` at step ${point.step}`;
    this.line(SCOPE_LEVEL[point.scope], `${point.key}: ${formatValue(point.value)}${step}`);
  }

  override logParams(params: Record<string, unknown>, ctx: LifecycleContext): void {
    const level = ctx.ids.run ? Level.TRIAL_RUN : ctx.ids.trial ? Level.TRIAL : Level.EXPERIMENT;
    this.line(level, "Parameters:");
    for (const [k, v] of Object.entries(params)) this.line(level, `  ${k}: ${formatValue(v)}`);
  }

  override onCheckpoint(checkpoint: CheckpointInfo): void {
    const kind = checkpoint.network ? (checkpoint.network as object).constructor?.name ?? typeof checkpoint.network : "None";
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
