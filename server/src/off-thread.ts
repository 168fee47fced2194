/**
 * Validation in a worker thread (validation-worker.ts), for config sets too large to check on
 * the main thread within the server's answer budget (issue 13.5): while the worker checks a
 * huge document, the main thread keeps answering completion, hover and the rest. One worker,
 * one job at a time, started by the first large set (not at initialize: its warm-up would
 * compete with the first diagnostics of a fresh server for the CPU); it warms itself up. A worker that dies is started
 * again on the next job; after three deaths the caller validates on the main thread.
 */
import * as fs from "node:fs";
import { Worker } from "node:worker_threads";
import type { ConfigDiagnostic, ConfigFileSet, RegistryDescription } from "@expman/runtime/contracts";

/** Main thread -> worker. */
export type ToWorker =
  | {
      kind: "validate";
      id: number;
      files: ConfigFileSet;
      /** Files open in the editor (they exist, saved or not). */
      openPaths: string[];
      /** Sent when it changed since the last job (the worker keeps the last one). */
      registry?: RegistryDescription;
      /** One Int32 the main thread sets to 1 to stop this job (read between trials). */
      cancel: SharedArrayBuffer;
    }
  | { kind: "forget"; path: string };

/** Worker -> main thread: `ready` once warmed up, then one answer per job. */
export type FromWorker =
  | { id: number; ready: true }
  | { id: number; started: true }
  | { id: number; diagnostics: ConfigDiagnostic[] }
  | { id: number; cancelled: string }
  | { id: number; error: string };

/** What the caller can do with a job under way. */
export interface OffloadJob {
  signal?: AbortSignal;
  onStarted?: () => void;
}

/** A job's answer: the set's problems, or where it stopped once cancelled. */
export type OffloadAnswer = { diagnostics: ConfigDiagnostic[] } | { cancelled: string };

/** Where validation runs when it leaves the main thread (the workspace's view of it). */
export interface ValidationOffload {
  /** Starts the worker ahead of the first job (it warms up meanwhile). */
  start(registry: RegistryDescription): void;
  /** False once the worker cannot be used (missing script, died three times). */
  readonly usable: boolean;
  /**
   * Validates a set; `job.signal` aborted (a newer version of a text arrived) stops the job at
   * its next trial, and the answer then says where it stopped. `job.onStarted` is called when
   * the worker begins it (jobs wait in line behind the one it is doing).
   */
  validate(
    files: ConfigFileSet,
    openPaths: string[],
    registry: RegistryDescription,
    job?: OffloadJob,
  ): Promise<OffloadAnswer>;
  forget(path: string): void;
}

const MAX_DEATHS = 3;

export class WorkerValidation implements ValidationOffload {
  private worker: Worker | undefined;
  private sentRegistry: RegistryDescription | undefined;
  private readonly pending = new Map<
    number,
    { resolve: (answer: OffloadAnswer) => void; reject: (e: Error) => void; onStarted?: () => void }
  >();
  private nextId = 1;
  private deaths = 0;

  constructor(
    private readonly script: string,
    private readonly log: (message: string) => void,
  ) {}

  get usable(): boolean {
    return this.deaths < MAX_DEATHS && fs.existsSync(this.script);
  }

  start(registry: RegistryDescription): void {
    if (this.worker || !this.usable) return;
    const worker = new Worker(this.script, { workerData: { registry } });
    this.sentRegistry = registry;
    // The server ends on the protocol's `exit`; an idle worker must not keep it alive.
    worker.unref();
    worker.on("message", (message: FromWorker) => {
      if ("ready" in message) return;
      if ("started" in message) {
        this.pending.get(message.id)?.onStarted?.();
        return;
      }
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!waiter) return;
      if ("error" in message) waiter.reject(new Error(message.error));
      else if ("cancelled" in message) waiter.resolve({ cancelled: message.cancelled });
      else waiter.resolve({ diagnostics: message.diagnostics });
    });
    worker.on("error", (err) => this.log(`[expman] validation worker failed: ${err?.stack ?? String(err)}`));
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.sentRegistry = undefined;
      this.deaths++;
      this.log(
        `[expman] validation worker exited (code ${code}); ${this.usable ? "restarting on the next job" : "validating on the main thread from now on"}`,
      );
      const waiting = [...this.pending.values()];
      this.pending.clear();
      for (const w of waiting) w.reject(new Error(`the validation worker exited (code ${code})`));
    });
    this.worker = worker;
  }

  validate(
    files: ConfigFileSet,
    openPaths: string[],
    registry: RegistryDescription,
    job: OffloadJob = {},
  ): Promise<OffloadAnswer> {
    const { signal, onStarted } = job;
    this.start(registry);
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error("the validation worker cannot start"));
    const id = this.nextId++;
    // Shared memory, not a message: the worker is busy in this very job and reads no messages
    // until it ends, but it reads this flag between trials.
    const cancel = new SharedArrayBuffer(4);
    const stop = () => Atomics.store(new Int32Array(cancel), 0, 1);
    if (signal?.aborted) stop();
    else signal?.addEventListener("abort", stop, { once: true });
    const message: ToWorker = {
      kind: "validate",
      id,
      files,
      openPaths,
      registry: registry === this.sentRegistry ? undefined : registry,
      cancel,
    };
    this.sentRegistry = registry;
    return new Promise<OffloadAnswer>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onStarted });
      worker.postMessage(message);
    }).finally(() => signal?.removeEventListener("abort", stop));
  }

  forget(path: string): void {
    this.worker?.postMessage({ kind: "forget", path } satisfies ToWorker);
  }

  dispose(): void {
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
  }
}
