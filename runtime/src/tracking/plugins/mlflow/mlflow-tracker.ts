import * as path from "node:path";
import { Level, RunStatus, runStatusName } from "../../../common/enums";
import type { Environment } from "../../../env/environment";
import { Tracker } from "../../tracker";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, MetricPoint, TrackerLike } from "../../types";
import { flattenParams } from "../../db/values";
import { describeValue, numericValue } from "../../metric-value";
import { OnceWarner, SeriesNames, StepClock, warnSinkOf, type Warn } from "../common/exporter";
import type { ExperimentHandle, MlflowBackend, RunHandle } from "./backend";
import { MlflowFileStore } from "./file-store";
import { MAX_PARAM_VALUE_LENGTH, MAX_TAG_VALUE_LENGTH, mlflowKey, mlflowStatusOf } from "./mlflow-format";
import { MlflowRestStore } from "./rest-store";

export interface MLflowTrackerOptions {
  /** MLflow experiment name. */
  name: string;
  /** An http(s) URL of a tracking server, or a file: URI; by default the file store `<workspace>/mlruns`. */
  trackingUri?: string;
  warn?: Warn;
}

/** What a tracker and all its children share: one backend, one experiment, one warner. */
interface Shared {
  backend: MlflowBackend;
  experimentName: string;
  experiment?: ExperimentHandle;
  description?: string;
  warner: OnceWarner;
  warn: Warn;
  /** Runs created and not yet ended: closed as KILLED if the process ends first. */
  openRuns: Set<RunHandle>;
  /** Set when the store could not be opened: later calls repeat it (the manager counts them). */
  failure?: Error;
  /** Params logged at experiment level: MLflow has no experiment params, so each trial run gets them. */
  experimentParams: Record<string, string>;
}

/**
 * Logs to MLflow so that `mlflow ui --backend-store-uri <ws>/mlruns` (or the server at
 * `tracking_uri`) shows the experiment as its users expect:
 *
 *  - the experiment (env.yaml `name`) is an MLflow experiment, found by name or created; its
 *    description becomes the `mlflow.note.content` tag;
 *  - each trial is a run named after the trial; each trial run is a run nested under it
 *    (`mlflow.parentRunId`), named `<trial>-<i>` after its folder, tagged `expman.repeat`,
 *    `expman.seed`, `expman.level`;
 *  - metrics at their step (batch points, as `batch/<key>`, at the global batch counter; epoch
 *    points at the epoch index; final metrics at `lastEpoch + 1`) with the point's wall time; `duration` (seconds)
 *    at trial and run end, as the original logged it;
 *  - params as MLflow params, nested objects flattened to dotted keys (`optimizer.lr`), values as
 *    text, cut at 6000 characters; params logged at experiment level go to every trial run
 *    created afterwards;
 *  - artifacts added at trial or trial-run level (e.g. MetricsTracker's metrics.log) copied into
 *    the run's artifacts (file store) or uploaded through the server's artifact proxy (REST);
 *  - run status at the end: FINISHED (SUCCESS, STOPPED), FAILED, KILLED (ABORTED, SKIPPED); our
 *    exact status in `expman.status` and a failure's message in `expman.error`.
 *
 * Bad input: a value that is not a number (strings, objects, null) is skipped with one warning
 * per key (MLflow metrics are numbers); NaN and ±Infinity are logged as MLflow logs them; a key
 * MLflow would reject (characters outside letters, digits, `_ - . / :` and space; `..`
 * segments) is rewritten (`_` for each bad character) with one warning.
 */
export class MLflowTracker extends Tracker {
  private readonly shared: Shared;
  private readonly parent: MLflowTracker | undefined;
  private run: RunHandle | undefined;
  private level: Level | undefined;
  private readonly clock = new StepClock();
  private readonly names = new SeriesNames();
  private startedAt: number | undefined;
  private readonly keyCache = new Map<string, string>();
  private readonly children: MLflowTracker[] = [];

  constructor(workspace: string, options: MLflowTrackerOptions | { shared: Shared; parent: MLflowTracker }) {
    super(workspace);
    if ("shared" in options) {
      this.shared = options.shared;
      this.parent = options.parent;
      return;
    }
    if (typeof options.name !== "string" || options.name.trim() === "") {
      throw new Error("MLflowTracker needs a 'name' in env.yaml: the MLflow experiment name.");
    }
    const warn = options.warn ?? warnSinkOf(undefined);
    const uri = options.trackingUri?.trim();
    let backend: MlflowBackend;
    if (uri && /^https?:\/\//i.test(uri)) backend = new MlflowRestStore(uri, warn);
    else if (!uri) backend = new MlflowFileStore(defaultStoreOf(this.workspace));
    else if (/^file:/i.test(uri)) backend = new MlflowFileStore(new URL(uri).pathname);
    else {
      throw new Error(
        `MLflowTracker: tracking_uri '${uri}' is neither an http(s) URL of an MLflow server nor a file: URI. Leave it out to write <workspace>/mlruns.`,
      );
    }
    if (backend instanceof MlflowFileStore && backend.root.split(path.sep).includes("artifacts")) {
      warn(
        `MLflowTracker: the file store ${backend.root} lies under a folder named 'artifacts'; MLflow (3.x) refuses to read runs there ("Run not found"). Set tracking_uri to a file: URI elsewhere, or move the workspace.`,
      );
    }
    this.shared = {
      backend,
      experimentName: options.name,
      warner: new OnceWarner(warn),
      warn,
      experimentParams: {},
      openRuns: new Set(),
    };
    this.parent = undefined;
  }

  static fromConfig(config: Record<string, unknown>, workspace: string, env?: Environment): MLflowTracker {
    const name = config.name;
    if (typeof name !== "string" || name.trim() === "") {
      throw new Error(
        "MLflowTracker needs a 'name' in env.yaml: the MLflow experiment name, e.g. name: my-experiment.",
      );
    }
    const trackingUri = config.tracking_uri;
    if (trackingUri !== undefined && typeof trackingUri !== "string") {
      throw new Error(`MLflowTracker 'tracking_uri' must be a string URL (got ${JSON.stringify(trackingUri)}).`);
    }
    return new MLflowTracker(workspace, { name, trackingUri, warn: warnSinkOf(env) });
  }

  createChild(workspace: string): TrackerLike {
    const child = new MLflowTracker(workspace, { shared: this.shared, parent: this });
    this.children.push(child);
    return child;
  }

  /** The backend (file store or REST), for tests and tools. */
  get backend(): MlflowBackend {
    return this.shared.backend;
  }

  /** This level's MLflow run, once created. */
  get runHandle(): RunHandle | undefined {
    return this.run;
  }

  get experimentHandle(): ExperimentHandle {
    return this.experiment();
  }

  onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    if (level === Level.EXPERIMENT) {
      this.level = level;
      if (typeof info.description === "string" && info.description) this.shared.description = info.description;
      this.experiment();
    } else if (level === Level.TRIAL || level === Level.TRIAL_RUN) {
      this.level = level;
      this.clock.reset();
      const name =
        level === Level.TRIAL
          ? (info.name ?? path.basename(path.dirname(this.workspace)))
          : path.basename(path.dirname(this.workspace));
      const tags: Record<string, string> = { "expman.level": level === Level.TRIAL ? "trial" : "trial_run" };
      if (info.repeat !== undefined) tags["expman.repeat"] = String(info.repeat);
      if (info.seed !== undefined) tags["expman.seed"] = String(info.seed);
      const ids = ctx.ids;
      const id = level === Level.TRIAL ? ids.trial : ids.run;
      if (id) tags["expman.id"] = id;
      this.run = this.shared.backend.createRun(this.experiment(), {
        name,
        startTime: ctx.time,
        parent: level === Level.TRIAL_RUN ? this.parent?.run : undefined,
        tags,
      });
      this.shared.openRuns.add(this.run);
      if (level === Level.TRIAL_RUN && Object.keys(this.shared.experimentParams).length > 0) {
        this.shared.backend.logParams(this.run, this.shared.experimentParams);
      }
    }
  }

  onStart(level: Level, _info: LevelInfo, ctx: LifecycleContext): void {
    if (level === this.level && (level === Level.TRIAL || level === Level.TRIAL_RUN)) this.startedAt = ctx.time;
  }

  onEnd(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    if (level === Level.EPOCH) {
      this.clock.epochEnded(info.epochId ?? ctx.epoch);
      this.kick();
      return;
    }
    if (level !== this.level || !this.run) {
      if (level === Level.EXPERIMENT) this.kick();
      return;
    }
    const run = this.run;
    const end = ctx.time;
    const started = this.startedAt ?? end;
    this.shared.backend.logMetric(run, {
      key: "duration",
      value: (end - started) / 1000,
      timestamp: end,
      step: this.clock.runStep(),
    });
    const tags: Record<string, string> = {};
    if (info.status !== undefined) tags["expman.status"] = runStatusName(info.status) ?? String(info.status);
    if (info.status === RunStatus.FAILED && info.error)
      tags["expman.error"] = clip(info.error.message, MAX_TAG_VALUE_LENGTH);
    if (Object.keys(tags).length > 0) this.shared.backend.setTags(run, tags);
    this.shared.backend.endRun(run, mlflowStatusOf(info.status), end);
    this.shared.openRuns.delete(run);
    this.kick();
  }

  track(point: MetricPoint): void {
    if (this.shared.failure) throw this.shared.failure;
    const run = this.run ?? this.nearestRun();
    if (!run) {
      this.shared.warner.warn(
        `norun:${point.key}`,
        `MLflowTracker: metric '${point.key}' was tracked at experiment level, outside any trial; MLflow keeps metrics on runs, so it is skipped.`,
      );
      return;
    }
    const value = numericValue(point.value);
    if (value === undefined) {
      this.shared.warner.warn(
        `nan:${point.key}`,
        `MLflowTracker: metric '${point.key}' is not a number (${describeValue(point.value, 80)}); MLflow metrics are numbers, so such points are skipped.`,
      );
      return;
    }
    this.shared.backend.logMetric(run, {
      key: this.key(this.names.of(point)),
      value,
      timestamp: point.time,
      step: this.clock.stepOf(point),
    });
  }

  logParams(params: Record<string, unknown>, _ctx: LifecycleContext): void {
    if (this.shared.failure) throw this.shared.failure;
    const clean: Record<string, string> = {};
    // Flattened (`optimizer.lr`), as the store keeps them: MLflow compares runs param by param,
    // and a nested object would be one JSON cell.
    for (const [key, value] of Object.entries(flattenParams(params))) {
      const text = describeValue(value, Number.MAX_SAFE_INTEGER);
      if (text.length > MAX_PARAM_VALUE_LENGTH) {
        this.shared.warner.warn(
          `long:${key}`,
          `MLflowTracker: param '${key}' is longer than MLflow's ${MAX_PARAM_VALUE_LENGTH} characters; it is cut.`,
        );
      }
      clean[this.key(key)] = clip(text, MAX_PARAM_VALUE_LENGTH);
    }
    const run = this.run ?? this.nearestRun();
    if (run) this.shared.backend.logParams(run, clean);
    else Object.assign(this.shared.experimentParams, clean);
  }

  /** Artifacts added at trial or trial-run level go to that run's artifacts, under their file name. */
  onAddArtifact(_level: Level, artifact: ArtifactInfo, _ctx: LifecycleContext): void {
    // Checkpoints, announced again as artifacts for the original's trackers: not copied (a model
    // can be gigabytes); the run's `expman.checkpoint` tag names the latest (onCheckpoint).
    if (artifact.checkpoint) return;
    if (this.shared.failure) throw this.shared.failure;
    const run = this.run ?? this.nearestRun();
    if (!run) {
      this.shared.warner.warn(
        `norun-artifact:${artifact.path}`,
        `MLflowTracker: artifact '${artifact.path}' was added at experiment level, outside any trial; MLflow keeps artifacts on runs, so it is not logged.`,
      );
      return;
    }
    this.shared.backend.logArtifact(run, artifact.path);
  }

  onCheckpoint(checkpoint: CheckpointInfo, _ctx: LifecycleContext): void {
    const run = this.run ?? this.nearestRun();
    if (run) this.shared.backend.setTags(run, { "expman.checkpoint": clip(checkpoint.path, MAX_TAG_VALUE_LENGTH) });
    this.kick();
  }

  flush(): void | Promise<void> {
    return this.shared.backend.flush();
  }

  close(): void | Promise<void> {
    // Children share the backend: closing it once, from the top, writes everything.
    if (this.parent) return this.shared.backend.flush();
    // Runs still open when the experiment closes did not end normally (the process is
    // exiting): MLflow would show them RUNNING forever, so they end as KILLED.
    const now = Date.now();
    for (const run of this.shared.openRuns) {
      this.shared.backend.setTags(run, { "expman.status": "ABORTED" });
      this.shared.backend.endRun(run, "KILLED", now);
    }
    this.shared.openRuns.clear();
    return this.shared.backend.close();
  }

  private experiment(): ExperimentHandle {
    if (this.shared.failure) throw this.shared.failure;
    try {
      return (this.shared.experiment ??= this.shared.backend.experiment(
        this.shared.experimentName,
        this.shared.description,
      ));
    } catch (error) {
      this.shared.failure = error as Error;
      throw error;
    }
  }

  /** Points tracked at pipeline/epoch level belong to the run above. */
  private nearestRun(): RunHandle | undefined {
    for (let t: MLflowTracker | undefined = this.parent; t; t = t.parent) if (t.run) return t.run;
    return undefined;
  }

  /** Starts writing without waiting (sync hooks); server failures surface in the next awaited flush. */
  private kick(): void {
    this.shared.backend.push();
  }

  private key(raw: string): string {
    let key = this.keyCache.get(raw);
    if (key === undefined) {
      key = mlflowKey(raw);
      if (key !== raw)
        this.shared.warner.warn(
          `key:${raw}`,
          `MLflowTracker: '${raw}' is not a valid MLflow name; it is logged as '${key}'.`,
        );
      this.keyCache.set(raw, key);
    }
    return key;
  }
}

function clip(text: string, max: number): string {
  return text.length > max ? text.slice(0, max) : text;
}

/**
 * `<workspace>/mlruns`, beside (not in) the trackers' `<workspace>/artifacts` folder: MLflow's
 * file store skips run folders with an `artifacts` folder anywhere above them (its guard against
 * meta.yaml files planted among artifacts), so a store in `artifacts/mlruns` is unreadable.
 */
function defaultStoreOf(trackerDir: string): string {
  const workspace = path.basename(trackerDir) === "artifacts" ? path.dirname(trackerDir) : trackerDir;
  return path.join(workspace, "mlruns");
}
