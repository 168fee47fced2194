import * as os from "node:os";
import { openStoreForWriting } from "./connection";
import { isPostgresUrl, maskUrl, type SqlDb, type SqlStatement as Statement } from "./sql";
import { sleepSync } from "../pg/sync-bridge";
import { TrackingDbError } from "./errors";
import { isBusy, lockFailure, writeFailure } from "./write-failure";
import { HEARTBEAT_MS } from "./liveness";
import { recoverStaleIn } from "../../results/stale";
import { ChunkScratch, decodeChunk, encodeChunk } from "./chunk-codec";
import { CHUNK_POINTS } from "./schema";
import type { RunStatusName, Scope } from "../../common/vocabulary";
import { chunkStats, SeriesBuffer, type SeriesOwnerIds } from "./series-buffer";
import { flattenParams, safeJson } from "./values";

/**
 * One writer per database file per process: the connection, its prepared statements, the
 * UUID -> row id maps, and the metric buffers. The root DBTracker opens it; its children (one
 * per trial and per run environment) share it, so a run's points and lifecycle rows go through
 * one connection and one transaction per flush.
 *
 * Lifecycle rows (experiment, trial, run, epoch, params, checkpoints, artifacts) are written
 * at once; metric points are buffered and written in one transaction per flush (epoch ends,
 * checkpoints, run ends, a timer, a bound on buffered chunks, close and process exit). A
 * killed process therefore loses at most the points since the last flush, and WAL keeps the
 * file consistent.
 *
 * The store never blocks training: flushes and lifecycle updates try the write lock without
 * waiting; while another process holds it, they stay queued (in order) and are retried every
 * LOCK_RETRY_MS. Past `lockTimeoutMs` of continuous locking, or on any other write error (a
 * full disk, an I/O error, a read-only file, corrupt pages), the store fails for good: it
 * drops its buffers (bounded memory, no retry loop) and every later call throws one fatal
 * TrackingDbError naming the file and the cause, which fails the run (see TrackerManager).
 * Only entity rows (experiment, trial, run), whose row ids are needed at once, wait for the
 * lock, up to `lockTimeoutMs`.
 */

/** Flush when this many full chunks wait, whatever the timer says (bounds memory). */
const MAX_PENDING_CHUNKS = 256;
/** Likewise for buffered epoch values and text values (one object each). */
const MAX_PENDING_ROWS = 65536;
/** How long writes wait for another process's lock before the run fails naming it. */
export const DEFAULT_LOCK_TIMEOUT_MS = 10_000;
/** After finding the file locked, the next try is this much later (no spinning). */
const LOCK_RETRY_MS = 100;
/** While locked, buffers may hold this many chunks (about 4 M points), then the run fails. */
const MAX_LOCKED_CHUNKS = 16 * MAX_PENDING_CHUNKS;
/**
 * PostgreSQL: how long a writer keeps retrying a lost connection (buffering points, bounded by
 * MAX_LOCKED_CHUNKS) before the run fails; a server restart or a network blip fits in it.
 */
export const DEFAULT_RECONNECT_TIMEOUT_MS = 60_000;
/** PostgreSQL: reconnect attempts back off from LOCK_RETRY_MS, doubling, up to this. */
const MAX_RECONNECT_DELAY_MS = 5_000;

/** The row ids a point, param or artifact is filed under, plus the run's buffers. */
export class Owner implements SeriesOwnerIds {
  readonly batchSeries = new Map<string, SeriesBuffer>();
  readonly epochSeries = new Map<string, SeriesBuffer>();
  readonly runSeries = new Map<string, SeriesBuffer>();
  /** Run owners: the epoch being counted and its batches (no row per batch, for speed). */
  countedEpoch: number | null = null;
  /** Whether countedEpoch has started and not ended (onCreate and onStart both announce it). */
  epochOpen = false;
  batchCount = 0;
  batchCountDirty = false;
  /** Set when the store let go of it (its level ended); trackers holding it resolve again. */
  released = false;

  constructor(
    readonly experimentId: number,
    readonly trialId: number | null,
    readonly runId: number | null,
    /** For owners whose series may already be in the file: loads a series' state from there. */
    private readonly resume?: (series: SeriesBuffer) => void,
  ) {}

  series(key: string, scope: Scope, custom: boolean, label: string | null = null): SeriesBuffer {
    const map = scope === "batch" ? this.batchSeries : scope === "epoch" ? this.epochSeries : this.runSeries;
    // A per-label series is keyed by its label too: the total `x/a/b` and metric `x` with label
    // `a/b` join to the same key text but are two series (as in the file's unique index).
    const id = seriesId(key, label);
    let s = map.get(id);
    if (s === undefined) {
      s = new SeriesBuffer(this, key, scope, custom, label);
      this.resume?.(s);
      map.set(id, s);
    }
    if (s.custom !== custom) {
      // One series per (run, key, scope): a custom metric named like a standard one would
      // put two values per step into it. Refused, naming it, instead of merged.
      throw new TypeError(
        `DBTracker: the custom metric '${key}' has the name of a standard metric tracked in the same ${scope} scope; their values would merge into one series. Rename the custom metric (e.g. '${key}_custom').`,
      );
    }
    return s;
  }
}

/** The in-memory key of a series: its key, and its label when it has one (see OwnerSeries.series). */
function seriesId(key: string, label: string | null): string {
  return label === null ? key : `${key}\u0000${label}`;
}

interface EpochValue {
  runId: number;
  epoch: number;
  key: string;
  value: number;
  step: number | null;
  time: number;
}

interface TextValue {
  series: SeriesBuffer;
  step: number | null;
  epoch: number | null;
  batch: number | null;
  time: number;
  json: string;
}

interface Statements {
  insertExperiment: Statement;
  insertTrial: Statement;
  insertRun: Statement;
  heartbeat: Statement;
  experimentByUid: Statement;
  trialByUid: Statement;
  runByUid: Statement;
  endExperiment: Statement;
  endTrial: Statement;
  endRun: Statement;
  upsertEpoch: Statement;
  ensureEpoch: Statement;
  endEpoch: Statement;
  epochBatchCount: Statement;
  seriesByOwnerKey: Statement;
  lastChunk: Statement;
  insertSeries: Statement;
  upsertChunk: Statement;
  updateSeries: Statement;
  upsertEpochMetric: Statement;
  insertText: Statement;
  upsertParam: Statement;
  insertCheckpoint: Statement;
  insertArtifact: Statement;
  insertPlannedRun: Statement;
  startRun: Statement;
}

/** A run in a scheduler's hands (see WriteStore.schedulerRuns). */
export interface SchedulerRun {
  uid: string;
  experimentUid: string;
  status: RunStatusName;
  jobId: string;
  runIndex: number | null;
}

export interface ExperimentRow {
  title: string;
  desc: string;
  configDir: string | null;
  workspace: string | null;
  time: number;
}

/** What writePlan() writes: see experiment/plan.ts. */
export interface PlanRows {
  experimentUid: string;
  time: number;
  /** JSON of the four config files' values, kept to detect a changed config later. */
  config?: string;
  executor?: string;
  trials: { uid: string; name: string; workspace: string | null }[];
  /** `skipped`: not to run this time (`--only`), written SKIPPED with this reason. */
  runs: {
    uid: string;
    trialUid: string;
    index: number;
    repeat: number;
    seed: number;
    workspace: string | null;
    skipped?: string;
  }[];
}

export interface EndInfo {
  status: RunStatusName;
  time: number;
  error?: { message?: string; stack?: string } | null;
}

export class WriteStore {
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  readonly file: string;
  readonly db: SqlDb;
  /** A PostgreSQL store (a server over the network) rather than a SQLite file. */
  readonly remote: boolean;
  /** Consecutive failed attempts while the store is unavailable (backoff). */
  private retries = 0;
  private readonly st: Statements;
  private readonly experiments = new Map<string, number>();
  private readonly trials = new Map<string, { id: number; experimentId: number }>();
  private readonly runs = new Map<string, { id: number; trialId: number; experimentId: number }>();
  private readonly owners = new Map<string, Owner>();
  /** Entities inserted by this store whose first Owner has not been made yet: no series in the file. */
  private readonly fresh = new Set<string>();
  /** Rows this process created, so close/exit can mark the ones left RUNNING as ABORTED. */
  private readonly createdExperiments: number[] = [];
  /** Runs this process started (a worker runs one of another process's experiment). */
  private readonly startedRuns: number[] = [];
  private dirty: SeriesBuffer[] = [];
  private epochValues: EpochValue[] = [];
  private texts: TextValue[] = [];
  private countOwners: Owner[] = [];
  pendingChunks = 0;
  /** track() flushes when this many full chunks wait (raised while the file is locked). */
  flushAtChunks = MAX_PENDING_CHUNKS;
  /** Wall time (ms) at which track() flushes by itself. */
  nextFlushAt: number;
  /** Set once the store cannot write any more; every later call throws it. */
  failure: TrackingDbError | undefined;
  private failureThrown = false;
  /** Lifecycle updates waiting for the lock, run in order by the next flush. */
  private deferred: (() => void)[] = [];
  /** When the current stretch of finding the file locked began. */
  private lockedSince: number | undefined;
  private readonly lockTimeoutMs: number;
  /** When this writer last wrote its heartbeat into its experiments' rows. */
  private lastBeat = 0;
  private readonly flushIntervalMs: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly timeScratch = new Uint32Array(CHUNK_POINTS);

  constructor(file: string, options: { recreate?: boolean; flushIntervalMs?: number; lockTimeoutMs?: number } = {}) {
    this.remote = isPostgresUrl(file);
    this.file = this.remote ? maskUrl(file) : file;
    this.lockTimeoutMs =
      options.lockTimeoutMs ?? (this.remote ? DEFAULT_RECONNECT_TIMEOUT_MS : DEFAULT_LOCK_TIMEOUT_MS);
    this.db = openStoreForWriting(file, { recreate: options.recreate, lockTimeoutMs: this.lockTimeoutMs });
    // From here on writes try the lock without waiting (see the class comment).
    this.db.pragma("busy_timeout = 0");
    try {
      // Whoever opens a file for writing closes what killed writers left RUNNING.
      recoverStaleIn(this.db);
    } catch {
      // Locked by another writer right now: readers still show those runs ABORTED.
    }
    this.st = prepareStatements(this.db);
    this.flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.nextFlushAt = Date.now() + this.flushIntervalMs;
    // The timer covers idle stretches (a pipeline awaiting I/O); busy loops flush from track().
    this.timer = setInterval(() => this.flushFromTimer(), this.flushIntervalMs);
    this.timer.unref();
    openStores.add(this);
    installExitHook();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  // ---- entities --------------------------------------------------------------------------

  createExperiment(uid: string, row: ExperimentRow): number {
    const known = this.experimentId(uid, false);
    if (known !== undefined) return known;
    const id = Number(
      this.waiting(() =>
        this.st.insertExperiment.run(
          uid,
          row.title,
          row.desc,
          row.time,
          row.configDir,
          row.workspace,
          process.pid,
          os.hostname(),
          Date.now(),
        ),
      ).lastInsertRowid,
    );
    this.experiments.set(uid, id);
    this.createdExperiments.push(id);
    this.fresh.add(uid);
    return id;
  }

  /** The row id of an experiment uid; creates an untitled row if it was never announced. */
  experimentId(uid: string, create = true): number | undefined {
    let id = this.experiments.get(uid);
    if (id !== undefined) return id;
    const row = this.st.experimentByUid.get(uid) as { id: number } | undefined;
    if (row) {
      this.experiments.set(uid, row.id);
      return row.id;
    }
    if (!create) return undefined;
    id = this.createExperiment(uid, { title: "", desc: "", configDir: null, workspace: null, time: Date.now() });
    return id;
  }

  createTrial(uid: string, experimentUid: string, name: string, workspace: string | null, time: number): number {
    const known = this.trialRow(uid, experimentUid, false);
    if (known) return known.id;
    const experimentId = this.experimentId(experimentUid)!;
    const id = Number(
      this.waiting(() => this.st.insertTrial.run(uid, experimentId, name, time, workspace)).lastInsertRowid,
    );
    this.trials.set(uid, { id, experimentId });
    this.fresh.add(uid);
    return id;
  }

  trialRow(
    uid: string,
    experimentUid: string | undefined,
    create = true,
  ): { id: number; experimentId: number } | undefined {
    const cached = this.trials.get(uid);
    if (cached) return cached;
    const row = this.st.trialByUid.get(uid) as { id: number; experiment_id: number } | undefined;
    if (row) {
      const entry = { id: row.id, experimentId: row.experiment_id };
      this.trials.set(uid, entry);
      return entry;
    }
    if (!create || experimentUid === undefined) return undefined;
    this.createTrial(uid, experimentUid, "", null, Date.now());
    return this.trials.get(uid);
  }

  createRun(
    uid: string,
    trialUid: string,
    experimentUid: string,
    info: { repeat: number; seed: number | null; workspace: string | null; time: number },
  ): number {
    const known = this.runRow(uid, undefined, undefined, false);
    if (known) return known.id;
    const trial = this.trialRow(trialUid, experimentUid)!;
    const id = Number(
      this.waiting(() => this.st.insertRun.run(uid, trial.id, info.repeat, info.seed, info.time, info.workspace))
        .lastInsertRowid,
    );
    this.runs.set(uid, { id, trialId: trial.id, experimentId: trial.experimentId });
    this.fresh.add(uid);
    return id;
  }

  runRow(
    uid: string,
    trialUid: string | undefined,
    experimentUid: string | undefined,
    create = true,
  ): { id: number; trialId: number; experimentId: number } | undefined {
    const cached = this.runs.get(uid);
    if (cached) return cached;
    const row = this.st.runByUid.get(uid) as { id: number; trial_id: number; experiment_id: number } | undefined;
    if (row) {
      const entry = { id: row.id, trialId: row.trial_id, experimentId: row.experiment_id };
      this.runs.set(uid, entry);
      return entry;
    }
    if (!create || trialUid === undefined || experimentUid === undefined) return undefined;
    this.createRun(uid, trialUid, experimentUid, { repeat: 0, seed: null, workspace: null, time: Date.now() });
    return this.runs.get(uid);
  }

  /**
   * The owner of whatever is tracked under these ids: the run if there is one, else the trial,
   * else the experiment. Missing parent rows are created (untitled) rather than dropping data.
   */
  owner(ids: { experiment?: string; trial?: string; run?: string }): Owner {
    const uid = ids.run ?? ids.trial ?? ids.experiment;
    if (uid === undefined) {
      throw new Error(
        "DBTracker: nothing to file this under: no experiment was created yet (call onCreate(Level.EXPERIMENT, title) first).",
      );
    }
    let owner = this.owners.get(uid);
    if (owner) return owner;
    if (ids.run !== undefined) {
      requireIds(ids, "run");
      const run = this.runRow(ids.run, ids.trial, ids.experiment)!;
      owner = new Owner(run.experimentId, run.trialId, run.id, this.resumerFor(uid));
    } else if (ids.trial !== undefined) {
      requireIds(ids, "trial");
      const trial = this.trialRow(ids.trial, ids.experiment)!;
      owner = new Owner(trial.experimentId, trial.id, null, this.resumerFor(uid));
    } else {
      owner = new Owner(this.experimentId(ids.experiment!)!, null, null, this.resumerFor(uid));
    }
    this.owners.set(uid, owner);
    return owner;
  }

  /**
   * Series of an entity this store just inserted cannot be in the file yet; any other owner
   * (an entity from the file, or one made again after a release) resumes its series from it.
   * Call after resolving the row, which may insert it.
   */
  private resumerFor(uid: string): ((s: SeriesBuffer) => void) | undefined {
    return this.fresh.delete(uid) ? undefined : (s) => this.resumeSeries(s);
  }

  /**
   * Lets go of an owner whose level ended, so a long experiment does not keep every finished
   * run's buffers. Points tracked for it later get a new owner that resumes from the file.
   */
  private release(uid: string): void {
    const owner = this.owners.get(uid);
    if (!owner) return;
    owner.released = true;
    this.owners.delete(uid);
  }

  /** Continues a series that is already in the file: its row, counts, and its partial last chunk. */
  private resumeSeries(s: SeriesBuffer): void {
    const row = this.st.seriesByOwnerKey.get(
      s.owner.experimentId,
      s.owner.trialId,
      s.owner.runId,
      s.key,
      s.scope,
      s.label,
    ) as
      | {
          id: number;
          count: number;
          text_count: number;
          min_step: number | null;
          max_step: number | null;
          last_step: number | null;
          last_value: number | null;
          last_time: number | null;
        }
      | undefined;
    if (!row) return;
    s.id = row.id;
    s.count = row.count;
    s.textCount = row.text_count;
    s.minStep = row.min_step ?? Infinity;
    s.maxStep = row.max_step ?? -Infinity;
    s.lastStep = row.last_step ?? NaN;
    s.lastValue = row.last_value ?? NaN;
    s.lastTime = row.last_time ?? 0;
    const last = this.st.lastChunk.get(row.id) as
      | {
          seq: number;
          n: number;
          enc: number;
          min_step: number | null;
          first_time: number;
          steps: Buffer;
          vals: Buffer;
          times: Buffer;
        }
      | undefined;
    if (!last) return;
    if (last.n >= CHUNK_POINTS) {
      s.seq = last.seq + 1;
      return;
    }
    s.seq = last.seq;
    s.n = s.flushedN = last.n;
    const decoded = decodeChunk(
      last.enc,
      last.n,
      last.min_step,
      last.first_time,
      last.steps,
      last.vals,
      last.times,
      new ChunkScratch(),
    );
    s.steps.set(decoded.steps.subarray(0, last.n));
    s.values.set(decoded.values.subarray(0, last.n));
    s.times.set(decoded.times.subarray(0, last.n));
  }

  endExperiment(uid: string, end: EndInfo): void {
    const id = this.experimentId(uid)!;
    this.flush(() =>
      this.st.endExperiment.run(end.status, end.time, end.error?.message ?? null, end.error?.stack ?? null, id),
    );
    this.release(uid);
  }

  endTrial(uid: string, experimentUid: string, end: EndInfo): void {
    const trial = this.trialRow(uid, experimentUid)!;
    this.flush(() => this.st.endTrial.run(end.status, end.time, trial.id));
    this.release(uid);
  }

  endRun(uid: string, owner: Owner, end: EndInfo): void {
    const writeCount = this.batchCountWriter(owner);
    this.flush(() => {
      writeCount?.();
      this.st.endRun.run(end.status, end.time, end.error?.message ?? null, end.error?.stack ?? null, owner.runId);
    });
    this.release(uid);
  }

  // ---- the plan (many runs: see experiment/plan.ts) -----------------------------------------

  /**
   * Writes the experiment's trials and planned runs (QUEUED) in one transaction, before
   * anything runs; rows that exist already (a worker, a resume) are left as they are. Also
   * records the config the plan was made from, once, so a later run of the plan can tell
   * whether it changed.
   */
  writePlan(plan: PlanRows): void {
    const experimentId = this.experimentId(plan.experimentUid)!;
    // Other writers (workers of another experiment) may hold the lock: wait, up to the deadline.
    this.waiting(() =>
      this.db
        .transaction(() => {
          if (plan.config !== undefined) {
            this.db
              .prepare(
                "UPDATE experiment SET config = coalesce(config, ?), executor = coalesce(?, executor) WHERE id = ?",
              )
              .run(plan.config, plan.executor ?? null, experimentId);
          }
          for (const t of plan.trials) {
            if (!this.trialRow(t.uid, undefined, false))
              this.createTrial(t.uid, plan.experimentUid, t.name, t.workspace, plan.time);
          }
          for (const r of plan.runs) {
            if (this.runRow(r.uid, undefined, undefined, false)) continue;
            const trial = this.trialRow(r.trialUid, plan.experimentUid)!;
            const id = Number(
              this.st.insertPlannedRun.run(
                r.uid,
                trial.id,
                r.repeat,
                r.seed,
                plan.time,
                r.workspace,
                r.index,
                r.skipped ? "SKIPPED" : "QUEUED",
                r.skipped ?? null,
              ).lastInsertRowid,
            );
            this.runs.set(r.uid, { id, trialId: trial.id, experimentId: trial.experimentId });
            this.fresh.add(r.uid);
          }
        })
        .immediate(),
    );
  }

  /**
   * A run starts in this process: RUNNING, with this process as its writer. A run that ran
   * before (a resume, `--only` again) starts over with its old epochs, points, params,
   * checkpoints and artifacts removed, unless `keepData` (it continues from a checkpoint).
   */
  startRun(uid: string, time: number, options: { keepData?: boolean; jobId?: string | null } = {}): void {
    const run = this.runs.get(uid) ?? this.runRow(uid, undefined, undefined, false);
    if (!run) return;
    // A run again (a resume) drops its earlier attempt, now: the status update below may wait
    // for the lock (another worker writing) and a flush writes buffered points before such
    // waiting updates, so a deferred DELETE would remove this run's first new points. A planned
    // run that never ran (every worker's, every Slurm task's) has nothing to remove.
    const tables = ["epoch", "series", "param", "checkpoint", "artifact"];
    const hasOld = () =>
      tables.some(
        (table) => this.db.prepare(`SELECT 1 FROM ${table} WHERE run_id = ? LIMIT 1`).get(run.id) !== undefined,
      );
    if (!options.keepData && hasOld()) {
      this.waiting(() =>
        this.db
          .transaction(() => {
            for (const table of tables) this.db.prepare(`DELETE FROM ${table} WHERE run_id = ?`).run(run.id);
          })
          .immediate(),
      );
      // Owners cached for this run would resume series that no longer exist.
      this.release(uid);
    }
    this.flush(() => {
      this.st.startRun.run(time, process.pid, os.hostname(), options.jobId ?? null, run.id);
      this.db
        .prepare("UPDATE trial SET status = 'RUNNING', end_time = NULL WHERE id = ? AND status <> 'RUNNING'")
        .run(run.trialId);
    });
    if (!this.startedRuns.includes(run.id)) this.startedRuns.push(run.id);
  }

  /** The last checkpoint of a run that a resume queued again (status QUEUED), if it saved one. */
  resumableCheckpoint(uid: string): string | undefined {
    const row = this.db
      .prepare(
        "SELECT c.path FROM checkpoint c JOIN trial_run r ON r.id = c.run_id WHERE r.uid = ? AND r.status = 'QUEUED' ORDER BY c.time DESC, c.id DESC LIMIT 1",
      )
      .get(uid) as { path: string } | undefined;
    return row?.path;
  }

  /** The config JSON the experiment was planned with; undefined when no such experiment. */
  experimentConfig(uid: string): { config: string | null } | undefined {
    return this.db.prepare("SELECT config FROM experiment WHERE uid = ?").get(uid) as
      { config: string | null } | undefined;
  }

  /** The newest experiment run from this config folder (what `--resume` continues). */
  latestExperimentOf(
    configDir: string,
  ): { id: number; uid: string; title: string; status: string; pid: number | null; host: string | null } | undefined {
    return this.db
      .prepare("SELECT id, uid, title, status, pid, host FROM experiment WHERE config_dir = ? ORDER BY id DESC LIMIT 1")
      .get(configDir) as
      { id: number; uid: string; title: string; status: string; pid: number | null; host: string | null } | undefined;
  }

  /** Every run of an experiment with its status, in plan order. */
  runStatuses(experimentUid: string): { uid: string; status: string; error: string | null }[] {
    return this.db
      .prepare(
        "SELECT r.uid, r.status, r.error_message AS error FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id WHERE e.uid = ? ORDER BY r.id",
      )
      .all(experimentUid) as { uid: string; status: string; error: string | null }[];
  }

  /** Queues runs again (a resume): their data stays until they start (see startRun). */
  requeue(uids: string[]): void {
    const stmt = this.db.prepare(
      "UPDATE trial_run SET status = 'QUEUED', end_time = NULL, error_message = NULL, error_stack = NULL, job_id = NULL WHERE uid = ?",
    );
    this.waiting(() =>
      this.db
        .transaction(() => {
          for (const uid of uids) stmt.run(uid);
        })
        .immediate(),
    );
  }

  /** The coordinator takes the experiment row over: RUNNING again, this process its writer. */
  startExperiment(uid: string): void {
    const id = this.experimentId(uid, false);
    if (id === undefined) return;
    this.waiting(() =>
      this.db
        .prepare(
          "UPDATE experiment SET status = 'RUNNING', end_time = NULL, error_message = NULL, error_stack = NULL, pid = ?, host = ? WHERE id = ?",
        )
        .run(process.pid, os.hostname(), id),
    );
    if (!this.createdExperiments.includes(id)) this.createdExperiments.push(id);
  }

  /**
   * Ends a run that its own process could not end (the worker crashed, was killed, or never
   * started): only if it is still QUEUED or RUNNING, so a status the run wrote itself wins.
   * Returns the run's status after that and whether this call set it (undefined: no such run).
   */
  endRunIfOpen(
    uid: string,
    status: RunStatusName,
    time: number,
    message: string | null,
  ): { status: RunStatusName; changed: boolean } | undefined {
    const run = this.runs.get(uid) ?? this.runRow(uid, undefined, undefined, false);
    if (!run) return undefined;
    let now: { status: RunStatusName; changed: boolean } | undefined;
    this.waiting(() =>
      this.db
        .transaction(() => {
          const changed =
            this.db
              .prepare(
                "UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(?, error_message) WHERE id = ? AND status IN ('QUEUED','RUNNING')",
              )
              .run(status, time, message, run.id).changes > 0;
          if (changed)
            this.db
              .prepare("UPDATE epoch SET status = ?, end_time = ? WHERE run_id = ? AND status = 'RUNNING'")
              .run(status, time, run.id);
          now = {
            status: (
              this.db.prepare("SELECT status FROM trial_run WHERE id = ?").get(run.id) as { status: RunStatusName }
            ).status,
            changed,
          };
        })
        .immediate(),
    );
    return now;
  }

  // ---- a scheduler runs the plan (executors/slurm.ts) --------------------------------------

  /** Each submitted run's scheduler task (Slurm: `<array job>_<index>`), once the job is accepted. */
  setJobIds(jobs: readonly { uid: string; jobId: string }[]): void {
    const stmt = this.db.prepare("UPDATE trial_run SET job_id = ? WHERE uid = ?");
    this.waiting(() =>
      this.db
        .transaction(() => {
          for (const j of jobs) stmt.run(j.jobId, j.uid);
        })
        .immediate(),
    );
  }

  /**
   * The experiment is in a scheduler's hands now: it has no writer process of its own (pid, host
   * and heartbeat cleared), so readers do not take this process's exit for its end, and closing
   * here leaves it RUNNING. Its tasks write their runs; the last one (or whoever reads the
   * scheduler's final states) settles it.
   */
  handOver(experimentUid: string, executor: string): void {
    const id = this.experimentId(experimentUid, false);
    if (id === undefined) return;
    this.flush(() =>
      this.db
        .prepare("UPDATE experiment SET pid = NULL, host = NULL, heartbeat = NULL, executor = ? WHERE id = ?")
        .run(executor, id),
    );
    const i = this.createdExperiments.indexOf(id);
    if (i >= 0) this.createdExperiments.splice(i, 1);
  }

  /**
   * Runs a scheduler holds whose end may be the scheduler's to tell: still QUEUED or RUNNING,
   * or ended ABORTED without a message within the last day (a SIGTERM from a time limit).
   */
  schedulerRuns(executor: string, experimentUid?: string): SchedulerRun[] {
    return this.db
      .prepare(
        `SELECT r.uid, e.uid AS experimentUid, r.status, r.job_id AS jobId, r.run_index AS runIndex
         FROM trial_run r JOIN trial t ON t.id = r.trial_id JOIN experiment e ON e.id = t.experiment_id
         WHERE e.executor = ? AND (? IS NULL OR e.uid = ?) AND r.job_id IS NOT NULL
           AND (r.status IN ('QUEUED','RUNNING') OR (r.status = 'ABORTED' AND r.error_message IS NULL AND r.end_time > ?))
         ORDER BY r.id`,
      )
      .all(executor, experimentUid ?? null, experimentUid ?? null, Date.now() - 86_400_000) as SchedulerRun[];
  }

  /**
   * A scheduler's final word on a run that did not end itself: ends it if it is still QUEUED or
   * RUNNING; with `overAborted`, also one that ended itself ABORTED on the scheduler's SIGTERM
   * (a time limit reads FAILED TIMEOUT, not stopped). Returns whether it changed the run.
   */
  endRunByScheduler(
    uid: string,
    status: RunStatusName,
    time: number,
    message: string,
    options: { overAborted?: boolean } = {},
  ): boolean {
    const run = this.runRow(uid, undefined, undefined, false);
    if (!run) return false;
    const from = options.overAborted ? "('QUEUED','RUNNING','ABORTED')" : "('QUEUED','RUNNING')";
    let changed = false;
    this.waiting(() =>
      this.db
        .transaction(() => {
          changed =
            this.db
              .prepare(
                `UPDATE trial_run SET status = ?, end_time = coalesce(end_time, ?), error_message = ? WHERE id = ? AND status IN ${from}`,
              )
              .run(status, time, message, run.id).changes > 0;
          if (changed)
            this.db
              .prepare("UPDATE epoch SET status = ?, end_time = ? WHERE run_id = ? AND status = 'RUNNING'")
              .run(status, time, run.id);
        })
        .immediate(),
    );
    return changed;
  }

  /**
   * Sets the status of the experiment's trials and of the experiment from their runs, once none
   * is QUEUED or RUNNING any more: ABORTED if one was, else FAILED if one failed, else SUCCESS.
   * `aborted`/`failed` (the coordinator was stopped / hit an error of its own) end the
   * experiment that way even with runs left open. Whichever process ends the last run settles.
   */
  settle(
    experimentUid: string,
    time: number,
    options: { aborted?: boolean; error?: { message?: string; stack?: string } | null } = {},
  ): RunStatusName | undefined {
    const id = this.experimentId(experimentUid, false);
    if (id === undefined) return undefined;
    let result: RunStatusName | undefined;
    this.flush(() => {
      // CASE rather than sum(<boolean>): portable to PostgreSQL (see ../pg/dialect.ts).
      const count = (cond: string) => `sum(CASE WHEN ${cond} THEN 1 ELSE 0 END)`;
      const rank = `CASE WHEN ${count("r.status IN ('QUEUED','RUNNING')")} > 0 THEN 'RUNNING' WHEN ${count("r.status = 'ABORTED'")} > 0 THEN 'ABORTED'
                    WHEN ${count("r.status = 'FAILED'")} > 0 THEN 'FAILED' ELSE 'SUCCESS' END`;
      const trials = this.db
        .prepare(
          `SELECT t.id, ${rank} AS status, max(r.end_time) AS end_time FROM trial t LEFT JOIN trial_run r ON r.trial_id = t.id WHERE t.experiment_id = ? GROUP BY t.id`,
        )
        .all(id) as { id: number; status: RunStatusName; end_time: number | null }[];
      const endTrial = this.db.prepare("UPDATE trial SET status = ?, end_time = ? WHERE id = ?");
      for (const t of trials) if (t.status !== "RUNNING") endTrial.run(t.status, t.end_time ?? time, t.id);
      const all = this.db
        .prepare(
          `SELECT ${rank} AS status FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id = ?`,
        )
        .get(id) as { status: RunStatusName };
      let status: RunStatusName | undefined = all.status === "RUNNING" ? undefined : all.status;
      if (options.aborted) status = "ABORTED";
      else if (options.error && status !== "ABORTED") status = "FAILED";
      if (status) {
        this.st.endExperiment.run(status, time, options.error?.message ?? null, options.error?.stack ?? null, id);
        result = status;
      }
    });
    return result;
  }

  startEpoch(owner: Owner, idx: number, time: number): void {
    if (owner.countedEpoch === idx && owner.epochOpen) return; // onCreate then onStart
    const writeCount = owner.countedEpoch !== null && owner.batchCountDirty ? this.batchCountWriter(owner) : undefined;
    owner.countedEpoch = idx;
    owner.batchCount = 0;
    owner.batchCountDirty = false;
    owner.epochOpen = true;
    this.lifecycle(() => {
      writeCount?.();
      this.st.upsertEpoch.run(owner.runId, idx, time);
    });
  }

  endEpoch(owner: Owner, idx: number, end: EndInfo): void {
    const writeCount = owner.countedEpoch === idx ? this.batchCountWriter(owner) : undefined;
    this.flush(() => {
      writeCount?.();
      this.st.ensureEpoch.run(owner.runId, idx, end.time);
      this.st.endEpoch.run(end.status, end.time, owner.runId, idx);
    });
    if (owner.countedEpoch === idx) owner.epochOpen = false;
  }

  /** One batch of the owner's current epoch ended (a count, not a row). */
  countBatch(owner: Owner): void {
    if (owner.countedEpoch === null) return;
    owner.batchCount++;
    if (!owner.batchCountDirty) {
      owner.batchCountDirty = true;
      this.countOwners.push(owner);
    }
  }

  private writeBatchCount(owner: Owner): void {
    if (owner.countedEpoch === null || owner.runId === null) return;
    this.st.epochBatchCount.run(owner.batchCount, owner.runId, owner.countedEpoch);
    owner.batchCountDirty = false;
  }

  /** Writes the owner's batch count as it is now, even if the write waits for the lock. */
  private batchCountWriter(owner: Owner): (() => void) | undefined {
    if (owner.countedEpoch === null || owner.runId === null) return undefined;
    const count = owner.batchCount;
    const runId = owner.runId;
    const epoch = owner.countedEpoch;
    owner.batchCountDirty = false;
    return () => this.st.epochBatchCount.run(count, runId, epoch);
  }

  logParams(owner: Owner, params: Record<string, unknown>): void {
    const flat = flattenParams(params);
    this.lifecycle(() => {
      for (const [key, value] of Object.entries(flat)) {
        this.st.upsertParam.run(owner.experimentId, owner.trialId, owner.runId, key, safeJson(value));
      }
    });
  }

  addCheckpoint(
    owner: Owner,
    cp: { epoch: number | null; step: number | null; path: string; final: boolean; time: number; metricsJson: string },
  ): void {
    if (owner.runId === null)
      throw new Error(`DBTracker: checkpoint ${cp.path} was saved outside a trial run; checkpoints belong to runs.`);
    this.flush(() =>
      this.st.insertCheckpoint.run(owner.runId, cp.epoch, cp.step, cp.path, cp.final ? 1 : 0, cp.time, cp.metricsJson),
    );
  }

  /** The run's warning (the last one given), stored with it for readers. */
  setRunWarning(owner: Owner, message: string): void {
    if (owner.runId === null) return;
    const runId = owner.runId;
    this.flush(() => this.db.prepare("UPDATE trial_run SET warning = ? WHERE id = ?").run(message, runId));
  }

  addArtifact(
    owner: Owner,
    a: {
      level: string;
      epoch: number | null;
      batch: number | null;
      type: string;
      path: string;
      time: number;
      meta: string | null;
    },
  ): void {
    this.lifecycle(() =>
      this.st.insertArtifact.run(
        a.level,
        owner.experimentId,
        owner.trialId,
        owner.runId,
        a.epoch,
        a.batch,
        a.type,
        a.path,
        a.time,
        a.meta,
      ),
    );
  }

  // ---- metric buffers ----------------------------------------------------------------------

  markDirty(series: SeriesBuffer): void {
    series.dirty = true;
    this.dirty.push(series);
  }

  addEpochValue(runId: number, epoch: number, key: string, value: number, step: number | null, time: number): void {
    if (this.epochValues.push({ runId, epoch, key, value, step, time }) >= MAX_PENDING_ROWS) this.flushIfDue(time);
  }

  addText(
    series: SeriesBuffer,
    step: number | null,
    epoch: number | null,
    batch: number | null,
    time: number,
    value: unknown,
  ): void {
    series.textCount++;
    const pending = this.texts.push({ series, step, epoch, batch, time, json: safeJson(value) });
    if (!series.dirty) this.markDirty(series);
    if (pending >= MAX_PENDING_ROWS) this.flushIfDue(time);
  }

  /** A bound was reached: flush, unless the file is locked and the next try is not due yet. */
  private flushIfDue(now: number): void {
    if (this.lockedSince === undefined || now >= this.nextFlushAt) this.flush();
  }

  /**
   * Writes every buffered point, then `extra` (a lifecycle update), in one transaction: a
   * reader that sees a run ended also sees all its points.
   */
  flush(extra?: () => void): void {
    if (this.closed) return;
    if (this.failure) throw this.thrown();
    if (extra) this.deferred.push(extra);
    const now = Date.now();
    this.nextFlushAt = now + this.flushIntervalMs;
    const beat = this.createdExperiments.length > 0 && now - this.lastBeat >= HEARTBEAT_MS;
    if (
      !beat &&
      this.deferred.length === 0 &&
      this.dirty.length === 0 &&
      this.epochValues.length === 0 &&
      this.texts.length === 0 &&
      this.countOwners.length === 0
    )
      return;
    const fresh: SeriesBuffer[] = [];
    try {
      this.db
        .transaction(() => {
          this.writeBuffers(fresh);
          for (const op of this.deferred) op();
          if (beat) this.st.heartbeat.run(now, JSON.stringify(this.createdExperiments));
        })
        .immediate();
    } catch (error) {
      // Rolled back: series rows inserted in this transaction do not exist after all.
      for (const s of fresh) s.id = 0;
      if (isBusy(error)) return this.locked(now);
      throw this.fail(error);
    }
    this.lockedSince = undefined;
    this.retries = 0;
    if (beat) this.lastBeat = now;
    this.flushAtChunks = MAX_PENDING_CHUNKS;
    this.deferred = [];
    this.afterCommit();
  }

  /**
   * A lifecycle update (epoch start, params, artifacts): written at once when the lock is
   * free, else queued behind the updates already waiting and written by the next flush.
   */
  private lifecycle(op: () => void): void {
    if (this.failure) throw this.thrown();
    if (this.deferred.length > 0 || this.lockedSince !== undefined) {
      this.deferred.push(op);
      return;
    }
    try {
      this.db.transaction(op).immediate();
    } catch (error) {
      if (!isBusy(error)) throw this.fail(error);
      this.deferred.push(op);
      this.locked(Date.now());
    }
  }

  /** Another process holds the lock: retry later without spinning, or give up past the deadline. */
  private locked(now: number): void {
    this.lockedSince ??= now;
    const waited = now - this.lockedSince;
    if (waited >= this.lockTimeoutMs) throw this.fail(lockFailure(this.file, waited));
    if (this.pendingChunks >= MAX_LOCKED_CHUNKS) {
      throw this.fail(
        lockFailure(
          this.file,
          waited,
          ` and ${this.pendingChunks} chunks of points wait in memory, the most this writer keeps`,
        ),
      );
    }
    this.nextFlushAt = now + this.retryDelay();
    this.flushAtChunks = this.pendingChunks + MAX_PENDING_CHUNKS;
  }

  /** The wait before the next try: fixed for a SQLite lock, backing off for a lost server. */
  private retryDelay(): number {
    if (!this.remote) return LOCK_RETRY_MS;
    return Math.min(MAX_RECONNECT_DELAY_MS, LOCK_RETRY_MS * 2 ** Math.min(this.retries++, 10));
  }

  /**
   * Entity rows are needed at once (their ids): these wait for the lock, up to the deadline
   * (SQLite's busy timeout waits inside the call; a lost PostgreSQL connection is retried here).
   */
  private waiting<T>(write: () => T): T {
    if (this.failure) throw this.thrown();
    const started = Date.now();
    this.db.pragma(`busy_timeout = ${this.lockTimeoutMs}`);
    try {
      for (;;) {
        try {
          return write();
        } catch (error) {
          const waited = Date.now() - started;
          if (!isBusy(error) || !this.remote || waited >= this.lockTimeoutMs)
            throw this.fail(isBusy(error) ? lockFailure(this.file, waited) : error);
          sleepSync(Math.min(this.retryDelay(), this.lockTimeoutMs - waited));
        }
      }
    } finally {
      this.retries = 0;
      if (this.db.open) this.db.pragma("busy_timeout = 0");
    }
  }

  /**
   * The store cannot write any more: keep the error, let go of everything buffered (nothing
   * can be written, and keeping it would grow without bound), stop the timer.
   */
  private fail(error: unknown): TrackingDbError {
    if (this.failure) return this.thrown();
    this.failure = writeFailure(this.file, error);
    for (const s of this.dirty) {
      s.sealed = [];
      s.dirty = false;
    }
    this.dirty = [];
    this.epochValues = [];
    this.texts = [];
    this.countOwners = [];
    this.deferred = [];
    this.pendingChunks = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    return this.thrown();
  }

  private thrown(): TrackingDbError {
    this.failureThrown = true;
    return this.failure!;
  }

  private flushFromTimer(): void {
    const now = Date.now();
    if (this.closed || this.failure) return;
    if (now < this.nextFlushAt - 5 && !(this.createdExperiments.length > 0 && now - this.lastBeat >= HEARTBEAT_MS))
      return;
    try {
      this.flush();
    } catch {
      // The store failed (this.failure): the next track() or lifecycle call reports it.
      this.failureThrown = false;
    }
  }

  private writeBuffers(fresh: SeriesBuffer[]): void {
    const st = this.st;
    for (const s of this.dirty) {
      if (s.id === 0) {
        s.id = Number(
          st.insertSeries.run(
            s.owner.experimentId,
            s.owner.trialId,
            s.owner.runId,
            s.key,
            s.scope,
            s.custom ? 1 : 0,
            s.label,
          ).lastInsertRowid,
        );
        fresh.push(s);
      }
      for (const c of s.sealed) this.writeChunk(s, c.seq, c.steps, c.values, c.times, c.steps.length);
      if (s.n > s.flushedN) {
        this.writeChunk(s, s.seq, s.steps, s.values, s.times, s.n);
        s.rememberTail(s.steps, s.values, s.times, s.n);
      }
      st.updateSeries.run(
        s.count,
        s.textCount,
        Number.isFinite(s.minStep) ? s.minStep : null,
        Number.isFinite(s.maxStep) ? s.maxStep : null,
        Number.isNaN(s.lastStep) ? null : s.lastStep,
        s.count > 0 ? s.lastValue : null,
        s.count > 0 ? s.lastTime : null,
        s.id,
      );
    }
    // Only the last value of each (run, epoch, key) matters: write that one.
    const written = new Set<string>();
    for (let i = this.epochValues.length - 1; i >= 0; i--) {
      const v = this.epochValues[i];
      const id = `${v.runId}\u0000${v.epoch}\u0000${v.key}`;
      if (written.has(id)) continue;
      written.add(id);
      st.ensureEpoch.run(v.runId, v.epoch, v.time);
      st.upsertEpochMetric.run(v.runId, v.epoch, v.key, v.value, v.step, v.time);
    }
    for (const t of this.texts) st.insertText.run(t.series.id, t.step, t.epoch, t.batch, t.time, t.json);
    for (const o of this.countOwners) if (o.batchCountDirty) this.writeBatchCount(o);
  }

  private writeChunk(
    s: SeriesBuffer,
    seq: number,
    steps: Float64Array,
    values: Float64Array,
    times: Float64Array,
    n: number,
  ): void {
    const stats = chunkStats(steps, values, times, n);
    if (stats.minStep !== null && stats.minStep < s.minStep) s.minStep = stats.minStep;
    if (stats.maxStep !== null && stats.maxStep > s.maxStep) s.maxStep = stats.maxStep;
    const encoded = encodeChunk(steps, values, times, n, this.timeScratch);
    this.st.upsertChunk.run(
      s.id,
      seq,
      n,
      stats.minStep,
      stats.maxStep,
      stats.minValue,
      stats.maxValue,
      stats.firstTime,
      stats.lastTime,
      encoded.enc,
      encoded.steps,
      encoded.values,
      encoded.times,
    );
  }

  /** Only once the transaction committed do the buffers forget what they wrote. */
  private afterCommit(): void {
    for (const s of this.dirty) {
      s.sealed = [];
      s.flushedN = s.n;
      s.dirty = false;
    }
    this.dirty = [];
    this.epochValues = [];
    this.texts = [];
    this.countOwners = [];
    this.pendingChunks = 0;
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Flushes, marks what this process left RUNNING as ABORTED (a clean end would have set its
   * status), checkpoints the WAL and closes. Safe to call twice, and from the 'exit' hook.
   */
  close(): void {
    if (this.closed) return;
    try {
      if (this.failure) {
        this.markFailedOnce();
        if (!this.failureThrown) throw this.thrown();
      } else {
        this.flush(() => this.abortLeftovers(Date.now(), processFailure));
        if (this.deferred.length > 0) this.flushWaiting();
      }
    } finally {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      openStores.delete(this);
      try {
        this.db.pragma("wal_checkpoint(TRUNCATE)");
        // Back to a rollback journal when no one else has the file open: readers then open
        // it read-only without creating -wal/-shm files beside it, and can read it from a
        // read-only folder or mount. The next writer switches to WAL again.
        this.db.pragma("journal_mode = DELETE");
      } catch {
        // Another connection has it open; the WAL is checkpointed later. Nothing is lost.
      }
      this.db.close();
    }
  }

  /** Closing while the lock is still held: wait for it (up to the deadline) rather than lose the end. */
  private flushWaiting(): void {
    this.db.pragma(`busy_timeout = ${this.lockTimeoutMs}`);
    try {
      this.flush();
      if (this.deferred.length > 0) throw this.fail(lockFailure(this.file, this.lockTimeoutMs, " while closing"));
    } finally {
      if (this.db.open) this.db.pragma("busy_timeout = 0");
    }
  }

  /** After a failure: one try, without waiting, to record it (a lock may be gone by now). */
  private markFailedOnce(): void {
    try {
      this.db.transaction(() => this.abortLeftovers(Date.now(), { message: this.failure!.message })).immediate();
    } catch {
      // The disk is still full or the file still locked: readers see the heartbeat stop.
    }
  }

  /**
   * What this process left RUNNING ends ABORTED (closed without a clean end), or FAILED with
   * the message when the process ends on an error (a failed store, an uncaught error).
   */
  private abortLeftovers(time: number, failed?: { message: string; stack?: string }): void {
    const status = failed ? "FAILED" : "ABORTED";
    if (this.startedRuns.length > 0) {
      const runs = JSON.stringify(this.startedRuns);
      this.db
        .prepare(
          "UPDATE epoch SET status = ?, end_time = ? WHERE status = 'RUNNING' AND run_id IN (SELECT value FROM json_each(?))",
        )
        .run(status, time, runs);
      this.db
        .prepare(
          "UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(?, error_message) WHERE status = 'RUNNING' AND id IN (SELECT value FROM json_each(?))",
        )
        .run(status, time, failed?.message ?? null, runs);
    }
    if (this.createdExperiments.length === 0) return;
    const ids = JSON.stringify(this.createdExperiments);
    const inList = "(SELECT value FROM json_each(?))";
    const message = failed?.message ?? null;
    const stack = failed?.stack ?? null;
    this.db
      .prepare(
        `UPDATE epoch SET status = ?, end_time = ? WHERE status = 'RUNNING' AND run_id IN (SELECT r.id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE t.experiment_id IN ${inList})`,
      )
      .run(status, time, ids);
    this.db
      .prepare(
        `UPDATE trial_run SET status = ?, end_time = ?, error_message = coalesce(error_message, ?), error_stack = coalesce(error_stack, ?)
         WHERE status = 'RUNNING' AND trial_id IN (SELECT id FROM trial WHERE experiment_id IN ${inList})`,
      )
      .run(status, time, message, stack, ids);
    this.db
      .prepare(`UPDATE trial SET status = ?, end_time = ? WHERE status = 'RUNNING' AND experiment_id IN ${inList}`)
      .run(status, time, ids);
    this.db
      .prepare(
        `UPDATE experiment SET status = ?, end_time = ?, error_message = coalesce(error_message, ?), error_stack = coalesce(error_stack, ?)
         WHERE status = 'RUNNING' AND id IN ${inList}`,
      )
      .run(status, time, message, stack, ids);
  }
}

function requireIds(ids: { experiment?: string; trial?: string; run?: string }, level: "run" | "trial"): void {
  if (ids.experiment === undefined || (level === "run" && ids.trial === undefined)) {
    throw new Error(
      `DBTracker: a ${level} was announced without its ${ids.experiment === undefined ? "experiment" : "trial"} (ids ${JSON.stringify(ids)}).`,
    );
  }
}

function prepareStatements(db: SqlDb): Statements {
  return {
    insertExperiment: db.prepare(
      "INSERT INTO experiment (uid, title, desc, start_time, config_dir, workspace, pid, host, heartbeat) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    heartbeat: db.prepare(
      "UPDATE experiment SET heartbeat = ? WHERE status = 'RUNNING' AND id IN (SELECT value FROM json_each(?))",
    ),
    insertTrial: db.prepare(
      "INSERT INTO trial (uid, experiment_id, name, start_time, workspace) VALUES (?, ?, ?, ?, ?)",
    ),
    insertRun: db.prepare(
      "INSERT INTO trial_run (uid, trial_id, repeat, seed, start_time, workspace) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    experimentByUid: db.prepare("SELECT id FROM experiment WHERE uid = ?"),
    trialByUid: db.prepare("SELECT id, experiment_id FROM trial WHERE uid = ?"),
    runByUid: db.prepare(
      "SELECT r.id, r.trial_id, t.experiment_id FROM trial_run r JOIN trial t ON t.id = r.trial_id WHERE r.uid = ?",
    ),
    endExperiment: db.prepare(
      "UPDATE experiment SET status = ?, end_time = ?, error_message = ?, error_stack = ? WHERE id = ?",
    ),
    endTrial: db.prepare("UPDATE trial SET status = ?, end_time = ? WHERE id = ?"),
    endRun: db.prepare(
      "UPDATE trial_run SET status = ?, end_time = ?, error_message = ?, error_stack = ? WHERE id = ?",
    ),
    upsertEpoch: db.prepare(
      "INSERT INTO epoch (run_id, idx, start_time) VALUES (?, ?, ?) ON CONFLICT (run_id, idx) DO UPDATE SET status = 'RUNNING', end_time = NULL",
    ),
    ensureEpoch: db.prepare("INSERT OR IGNORE INTO epoch (run_id, idx, start_time) VALUES (?, ?, ?)"),
    endEpoch: db.prepare("UPDATE epoch SET status = ?, end_time = ? WHERE run_id = ? AND idx = ?"),
    epochBatchCount: db.prepare("UPDATE epoch SET batch_count = ? WHERE run_id = ? AND idx = ?"),
    seriesByOwnerKey: db.prepare(
      `SELECT id, count, text_count, min_step, max_step, last_step, last_value, last_time FROM series
       WHERE experiment_id = ? AND ifnull(trial_id, 0) = ifnull(?, 0) AND ifnull(run_id, 0) = ifnull(?, 0) AND key = ? AND scope = ? AND label IS ?`,
    ),
    lastChunk: db.prepare(
      "SELECT seq, n, enc, min_step, first_time, steps, vals, times FROM chunk WHERE series_id = ? ORDER BY seq DESC LIMIT 1",
    ),
    insertSeries: db.prepare(
      "INSERT INTO series (experiment_id, trial_id, run_id, key, scope, custom, label) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    upsertChunk: db.prepare(
      `INSERT INTO chunk (series_id, seq, n, min_step, max_step, min_value, max_value, first_time, last_time, enc, steps, vals, times)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (series_id, seq) DO UPDATE SET n = excluded.n, min_step = excluded.min_step, max_step = excluded.max_step,
         min_value = excluded.min_value, max_value = excluded.max_value, first_time = excluded.first_time,
         last_time = excluded.last_time, enc = excluded.enc, steps = excluded.steps, vals = excluded.vals, times = excluded.times`,
    ),
    updateSeries: db.prepare(
      "UPDATE series SET count = ?, text_count = ?, min_step = ?, max_step = ?, last_step = ?, last_value = ?, last_time = ? WHERE id = ?",
    ),
    upsertEpochMetric: db.prepare(
      `INSERT INTO epoch_metric (run_id, epoch, key, value, step, time) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (run_id, epoch, key) DO UPDATE SET value = excluded.value, step = excluded.step, time = excluded.time`,
    ),
    insertText: db.prepare(
      "INSERT INTO metric_text (series_id, step, epoch, batch, time, value) VALUES (?, ?, ?, ?, ?, ?)",
    ),
    upsertParam: db.prepare(
      "INSERT OR REPLACE INTO param (experiment_id, trial_id, run_id, key, value) VALUES (?, ?, ?, ?, ?)",
    ),
    insertCheckpoint: db.prepare(
      "INSERT INTO checkpoint (run_id, epoch, step, path, final, time, metrics) VALUES (?, ?, ?, ?, ?, ?, ?)",
    ),
    insertArtifact: db.prepare(
      "INSERT INTO artifact (level, experiment_id, trial_id, run_id, epoch, batch, type, path, time, meta) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    insertPlannedRun: db.prepare(
      "INSERT INTO trial_run (uid, trial_id, repeat, seed, start_time, workspace, run_index, status, error_message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    startRun: db.prepare(
      `UPDATE trial_run SET status = 'RUNNING', start_time = ?, end_time = NULL, error_message = NULL, error_stack = NULL,
         pid = ?, host = ?, job_id = coalesce(?, job_id) WHERE id = ?`,
    ),
  };
}

// ---- process exit --------------------------------------------------------------------------

const openStores = new Set<WriteStore>();
let exitHookInstalled = false;
let processFailure: { message: string; stack?: string } | undefined;

/**
 * The process is ending on an error nothing caught (an uncaught exception or rejection in a
 * pipeline): what the open stores left RUNNING is closed FAILED with this message, not ABORTED.
 */
export function closeOpenStoresFailed(error: { message: string; stack?: string }): void {
  processFailure = { message: error.message, stack: error.stack };
  for (const store of [...openStores]) {
    try {
      store.close();
    } catch (e) {
      process.stderr.write(`DBTracker: could not record the failure in ${store.file}: ${(e as Error).message}\n`);
    }
  }
}

/**
 * One 'exit' listener for all stores: whatever is buffered is written synchronously when the
 * process ends without closing its trackers (process.exit in a pipeline, an uncaught error).
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const store of [...openStores]) {
      try {
        store.close();
      } catch (error) {
        process.stderr.write(
          `DBTracker: could not write the last points to ${store.file} at exit: ${(error as Error).message}\n`,
        );
      }
    }
  });
}
