import { spawn, type ChildProcess } from "node:child_process";
import * as readline from "node:readline";
import type { Readable } from "node:stream";
import { parseRunStatus, RunStatus } from "../common/enums";
import { parseRunEvent, type RunEvent } from "../events/contract";
import type { PlannedRun } from "../experiment/plan";
import type { TrialRunResult } from "../experiment/trial";
import { expmanBin } from "../cli/bin-path";
import type { FromWorker, ToWorker } from "./worker-protocol";

export interface LocalExecutorOptions {
  /** At most this many workers at once. */
  jobs: number;
  configDir: string;
  experimentUid: string;
  workspace?: string;
  /** An event a worker wrote on its events channel (ids say which run). */
  onEvent?(event: RunEvent, run: PlannedRun): void;
  /** A line the pipeline printed (its own stdout/stderr, passed through). */
  onOutput?(run: PlannedRun, stream: "stdout" | "stderr", line: string): void;
  /**
   * A worker ended without reporting its run's end (crashed, killed): record it in the store.
   * Returns the status the store holds now (the worker may have written one at its exit).
   */
  onLost?(
    run: PlannedRun,
    status: "FAILED" | "ABORTED",
    message: string,
  ): { status: string; changed: boolean } | undefined;
  onStart?(run: PlannedRun, pid: number): void;
  /** After a stop, how long a worker may take to end its run ABORTED before it is killed. */
  stopGraceMs?: number;
}

interface Worker {
  run: PlannedRun;
  child: ChildProcess;
  result?: TrialRunResult;
  killTimer?: NodeJS.Timeout;
  stopRequested: boolean;
}

/**
 * Runs planned runs in worker processes on this machine, at most `jobs` at once, in plan
 * order. Each worker is its own process (`expman worker`, no shell): one that crashes or is
 * killed takes no other down, and its run reads FAILED or ABORTED. Results come back in plan
 * order whatever order the workers finish in.
 */
export class LocalExecutor {
  private readonly active = new Map<string, Worker>();
  /** Runs waiting for a worker, and those asked to stop before they got one. */
  private queued: PlannedRun[] = [];
  private readonly cancelled = new Set<string>();
  private stopping = false;

  constructor(private readonly options: LocalExecutorOptions) {
    if (!Number.isInteger(options.jobs) || options.jobs < 1)
      throw new RangeError(`jobs must be a whole number >= 1 (got ${options.jobs}).`);
  }

  /** Runs currently executing, by run uid. */
  get activeRuns(): PlannedRun[] {
    return [...this.active.values()].map((w) => w.run);
  }

  /** Runs them all (or until stopped); `onResult` hears each run end as it happens. */
  run(runs: PlannedRun[], onResult?: (result: TrialRunResult) => void): Promise<TrialRunResult[]> {
    const queue = (this.queued = [...runs]);
    const results = new Map<number, TrialRunResult>();
    return new Promise((resolve) => {
      const pump = () => {
        while (!this.stopping && this.active.size < this.options.jobs && queue.length > 0) {
          const run = queue.shift()!;
          if (this.cancelled.has(run.uid)) {
            const message = "stopped before it started";
            this.options.onLost?.(run, "ABORTED", message);
            const result = notRun(run, RunStatus.ABORTED, message);
            results.set(run.index, result);
            onResult?.(result);
            continue;
          }
          this.start(run, (result) => {
            results.set(run.index, result);
            onResult?.(result);
            pump();
          });
        }
        if (this.active.size === 0 && (queue.length === 0 || this.stopping)) {
          resolve(runs.filter((r) => results.has(r.index)).map((r) => results.get(r.index)!));
        }
      };
      pump();
    });
  }

  /**
   * Stops one run: it ends ABORTED at its next epoch or batch (killed after the grace period);
   * a run still waiting for a worker never starts and ends ABORTED.
   */
  stopRun(runUid: string): "running" | "pending" | "unknown" {
    const worker = this.active.get(runUid);
    if (worker) {
      this.stop(worker);
      return "running";
    }
    if (!this.queued.some((r) => r.uid === runUid)) return "unknown";
    this.cancelled.add(runUid);
    return "pending";
  }

  /** stopRun by `<trial>-<repeat>` (the control channel's RunKey). */
  stopRunByKey(key: { trial: string; repeat: number }): "running" | "pending" | "unknown" {
    const match = (r: PlannedRun) => r.trial.name === key.trial && r.repeat === key.repeat;
    const run = [...this.active.values()].map((w) => w.run).find(match) ?? this.queued.find(match);
    return run ? this.stopRun(run.uid) : "unknown";
  }

  /** Starts no more runs; active ones go on (fail_fast). */
  stopStarting(): void {
    this.stopping = true;
  }

  /** Starts no more runs and stops every active one. */
  stopAll(): void {
    this.stopping = true;
    for (const worker of this.active.values()) this.stop(worker);
  }

  /** Kills every worker now (a second Ctrl-C). */
  killAll(): void {
    this.stopping = true;
    for (const worker of this.active.values()) worker.child.kill("SIGKILL");
  }

  private stop(worker: Worker): void {
    if (worker.stopRequested) return;
    worker.stopRequested = true;
    send(worker.child, { kind: "stop" });
    worker.killTimer = setTimeout(() => worker.child.kill("SIGKILL"), this.options.stopGraceMs ?? 10_000);
    worker.killTimer.unref();
  }

  private start(run: PlannedRun, done: (result: TrialRunResult) => void): void {
    const o = this.options;
    const args = [
      // `expman worker ...` with the Node that runs this process.
      expmanBin(),
      "worker",
      o.configDir,
      "--experiment",
      o.experimentUid,
      "--index",
      String(run.index),
      "--events",
      "fd:3",
    ];
    if (o.workspace) args.push("--workspace", o.workspace);
    const started = Date.now();
    const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "pipe", "pipe", "ipc"], env: process.env });
    const worker: Worker = { run, child, stopRequested: false };
    this.active.set(run.uid, worker);
    if (child.pid !== undefined) o.onStart?.(run, child.pid);
    lines(child.stdout!, (line) => o.onOutput?.(run, "stdout", line));
    lines(child.stderr!, (line) => o.onOutput?.(run, "stderr", line));
    lines(child.stdio[3] as Readable, (line) => {
      const event = parseRunEvent(line);
      if (event) o.onEvent?.(event, run);
    });
    child.on("message", (message: FromWorker) => {
      if (message?.kind === "result") worker.result = message.result;
    });
    let spawnError: Error | undefined;
    child.on("error", (error) => {
      spawnError = error;
    });
    // 'close': the process ended and its stdio (events included) is drained. Its result, sent
    // over IPC just before it exited, may still be on its way: give it a moment.
    child.on("close", (code, signal) =>
      worker.result ? closed(code, signal) : setTimeout(() => closed(code, signal), 200),
    );
    const closed = (code: number | null, signal: NodeJS.Signals | null) => {
      if (worker.killTimer) clearTimeout(worker.killTimer);
      this.active.delete(run.uid);
      let result = worker.result;
      if (!result) {
        const aborted = signal !== null || worker.stopRequested;
        const fallback = aborted ? RunStatus.ABORTED : RunStatus.FAILED;
        const message = spawnError
          ? `worker could not start: ${spawnError.message}`
          : signal
            ? `worker process ${child.pid} was killed (${signal})`
            : `worker process ${child.pid} exited with code ${code} before ending its run`;
        const lost = o.onLost?.(run, aborted ? "ABORTED" : "FAILED", message);
        const status = lost?.status === undefined ? fallback : (parseRunStatus(lost.status) ?? fallback);
        // The run had ended itself (its result message was lost): that status, no error.
        const endedItself =
          lost !== undefined && !lost.changed && status !== RunStatus.ABORTED && status !== RunStatus.FAILED;
        // Not asked for: the run was lost (an error), even when it reads ABORTED.
        const requested = worker.stopRequested || this.stopping;
        const error = endedItself ? undefined : status === RunStatus.FAILED || !requested ? { message } : undefined;
        result = { ...notRun(run, status, message), error, durationMs: Date.now() - started };
      }
      done(result);
    };
  }
}

/** The result of a run whose worker did not report one. */
function notRun(run: PlannedRun, status: RunStatus, message: string): TrialRunResult {
  return {
    index: run.index,
    uid: run.uid,
    trial: run.trial.name,
    repeat: run.repeat,
    seed: run.seed,
    status,
    error: status === RunStatus.FAILED ? { message } : undefined,
    durationMs: 0,
    workspace: "",
  };
}

function send(child: ChildProcess, message: ToWorker): void {
  if (child.connected) child.send(message, () => undefined);
}

function lines(stream: Readable, onLine: (line: string) => void): void {
  const rl = readline.createInterface({ input: stream, crlfDelay: Infinity });
  rl.on("line", onLine);
  stream.on("error", () => undefined);
}
