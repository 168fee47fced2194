import * as path from "node:path";
import { Level, RunStatus, runStatusName } from "../../../common/enums";
import type { Environment } from "../../../env/environment";
import { Tracker, closeAll } from "../../tracker";
import type { CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "../../types";
import { describeValue, numericValue } from "../../metric-value";
import { OnceWarner, SeriesNames, StepClock, warnSinkOf, type Warn } from "../common/exporter";
import { flattenParams } from "../../db/values";
import { EventFileWriter } from "./event-file-writer";
import {
  HPARAMS_TAGS,
  experimentContent,
  hparamValue,
  hparamsValueBody,
  sessionEndContent,
  sessionStartContent,
  type HParamValue,
} from "./hparams";

export interface TensorBoardTrackerOptions {
  /** Sub-folder under `<workspace>/artifacts/tensorboard/`. */
  name: string;
  /** Where warnings go (bad values); the environment's log by default. */
  warn?: Warn;
}

/**
 * Writes TensorBoard event files that `tensorboard --logdir <ws>/artifacts/tensorboard/<name>`
 * opens as they are.
 *
 * Layout: the experiment's folder is `<ws>/artifacts/tensorboard/<name>`; each child level adds
 * its workspace's folder name, so a trial run writes to `.../<name>/<trial>/<trial>-<i>/` and
 * shows in TensorBoard as the run `<trial>/<trial>-<i>`. Files are created on first write only.
 *
 * What is written (the original's tags, with `step` honoured):
 *  - each metric point: a scalar summary (`simple_value`) tagged with the metric name (batch-scope
 *    points `batch/<name>`, see SeriesNames), at the point's step; run-scope points (final metrics) get step `lastEpoch + 1` (0 without epochs);
 *    tags are written verbatim: a `/` groups charts in TensorBoard, spaces are allowed;
 *  - a value that is not a number (string, object) becomes a text summary under its tag, with
 *    one warning per tag; null/undefined is skipped with one warning per tag;
 *  - params: text summaries `param/<key>` at step 0;
 *  - the HParams dashboard's summaries (see hparams.ts): each trial run is a session, its
 *    start info (the run's params, flattened to dotted keys, with those logged above it; group =
 *    the trial) written at its first epoch end, or at its end if it logs no epochs, and its
 *    end info (status) at its end; the experiment's folder gets the experiment info (every
 *    hparam with the values seen, every scalar tag of the sessions) when the experiment ends.
 *    Params logged after a run's first epoch are in `param/<key>` but not in its hparams;
 *  - trial and trial-run ends: `trial/duration`, `trial_run/duration` (seconds) and a
 *    `trial_run/status` text (status, and the error message on failure).
 * Records are buffered and appended at epoch ends, checkpoints, level ends, flush and close.
 */
export class TensorBoardTracker extends Tracker {
  readonly logDir: string;
  private readonly warner: OnceWarner;
  private readonly warnSink: Warn;
  private writer: EventFileWriter | undefined;
  private readonly clock = new StepClock();
  private readonly names = new SeriesNames();
  private readonly startedAt = new Map<Level, number>();
  private readonly children: TensorBoardTracker[] = [];
  private readonly options: TensorBoardTrackerOptions;
  /** Params of this level and the levels above it (as known when it was created), flattened. */
  private readonly params: Record<string, HParamValue>;
  /** Scalar tags this level wrote (the experiment info lists them as metrics). */
  private readonly scalarTags = new Set<string>();
  /** Set while this tracker is a trial run's: the HParams session. */
  private session: { startMs: number; startWritten: boolean; ended: boolean } | undefined;
  private experimentInfoWritten = false;
  /** Made by createChild: the experiment info is the top tracker's job. */
  private isChild = false;

  constructor(workspace: string, options: TensorBoardTrackerOptions, logDir?: string) {
    super(workspace);
    validateName(options.name);
    this.logDir = logDir ?? path.join(this.workspace, "tensorboard", options.name);
    this.warnSink = options.warn ?? warnSinkOf(undefined);
    this.warner = new OnceWarner(this.warnSink);
    this.options = options;
    this.params = {};
  }

  static fromConfig(config: Record<string, unknown>, workspace: string, env?: Environment): TensorBoardTracker {
    const name = config.name;
    if (typeof name !== "string" || name.trim() === "") {
      throw new Error(
        "TensorBoardTracker needs a 'name' in env.yaml (the sub-folder under artifacts/tensorboard/), e.g. name: runs.",
      );
    }
    return new TensorBoardTracker(workspace, { name, warn: warnSinkOf(env) });
  }

  createChild(workspace: string): TrackerLike {
    if (!workspace) throw new Error("TensorBoardTracker.createChild needs the child's workspace folder.");
    const child = new TensorBoardTracker(
      workspace,
      this.options,
      path.join(this.logDir, path.basename(path.resolve(workspace))),
    );
    Object.assign(child.params, this.params);
    child.isChild = true;
    this.children.push(child);
    return child;
  }

  /** The event file this level has written, if any (for tests and the CLI). */
  get eventFile(): string | undefined {
    return this.writer?.filePath;
  }

  track(point: MetricPoint): void {
    const step = this.clock.stepOf(point);
    const value = numericValue(point.value);
    if (value !== undefined) {
      const tag = this.names.of(point);
      this.out().addScalar(tag, value, step, point.time);
      this.scalarTags.add(tag);
      return;
    }
    if (point.value === null || point.value === undefined) {
      this.warner.warn(
        `null:${point.key}`,
        `TensorBoardTracker: metric '${point.key}' has no value (${String(point.value)}); such points are skipped.`,
      );
      return;
    }
    this.warner.warn(
      `text:${point.key}`,
      `TensorBoardTracker: metric '${point.key}' is not a number (${describeValue(point.value, 80)}); it is written as text (TensorBoard's Text tab), not as a scalar.`,
    );
    this.out().addText(this.names.of(point), describeValue(point.value), step, point.time);
  }

  logParams(params: Record<string, unknown>, ctx: LifecycleContext): void {
    for (const [key, value] of Object.entries(params)) {
      this.out().addText(`param/${key}`, describeValue(value), 0, ctx.time);
    }
    for (const [key, value] of Object.entries(flattenParams(params))) this.params[key] = hparamValue(value);
  }

  onStart(level: Level, _info: LevelInfo, ctx: LifecycleContext): void {
    if (level === Level.TRIAL || level === Level.TRIAL_RUN) this.startedAt.set(level, ctx.time);
    if (level === Level.TRIAL_RUN) {
      this.clock.reset();
      this.session = { startMs: ctx.time, startWritten: false, ended: false };
    }
  }

  onEnd(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    if (level === Level.EPOCH) {
      this.clock.epochEnded(info.epochId ?? ctx.epoch);
      this.writeSessionStart();
      this.flush();
      return;
    }
    if (level === Level.TRIAL || level === Level.TRIAL_RUN) {
      const prefix = level === Level.TRIAL ? "trial" : "trial_run";
      const step = this.clock.runStep();
      const started = this.startedAt.get(level);
      if (started !== undefined) {
        this.out().addScalar(`${prefix}/duration`, (ctx.time - started) / 1000, step, ctx.time);
        this.scalarTags.add(`${prefix}/duration`);
      }
      if (level === Level.TRIAL_RUN && info.status !== undefined) {
        const status = runStatusName(info.status) ?? String(info.status);
        const text = info.status === RunStatus.FAILED && info.error ? `${status}: ${info.error.message}` : status;
        this.out().addText("trial_run/status", text, step, ctx.time);
      }
      if (level === Level.TRIAL_RUN) this.writeSessionEnd(info.status, ctx.time);
    }
    if (level === Level.EXPERIMENT) this.writeExperimentInfo(ctx.time);
    if (level === Level.TRIAL || level === Level.TRIAL_RUN || level === Level.EXPERIMENT) {
      // The level is over: write and let go of the file descriptor.
      this.writer?.release();
    }
  }

  onCheckpoint(_checkpoint: CheckpointInfo, _ctx: LifecycleContext): void {
    this.flush();
  }

  flush(): void {
    this.writer?.flush();
  }

  close(): void {
    // Interrupted before the experiment's end: still describe the sessions written so far.
    if (!this.isChild) this.writeExperimentInfo(Date.now());
    const first = closeAll(this.children);
    this.writer?.close();
    if (first) throw first;
  }

  private writeSessionStart(): void {
    const session = this.session;
    if (!session || session.startWritten) return;
    session.startWritten = true;
    const group = path.basename(path.dirname(this.logDir));
    const body = hparamsValueBody(sessionStartContent(this.params, group, session.startMs / 1000));
    this.out().addEncoded(HPARAMS_TAGS.sessionStart, body, 0, session.startMs);
  }

  private writeSessionEnd(status: RunStatus | undefined, timeMs: number): void {
    const session = this.session;
    if (!session || session.ended) return;
    this.writeSessionStart();
    session.ended = true;
    this.out().addEncoded(
      HPARAMS_TAGS.sessionEnd,
      hparamsValueBody(sessionEndContent(status, timeMs / 1000)),
      0,
      timeMs,
    );
  }

  /** The experiment info, from every session below this tracker; once, and only if there are sessions. */
  private writeExperimentInfo(timeMs: number): void {
    if (this.experimentInfoWritten) return;
    const hparams = new Map<string, HParamValue[]>();
    const metrics = new Set<string>();
    let sessions = 0;
    const visit = (t: TensorBoardTracker): void => {
      if (t.session?.startWritten) {
        sessions++;
        for (const [key, value] of Object.entries(t.params)) {
          const values = hparams.get(key) ?? [];
          values.push(value);
          hparams.set(key, values);
        }
        for (const tag of t.scalarTags) metrics.add(tag);
      }
      t.children.forEach(visit);
    };
    visit(this);
    if (sessions === 0) return;
    this.experimentInfoWritten = true;
    const content = experimentContent({ name: this.options.name, createdSecs: timeMs / 1000, hparams, metrics });
    this.out().addEncoded(HPARAMS_TAGS.experiment, hparamsValueBody(content), 0, timeMs);
    this.writer?.release();
  }

  private out(): EventFileWriter {
    return (this.writer ??= new EventFileWriter(this.logDir));
  }
}

function validateName(name: unknown): void {
  if (typeof name !== "string" || name.trim() === "") {
    throw new Error("TensorBoardTracker needs a non-empty 'name' (the sub-folder under artifacts/tensorboard/).");
  }
  if (path.isAbsolute(name) || name.split(/[\\/]/).includes("..")) {
    throw new Error(
      `TensorBoardTracker 'name' must be a folder name inside artifacts/tensorboard/, not a path (got '${name}').`,
    );
  }
}
