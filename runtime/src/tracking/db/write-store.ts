import { openStoreForWriting } from "./connection";
import { isPostgresUrl, maskUrl, type SqlDb } from "./sql";
import type { TrackingDbError } from "./errors";
import { HEARTBEAT_MS } from "./liveness";
import { recoverStaleIn } from "../../results/stale";
import type { RunStatusName } from "../../common/vocabulary";
import type { SeriesBuffer } from "./series-buffer";
import { flattenParams, safeJson } from "./values";
import { DEFAULT_LOCK_TIMEOUT_MS, DEFAULT_RECONNECT_TIMEOUT_MS, WriteGate } from "./write-gate";
import { prepareStatements, type Statements } from "./write-statements";
import { PointBuffer } from "./point-buffer";
import { EntityRows } from "./entity-rows";
import type { Owner } from "./run-owner";
import * as plans from "./plan-rows";
import * as scheduler from "./scheduler-rows";
import { abortLeftovers } from "./leftover-rows";
import { processFailure, storeClosed, storeOpened } from "./open-stores";
import type { WriterParts } from "./writer-parts";

export type { SchedulerRun } from "./scheduler-rows";

/**
 * One writer per database file per process: the connection, its prepared statements, the
 * UUID -> row id maps (entity-rows.ts), and the metric buffers (point-buffer.ts). The root
 * DBTracker opens it; its children (one per trial and per run environment) share it, so a
 * run's points and lifecycle rows go through one connection and one transaction per flush.
 *
 * Lifecycle rows (experiment, trial, run, epoch, params, checkpoints, artifacts) are written
 * at once; metric points are buffered and written in one transaction per flush (epoch ends,
 * checkpoints, run ends, a timer, a bound on buffered chunks, close and process exit). A
 * killed process therefore loses at most the points since the last flush, and WAL keeps the
 * file consistent. When a write may run (the lock, a failed store) is write-gate.ts's to say;
 * the plan's and a scheduler's rows are written by plan-rows.ts and scheduler-rows.ts.
 */

export interface EndInfo {
  status: RunStatusName;
  time: number;
  error?: { message?: string; stack?: string } | null;
}

export class WriteStore implements WriterParts {
  /** The SQLite file, or the PostgreSQL URL with its password masked. */
  readonly file: string;
  readonly db: SqlDb;
  /** A PostgreSQL store (a server over the network) rather than a SQLite file. */
  readonly remote: boolean;
  readonly st: Statements;
  readonly gate: WriteGate;
  readonly rows: EntityRows;
  readonly points: PointBuffer;
  /** When this writer last wrote its heartbeat into its experiments' rows. */
  private lastBeat = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(file: string, options: { recreate?: boolean; flushIntervalMs?: number; lockTimeoutMs?: number } = {}) {
    this.remote = isPostgresUrl(file);
    this.file = this.remote ? maskUrl(file) : file;
    const lockTimeoutMs =
      options.lockTimeoutMs ?? (this.remote ? DEFAULT_RECONNECT_TIMEOUT_MS : DEFAULT_LOCK_TIMEOUT_MS);
    this.db = openStoreForWriting(file, { recreate: options.recreate, lockTimeoutMs });
    // From here on writes try the lock without waiting (see write-gate.ts).
    this.db.pragma("busy_timeout = 0");
    try {
      // Whoever opens a file for writing closes what killed writers left RUNNING.
      recoverStaleIn(this.db);
    } catch {
      // Locked by another writer right now: readers still show those runs ABORTED.
    }
    this.st = prepareStatements(this.db);
    this.points = new PointBuffer(this.st, (time) => this.flushIfDue(time));
    const flushIntervalMs = options.flushIntervalMs ?? 1000;
    this.gate = new WriteGate(this.db, this.file, this.remote, lockTimeoutMs, flushIntervalMs, {
      pendingChunks: () => this.points.pendingChunks,
      dropBuffers: () => {
        this.points.drop();
        if (this.timer) clearInterval(this.timer);
        this.timer = undefined;
      },
    });
    this.rows = new EntityRows(this.st, this.gate);
    // The timer covers idle stretches (a pipeline awaiting I/O); busy loops flush from track().
    this.timer = setInterval(() => this.flushFromTimer(), flushIntervalMs);
    this.timer.unref();
    storeOpened(this);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Set once the store cannot write any more; every later call throws it. */
  get failure(): TrackingDbError | undefined {
    return this.gate.failure;
  }

  // ---- ends of the entities (rows: entity-rows.ts) -----------------------------------------

  endExperiment(uid: string, end: EndInfo): void {
    const id = this.rows.experimentId(uid)!;
    this.flush(() =>
      this.st.endExperiment.run(end.status, end.time, end.error?.message ?? null, end.error?.stack ?? null, id),
    );
    this.rows.release(uid);
  }

  endTrial(uid: string, experimentUid: string, end: EndInfo): void {
    const trial = this.rows.trialRow(uid, experimentUid)!;
    this.flush(() => this.st.endTrial.run(end.status, end.time, trial.id));
    this.rows.release(uid);
  }

  endRun(uid: string, owner: Owner, end: EndInfo): void {
    const writeCount = this.points.batchCountWriter(owner);
    this.flush(() => {
      writeCount?.();
      this.st.endRun.run(end.status, end.time, end.error?.message ?? null, end.error?.stack ?? null, owner.runId);
    });
    this.rows.release(uid);
  }

  // ---- the plan (plan-rows.ts; many runs: see experiment/plan.ts) ---------------------------

  writePlan(plan: plans.PlanRows): void {
    plans.writePlan(this, plan);
  }

  startRun(uid: string, time: number, options: { keepData?: boolean; jobId?: string | null } = {}): void {
    plans.startRun(this, uid, time, options);
  }

  resumableCheckpoint(uid: string): string | undefined {
    return plans.resumableCheckpoint(this, uid);
  }

  experimentConfig(uid: string): { config: string | null } | undefined {
    return plans.experimentConfig(this, uid);
  }

  latestExperimentOf(configDir: string): plans.LatestExperiment | undefined {
    return plans.latestExperimentOf(this, configDir);
  }

  runStatuses(experimentUid: string): { uid: string; status: string; error: string | null }[] {
    return plans.runStatuses(this, experimentUid);
  }

  requeue(uids: string[]): void {
    plans.requeue(this, uids);
  }

  startExperiment(uid: string): void {
    plans.startExperiment(this, uid);
  }

  // ---- ends written from outside the run (scheduler-rows.ts) --------------------------------

  endRunIfOpen(
    uid: string,
    status: RunStatusName,
    time: number,
    message: string | null,
  ): { status: RunStatusName; changed: boolean } | undefined {
    return scheduler.endRunIfOpen(this, uid, status, time, message);
  }

  setJobIds(jobs: readonly { uid: string; jobId: string }[]): void {
    scheduler.setJobIds(this, jobs);
  }

  handOver(experimentUid: string, executor: string): void {
    scheduler.handOver(this, experimentUid, executor);
  }

  schedulerRuns(executor: string, experimentUid?: string): scheduler.SchedulerRun[] {
    return scheduler.schedulerRuns(this, executor, experimentUid);
  }

  endRunByScheduler(
    uid: string,
    status: RunStatusName,
    time: number,
    message: string,
    options: { overAborted?: boolean } = {},
  ): boolean {
    return scheduler.endRunByScheduler(this, uid, status, time, message, options);
  }

  settle(
    experimentUid: string,
    time: number,
    options: { aborted?: boolean; error?: { message?: string; stack?: string } | null } = {},
  ): RunStatusName | undefined {
    return scheduler.settle(this, experimentUid, time, options);
  }

  // ---- a run's own rows ------------------------------------------------------------------

  startEpoch(owner: Owner, idx: number, time: number): void {
    if (owner.countedEpoch === idx && owner.epochOpen) return; // onCreate then onStart
    const writeCount =
      owner.countedEpoch !== null && owner.batchCountDirty ? this.points.batchCountWriter(owner) : undefined;
    owner.countedEpoch = idx;
    owner.batchCount = 0;
    owner.batchCountDirty = false;
    owner.epochOpen = true;
    this.gate.lifecycle(() => {
      writeCount?.();
      this.st.upsertEpoch.run(owner.runId, idx, time);
    });
  }

  endEpoch(owner: Owner, idx: number, end: EndInfo): void {
    const writeCount = owner.countedEpoch === idx ? this.points.batchCountWriter(owner) : undefined;
    this.flush(() => {
      writeCount?.();
      this.st.ensureEpoch.run(owner.runId, idx, end.time);
      this.st.endEpoch.run(end.status, end.time, owner.runId, idx);
    });
    if (owner.countedEpoch === idx) owner.epochOpen = false;
  }

  /** One batch of the owner's current epoch ended (a count, not a row). */
  countBatch(owner: Owner): void {
    this.points.countBatch(owner);
  }

  logParams(owner: Owner, params: Record<string, unknown>): void {
    const flat = flattenParams(params);
    this.gate.lifecycle(() => {
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
    this.gate.lifecycle(() =>
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

  // ---- when buffered points are written (the buffers: point-buffer.ts) ----------------------

  /** After each tracked point: flush when the timer's moment passed or too many chunks wait. */
  flushWhenDue(time: number): void {
    if (time >= this.gate.nextFlushAt || this.points.pendingChunks >= this.gate.flushAtChunks) this.flush();
  }

  /** A bound was reached: flush, unless the file is locked and the next try is not due yet. */
  private flushIfDue(now: number): void {
    if (!this.gate.isLocked || now >= this.gate.nextFlushAt) this.flush();
  }

  /**
   * Writes every buffered point, then `extra` (a lifecycle update), in one transaction: a
   * reader that sees a run ended also sees all its points.
   */
  flush(extra?: () => void): void {
    if (this.closed) return;
    this.gate.check();
    if (extra) this.gate.deferred.push(extra);
    const now = Date.now();
    this.gate.nextFlushAt = now + this.gate.flushIntervalMs;
    const beat = this.rows.createdExperiments.length > 0 && now - this.lastBeat >= HEARTBEAT_MS;
    if (!beat && this.gate.deferred.length === 0 && this.points.isEmpty) return;
    const fresh: SeriesBuffer[] = [];
    const committed = this.gate.commit(
      now,
      () => {
        this.points.write(fresh);
        this.gate.runDeferred();
        if (beat) this.st.heartbeat.run(now, JSON.stringify(this.rows.createdExperiments));
      },
      // Rolled back: series rows inserted in this transaction do not exist after all.
      () => {
        for (const s of fresh) s.id = 0;
      },
    );
    if (!committed) return;
    if (beat) this.lastBeat = now;
    this.points.committed();
  }

  private flushFromTimer(): void {
    const now = Date.now();
    if (this.closed || this.gate.failure) return;
    if (
      now < this.gate.nextFlushAt - 5 &&
      !(this.rows.createdExperiments.length > 0 && now - this.lastBeat >= HEARTBEAT_MS)
    )
      return;
    try {
      this.flush();
    } catch {
      // The store failed (gate.failure): the next track() or lifecycle call reports it.
      this.gate.failureThrown = false;
    }
  }

  // ---- shutdown ----------------------------------------------------------------------------

  /**
   * Flushes, marks what this process left RUNNING as ABORTED (a clean end would have set its
   * status), checkpoints the WAL and closes. Safe to call twice, and from the 'exit' hook.
   */
  close(): void {
    if (this.closed) return;
    try {
      if (this.gate.failure) {
        this.markFailedOnce();
        if (!this.gate.failureThrown) throw this.gate.thrown();
      } else {
        this.flush(() => abortLeftovers(this.db, this.rows, Date.now(), processFailure()));
        if (this.gate.deferred.length > 0) this.gate.flushWaiting(() => this.flush());
      }
    } finally {
      this.closed = true;
      if (this.timer) clearInterval(this.timer);
      this.timer = undefined;
      storeClosed(this);
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

  /** After a failure: one try, without waiting, to record it (a lock may be gone by now). */
  private markFailedOnce(): void {
    try {
      this.db
        .transaction(() => abortLeftovers(this.db, this.rows, Date.now(), { message: this.gate.failure!.message }))
        .immediate();
    } catch {
      // The disk is still full or the file still locked: readers see the heartbeat stop.
    }
  }
}
