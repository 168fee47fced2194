import { sleepSync } from "../pg/sync-bridge";
import type { TrackingDbError } from "./errors";
import type { SqlDb } from "./sql";
import { isBusy, lockFailure, writeFailure } from "./write-failure";

/**
 * When the writer's writes run: at once, later (queued behind another process's lock), or
 * never again (the store failed). Kept apart from what is written so the policy reads in one
 * place:
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
export const MAX_PENDING_CHUNKS = 256;
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

/** What the gate needs from the store it guards. */
export interface GateHooks {
  /** Full chunks waiting in the buffers (bounded while locked). */
  pendingChunks(): number;
  /** The store failed: let go of everything buffered and stop the timer. */
  dropBuffers(): void;
}

export class WriteGate {
  /** Set once the store cannot write any more; every later call throws it. */
  failure: TrackingDbError | undefined;
  /** Whether a caller has seen the failure (else close() reports it). */
  failureThrown = false;
  /** Lifecycle updates waiting for the lock, run in order by the next flush. */
  deferred: (() => void)[] = [];
  /** Wall time (ms) at which track() flushes by itself. */
  nextFlushAt: number;
  /** track() flushes when this many full chunks wait (raised while the file is locked). */
  flushAtChunks = MAX_PENDING_CHUNKS;
  /** When the current stretch of finding the file locked began. */
  private lockedSince: number | undefined;
  /** Consecutive failed attempts while the store is unavailable (backoff). */
  private retries = 0;

  constructor(
    private readonly db: SqlDb,
    /** The SQLite file, or the PostgreSQL URL with its password masked (for messages). */
    private readonly file: string,
    /** A PostgreSQL store: a lost connection is retried with backoff rather than a fixed delay. */
    private readonly remote: boolean,
    readonly lockTimeoutMs: number,
    readonly flushIntervalMs: number,
    private readonly hooks: GateHooks,
  ) {
    this.nextFlushAt = Date.now() + flushIntervalMs;
  }

  get isLocked(): boolean {
    return this.lockedSince !== undefined;
  }

  /** Throws the store's failure, if it failed. */
  check(): void {
    if (this.failure) throw this.thrown();
  }

  /**
   * Runs one flush's transaction (`body` also runs the deferred updates, see runDeferred).
   * Returns false when another process held the lock: the flush is retried later. On a
   * rollback `rolledBack` undoes what the body assumed was written.
   */
  commit(now: number, body: () => void, rolledBack: () => void): boolean {
    try {
      this.db.transaction(body).immediate();
    } catch (error) {
      rolledBack();
      if (isBusy(error)) {
        this.locked(now);
        return false;
      }
      throw this.fail(error);
    }
    this.lockedSince = undefined;
    this.retries = 0;
    this.flushAtChunks = MAX_PENDING_CHUNKS;
    this.deferred = [];
    return true;
  }

  /** Inside a flush's transaction: the lifecycle updates that waited, in order. */
  runDeferred(): void {
    for (const op of this.deferred) op();
  }

  /**
   * A lifecycle update (epoch start, params, artifacts): written at once when the lock is
   * free, else queued behind the updates already waiting and written by the next flush.
   */
  lifecycle(op: () => void): void {
    this.check();
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
    const pending = this.hooks.pendingChunks();
    if (pending >= MAX_LOCKED_CHUNKS) {
      throw this.fail(
        lockFailure(this.file, waited, ` and ${pending} chunks of points wait in memory, the most this writer keeps`),
      );
    }
    this.nextFlushAt = now + this.retryDelay();
    this.flushAtChunks = pending + MAX_PENDING_CHUNKS;
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
  waiting<T>(write: () => T): T {
    this.check();
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

  /** Closing while the lock is still held: wait for it (up to the deadline) rather than lose the end. */
  flushWaiting(flush: () => void): void {
    this.db.pragma(`busy_timeout = ${this.lockTimeoutMs}`);
    try {
      flush();
      if (this.deferred.length > 0) throw this.fail(lockFailure(this.file, this.lockTimeoutMs, " while closing"));
    } finally {
      if (this.db.open) this.db.pragma("busy_timeout = 0");
    }
  }

  /**
   * The store cannot write any more: keep the error, let go of everything buffered (nothing
   * can be written, and keeping it would grow without bound), stop the timer.
   */
  fail(error: unknown): TrackingDbError {
    if (this.failure) return this.thrown();
    this.failure = writeFailure(this.file, error);
    this.deferred = [];
    this.hooks.dropBuffers();
    return this.thrown();
  }

  thrown(): TrackingDbError {
    this.failureThrown = true;
    return this.failure!;
  }
}
