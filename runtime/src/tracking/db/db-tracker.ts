import { childPath } from "../../common/names";
import * as path from "node:path";
import { Level } from "../../common/enums";
import { parseRunStatus, RunStatus, runStatusName, type RunStatusName } from "../../common/vocabulary";
import { DEFAULT_DB_NAME } from "../../builtins/catalog";
import type { Environment } from "../../env/environment";
import { Tracker, artifactsDirOf } from "../tracker";
import type { ArtifactInfo, CheckpointInfo, LevelInfo, LifecycleContext, LifecycleIds, MetricPoint } from "../types";
import { numericValue, checkpointMetricsJson, safeJson } from "./values";
import { isPostgresUrl, type SqlDb } from "./sql";
import { WriteStore, type EndInfo } from "./write-store";
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_RECONNECT_TIMEOUT_MS } from "./write-gate";
import type { Owner } from "./run-owner";
import type { PlanRows } from "./plan-rows";

export interface DBTrackerOptions {
  /** File name under `<root workspace>/artifacts/`. */
  name?: string;
  /**
   * A PostgreSQL store shared by many writers and machines: `postgresql://user:pass@host/db`.
   * Default: the environment variable EXPMAN_DB_URL if set, else the SQLite file `name`.
   */
  url?: string;
  /** Delete an existing database first (default: reuse it and append a new experiment). */
  recreate?: boolean;
  /** Seconds between background flushes (default 1). */
  flush_interval?: number;
  /**
   * Seconds writes wait for another process's lock (SQLite, default 10), or keep retrying a lost
   * PostgreSQL connection with the points buffered (default 60), before the run fails naming it.
   */
  lock_timeout?: number;
}

const ARTIFACT_LEVEL: Partial<Record<Level, string>> = {
  [Level.EXPERIMENT]: "experiment",
  [Level.TRIAL]: "trial",
  [Level.TRIAL_RUN]: "trial_run",
  [Level.PIPELINE]: "trial_run",
  [Level.EPOCH]: "epoch",
  [Level.BATCH]: "batch",
};

/**
 * Tracks the whole hierarchy in one SQLite file, `<root workspace>/artifacts/<name>`: experiment
 * (title, desc, status, writer pid and host), trials, trial runs (repeat, seed, status, error),
 * epochs (status, batch count), metric series in chunks, params, checkpoints and artifacts.
 * See ./schema.ts for the layout and ./write-store.ts for when data reaches the file.
 *
 * The root tracker opens the file; `createChild` gives the trial and run environments trackers
 * that share its connection and buffers. Each tracker follows the lifecycle ids it is given
 * (`ctx.ids`), so `track()` knows which run a point belongs to.
 */
export class DBTracker extends Tracker {
  /** The database file, or the PostgreSQL URL with its password masked: what messages show. */
  readonly path: string;
  /**
   * Where the store is, to open it again (a SQLite file, or the PostgreSQL URL WITH its
   * password): for processes that follow it (`expman run --wait` on Slurm). Never shown.
   */
  readonly target: string;
  private readonly store: WriteStore;
  private readonly root: boolean;
  /** The environment folder this tracker was made for (the base class keeps `<ws>/artifacts`). */
  private readonly envWorkspace: string;
  private ids: LifecycleIds;
  private cachedOwner: Owner | undefined;

  constructor(
    workspace: string,
    options: DBTrackerOptions = {},
    shared?: { store: WriteStore; ids: LifecycleIds; target: string },
  ) {
    super(workspace);
    this.envWorkspace = path.resolve(workspace);
    if (shared) {
      this.store = shared.store;
      this.ids = shared.ids;
      this.target = shared.target;
      this.root = false;
    } else {
      // The original's default file name.
      const name = options.name ?? DEFAULT_DB_NAME;
      if (typeof name !== "string" || name.trim() === "") {
        throw new TypeError(
          `DBTracker 'name' must be the database file name under ${artifactsDirOf(workspace)} (e.g. name: experiment.db); leave it out for ${DEFAULT_DB_NAME}.`,
        );
      }
      const interval = options.flush_interval ?? 1;
      if (typeof interval !== "number" || !(interval >= 0.05)) {
        throw new TypeError(
          `DBTracker 'flush_interval' must be a number of seconds >= 0.05 (got ${JSON.stringify(options.flush_interval)}).`,
        );
      }
      const url = storeUrl(options.url);
      const lockTimeout = options.lock_timeout ?? (url ? DEFAULT_RECONNECT_TIMEOUT_MS : DEFAULT_LOCK_TIMEOUT_MS) / 1000;
      if (typeof lockTimeout !== "number" || !(lockTimeout >= 0)) {
        throw new TypeError(
          `DBTracker 'lock_timeout' must be a number of seconds >= 0 (got ${JSON.stringify(options.lock_timeout)}).`,
        );
      }
      this.target = url ?? childPath(artifactsDirOf(workspace), name, "DBTracker name");
      this.store = new WriteStore(this.target, {
        recreate: options.recreate === true,
        flushIntervalMs: interval * 1000,
        lockTimeoutMs: lockTimeout * 1000,
      });
      this.ids = {};
      this.root = true;
    }
    this.path = this.store.file;
  }

  /** Built from its env.yaml entry: `{type: DBTracker, name, recreate?, flush_interval?}`. */
  static fromConfig(config: Record<string, unknown>, workspace: string, _env?: Environment): DBTracker {
    if (config.recreate !== undefined && typeof config.recreate !== "boolean") {
      throw new TypeError(`DBTracker 'recreate' must be true or false (got ${JSON.stringify(config.recreate)}).`);
    }
    return new DBTracker(workspace, {
      name: config.name as string,
      url: config.url as string | undefined,
      recreate: config.recreate as boolean | undefined,
      flush_interval: config.flush_interval as number | undefined,
      lock_timeout: config.lock_timeout as number | undefined,
    });
  }

  createChild(workspace: string): DBTracker {
    return new DBTracker(workspace, {}, { store: this.store, ids: this.ids, target: this.target });
  }

  // ---- metrics (the hot path) ----------------------------------------------------------------

  track(point: MetricPoint): void {
    const store = this.store;
    if (store.failure) throw store.failure;
    let owner = this.cachedOwner;
    if (owner === undefined || owner.released) owner = this.resolveOwner();
    const series = owner.series(point.key, point.scope, point.custom, point.label ?? null);
    const raw = point.value;
    const value = typeof raw === "number" ? raw : numericValue(raw);
    if (value === undefined) {
      store.points.addText(series, point.step, point.epoch, point.batch, point.time, raw);
      return;
    }
    store.points.append(series, point.step ?? NaN, value, point.time);
    // epoch_metric holds one value per (run, epoch, key): the metrics' totals. Per-label values
    // stay in their label's series (a label's joined key can be a total's name).
    if (point.scope === "epoch" && point.epoch !== null && owner.runId !== null && series.label === null) {
      store.points.addEpochValue(owner.runId, point.epoch, point.key, value, point.step, point.time);
    }
    store.flushWhenDue(point.time);
  }

  // ---- lifecycle -----------------------------------------------------------------------------

  onCreate(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    this.adopt(ctx);
    this.ensureEntity(level, info, ctx);
  }

  onStart(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    this.adopt(ctx);
    // Idempotent: a level announced only by onStart still gets its row.
    this.ensureEntity(level, info, ctx);
    if (level === Level.EXPERIMENT && ctx.ids.experiment) this.store.startExperiment(ctx.ids.experiment);
    if (level === Level.TRIAL_RUN && ctx.ids.run) {
      this.store.startRun(ctx.ids.run, ctx.time, {
        keepData: typeof info.resumeFrom === "string",
        jobId: slurmTaskId(),
      });
    }
  }

  onEnd(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    this.adopt(ctx);
    const ids = ctx.ids;
    switch (level) {
      // `settle`: the end of a planned experiment (experiment/plan.ts), whose trials and
      // experiment take their status from all their runs in the store, since other processes
      // may run some of them (WriteStore.settle). Otherwise the given status is written.
      case Level.EXPERIMENT:
        if (ids.experiment) {
          const end = endInfo(info, ctx);
          if (info.settle === true)
            this.store.settle(ids.experiment, ctx.time, { aborted: end.status === "ABORTED", error: end.error });
          else this.store.endExperiment(ids.experiment, end);
        }
        break;
      case Level.TRIAL:
        if (ids.trial && ids.experiment) {
          if (info.settle === true) this.store.settle(ids.experiment, ctx.time);
          else this.store.endTrial(ids.trial, ids.experiment, endInfo(info, ctx));
        }
        break;
      case Level.TRIAL_RUN:
        if (ids.run) this.store.endRun(ids.run, this.runOwner("ended"), endInfo(info, ctx));
        break;
      case Level.EPOCH: {
        const idx = info.epochId ?? ctx.epoch;
        if (idx === null || idx === undefined) throw new Error("DBTracker: onEnd(EPOCH) without an epoch index.");
        this.store.endEpoch(this.runOwner("epoch"), idx, endInfo(info, ctx));
        break;
      }
      case Level.BATCH:
        if (ids.run) this.store.countBatch(this.runOwner("batch"));
        break;
    }
  }

  private ensureEntity(level: Level, info: LevelInfo, ctx: LifecycleContext): void {
    const ids = ctx.ids;
    switch (level) {
      case Level.EXPERIMENT:
        if (!ids.experiment) throw new Error("DBTracker: onCreate(EXPERIMENT) without an experiment id.");
        this.store.rows.createExperiment(ids.experiment, {
          title: stringOr(info.name, ""),
          desc: stringOr(info.description ?? info.desc, ""),
          configDir: stringOr(info.configDir, null),
          workspace: stringOr(info.workspace, this.envWorkspace),
          time: ctx.time,
        });
        break;
      case Level.TRIAL:
        if (!ids.trial || !ids.experiment)
          throw new Error("DBTracker: a trial needs its experiment first (onCreate(EXPERIMENT)).");
        this.store.rows.createTrial(
          ids.trial,
          ids.experiment,
          stringOr(info.name ?? info.trial_name, ""),
          stringOr(info.workspace, this.envWorkspace),
          ctx.time,
        );
        break;
      case Level.TRIAL_RUN:
        if (!ids.run || !ids.trial || !ids.experiment)
          throw new Error("DBTracker: a trial run needs its experiment and trial first.");
        this.store.rows.createRun(ids.run, ids.trial, ids.experiment, {
          repeat: typeof info.repeat === "number" ? info.repeat : 0,
          seed: typeof info.seed === "number" ? info.seed : null,
          workspace: stringOr(info.workspace, this.envWorkspace),
          time: ctx.time,
        });
        break;
      case Level.EPOCH: {
        const idx = info.epochId ?? ctx.epoch;
        if (idx === null || idx === undefined) throw new Error("DBTracker: an epoch without an index.");
        this.store.startEpoch(this.runOwner("epoch"), idx, ctx.time);
        break;
      }
    }
  }

  logParams(params: Record<string, unknown>, ctx: LifecycleContext): void {
    this.adopt(ctx);
    this.store.logParams(this.store.rows.owner(ctx.ids), params);
  }

  onCheckpoint(checkpoint: CheckpointInfo, ctx: LifecycleContext): void {
    this.adopt(ctx);
    this.store.addCheckpoint(this.store.rows.owner(ctx.ids), {
      epoch: checkpoint.epoch,
      step: checkpoint.step,
      // Resolved now: a relative path means relative to the process's current folder.
      path: path.resolve(checkpoint.path),
      final: checkpoint.final === true,
      time: checkpoint.time,
      metricsJson: checkpointMetricsJson(checkpoint.metrics ?? {}),
    });
  }

  onRunWarning(message: string, ctx: LifecycleContext): void {
    this.adopt(ctx);
    this.store.setRunWarning(this.store.rows.owner(ctx.ids), message);
  }

  onAddArtifact(level: Level, artifact: ArtifactInfo, ctx: LifecycleContext): void {
    // Stored once, in the checkpoint table, by onCheckpoint.
    if (artifact.checkpoint) return;
    this.adopt(ctx);
    const levelName = ARTIFACT_LEVEL[level];
    if (!levelName) throw new Error(`DBTracker: artifacts are filed under a level; got ${String(level)}.`);
    const ids = ctx.ids;
    const ownerIds =
      level === Level.EXPERIMENT
        ? { experiment: ids.experiment }
        : level === Level.TRIAL
          ? { experiment: ids.experiment, trial: ids.trial }
          : ids;
    const inEpoch = level === Level.EPOCH || level === Level.BATCH;
    this.store.addArtifact(this.store.rows.owner(ownerIds), {
      level: levelName,
      epoch: inEpoch ? ctx.epoch : null,
      batch: level === Level.BATCH ? ctx.batch : null,
      type: artifact.type || "unknown",
      path: path.resolve(artifact.path),
      time: artifact.time,
      meta: artifact.meta === undefined ? null : safeJson(artifact.meta),
    });
  }

  // ---- the plan (many runs) ------------------------------------------------------------------

  /** Writes trials and QUEUED runs before anything runs (see WriteStore.writePlan). */
  writePlan(plan: PlanRows): void {
    this.store.writePlan(plan);
  }

  /** See WriteStore.resumableCheckpoint. */
  resumableCheckpoint(runUid: string): string | undefined {
    return this.store.resumableCheckpoint(runUid);
  }

  experimentConfig(experimentUid: string): { config: string | null } | undefined {
    return this.store.experimentConfig(experimentUid);
  }

  latestExperimentOf(configDir: string) {
    return this.store.latestExperimentOf(configDir);
  }

  runStatuses(experimentUid: string): { uid: string; status: string }[] {
    return this.store.runStatuses(experimentUid);
  }

  requeue(runUids: string[]): void {
    this.store.requeue(runUids);
  }

  /** Ends a run its own process could not end; a status the run wrote itself wins. */
  endRunIfOpen(
    runUid: string,
    status: RunStatusName,
    message: string | null,
  ): { status: RunStatusName; changed: boolean } | undefined {
    return this.store.endRunIfOpen(runUid, status, Date.now(), message);
  }

  /** Each submitted run's scheduler task (Slurm: `<array job>_<index>`). */
  setJobIds(jobs: readonly { uid: string; jobId: string }[]): void {
    this.store.setJobIds(jobs);
  }

  /** The experiment is a scheduler's now: this process is no longer its writer (WriteStore.handOver). */
  handOver(experimentUid: string, executor: string): void {
    this.store.handOver(experimentUid, executor);
  }

  /** Trial and experiment statuses from their runs, once none is open. */
  settle(experimentUid: string, options: { aborted?: boolean } = {}): RunStatusName | undefined {
    return this.store.settle(experimentUid, Date.now(), options);
  }

  flush(): void {
    this.store.flush();
  }

  /**
   * The store's open connection, for callbacks that read other runs (MedianStop's peers): one
   * SQL interface over SQLite and PostgreSQL alike (./sql.ts). Reads only; committed rows.
   */
  get connection(): SqlDb {
    return this.store.db;
  }

  /** The root closes the file (flushing first); children only flush, the connection is shared. */
  close(): void {
    if (this.root) this.store.close();
    else this.store.flush();
  }

  // ---- ids -----------------------------------------------------------------------------------

  /** Follows the manager's ids; `track()` files points under the latest ones. */
  private adopt(ctx: LifecycleContext): void {
    if (ctx.ids !== this.ids) {
      this.ids = ctx.ids;
      this.cachedOwner = undefined;
    }
  }

  private resolveOwner(): Owner {
    const owner = this.store.rows.owner(this.ids);
    this.cachedOwner = owner;
    return owner;
  }

  private runOwner(what: string): Owner {
    const cached = this.cachedOwner;
    const owner = cached === undefined || cached.released ? this.resolveOwner() : cached;
    if (owner.runId === null) throw new Error(`DBTracker: ${what} outside a trial run (create the trial run first).`);
    return owner;
  }
}

/** The PostgreSQL URL to write to: the option, else EXPMAN_DB_URL; undefined for a SQLite file. */
export function storeUrl(option: unknown): string | undefined {
  const url = option ?? (process.env.EXPMAN_DB_URL || undefined);
  if (url === undefined) return undefined;
  if (typeof url !== "string" || !isPostgresUrl(url)) {
    throw new TypeError(
      `DBTracker 'url' must be a PostgreSQL URL, postgresql://user:password@host:port/database (got ${JSON.stringify(url)}${option === undefined ? " from EXPMAN_DB_URL" : ""}). Leave it out to track into the SQLite file 'name'.`,
    );
  }
  return url;
}

function stringOr<T extends string | null>(value: unknown, fallback: T): string | T {
  return typeof value === "string" ? value : fallback;
}

function statusName(status: unknown): RunStatusName | undefined {
  if (typeof status === "number" && RunStatus[status] !== undefined) return runStatusName(status);
  const parsed = typeof status === "string" ? parseRunStatus(status) : undefined;
  return parsed === undefined ? undefined : runStatusName(parsed);
}

function endInfo(info: LevelInfo, ctx: LifecycleContext): EndInfo {
  const error = info.error && typeof info.error === "object" ? info.error : null;
  const status = statusName(info.status) ?? (error ? "FAILED" : "SUCCESS");
  return { status, time: ctx.time, error };
}

/** The Slurm array task this process runs as (`<job>_<task>`), recorded on its run. */
function slurmTaskId(): string | null {
  const job = process.env.SLURM_ARRAY_JOB_ID;
  const task = process.env.SLURM_ARRAY_TASK_ID;
  return job && task ? `${job}_${task}` : null;
}
