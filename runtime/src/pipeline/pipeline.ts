import { Level, Metric, RunStatus, isMetric } from "../common/enums";
import { toErrorInfo, type ErrorInfo } from "../common/errors";
import { attempt, sequence, then, type MaybePromise } from "../common/maybe-async";
import type { Environment } from "../env/environment";
import type { RegistryKind } from "../registry/schema";
import type { Callback } from "./callback";

/** Metrics of a run, epoch or batch: Metric keys; CUSTOM holds `[name, value]` pair(s). */
export type MetricDict = Partial<Record<Metric, unknown>>;

/**
 * Thrown to end training early; the run ends STOPPED (not FAILED). The wrappers throw it when
 * a callback asks to stop; pipelines may throw it themselves.
 */
export class StopTraining extends Error {
  constructor(message = "Stopping pipeline execution") {
    super(message);
    this.name = "StopTraining";
  }
}

/**
 * Thrown at the next epoch or batch boundary after the experiment was asked to abort (SIGINT,
 * the editor's Stop); the run ends ABORTED.
 */
/**
 * What a pipeline throws at a boundary once the experiment's signal is aborted: RunAborted
 * for a stop request (Ctrl-C), or the reason itself when the experiment failed (a tracker that
 * can no longer write, see TrackerManager.onFatalFailure), so the run ends FAILED with it.
 */
export function abortError(signal: AbortSignal): Error {
  return signal.reason instanceof Error && signal.reason.name !== "AbortError" ? signal.reason : new RunAborted();
}

export class RunAborted extends Error {
  constructor(message = "Run aborted") {
    super(message);
    this.name = "RunAborted";
  }
}

/** By name as well as class: a user module may import another copy of this package. */
function isStop(error: unknown): boolean {
  return error instanceof StopTraining || (error as Error | undefined)?.name === "StopTraining";
}
function isAbort(error: unknown): boolean {
  return error instanceof RunAborted || (error as Error | undefined)?.name === "RunAborted";
}

/** Marks an error as already logged and reported by an inner wrapper. */
const REPORTED = Symbol("expman.reported");

type Method<This, A extends unknown[], R> = (this: This, ...args: A) => R;

/**
 * Base class of pipelines. Decorate `run` with `@Pipeline.runWrapper`, the epoch method with
 * `@Pipeline.epochWrapper` and optionally the batch method with `@Pipeline.batchWrapper`; fill
 * `epochMetrics`, `batchMetrics` and `runMetrics`; the wrappers drive the lifecycle events in
 * the original's order and track those dicts.
 */
export class Pipeline {
  static readonly registryKind: RegistryKind = "pipeline";
  env: Environment;
  name: string;
  callbacks: Callback[] = [];
  runMetrics: MetricDict = {};
  epochMetrics: MetricDict = {};
  batchMetrics: MetricDict = {};
  /** How the last run ended, and why when it FAILED. Read by the trial. */
  runStatus: RunStatus = RunStatus.SKIPPED;
  runError: ErrorInfo | undefined;
  /**
   * Set when a callback asked to stop (EarlyStopping). The next `runEpoch`/`runBatch` call then
   * throws StopTraining, so training stops even if the loop ignores this flag; a loop that checks
   * it (`if (this.stopRequested) break;`) can still evaluate after training. The run ends STOPPED.
   */
  stopRequested = false;
  /**
   * Why training was stopped early, when a callback says so (MedianStop does): stored as the
   * STOPPED run's message, shown by `expman show`.
   */
  stopReason: string | undefined;

  constructor(env: Environment) {
    this.env = env;
    this.name = new.target.name;
    env.trackerManager.onCreate(Level.PIPELINE);
    env.logger.info("Pipeline initialized");
  }

  /** Built from the merged trial settings. Override to read your parameters. */
  static fromConfig(
    this: new (env: Environment) => Pipeline,
    _config: Record<string, unknown>,
    env: Environment,
  ): Pipeline {
    return new this(env);
  }

  registerCallback(callback: Callback): void {
    callback.pipeline = this;
    this.callbacks.push(callback);
    this.env.logger.info(`Registered callback: ${callback.constructor.name}`);
  }

  run(_config: Record<string, unknown>): unknown {
    throw new Error(`${this.constructor.name} does not implement run(config).`);
  }

  // ---- wrappers --------------------------------------------------------------------------

  /**
   * Wraps `run(config)`: start events and callbacks' onStart, then the body; returns the body's
   * value on success, RunStatus.STOPPED after an early stop, RunStatus.FAILED after an error
   * (recorded with its stack in `runError`; trackers still get their end events).
   */
  static runWrapper<This extends Pipeline, A extends unknown[], R>(
    target: Method<This, A, R>,
    _context?: ClassMethodDecoratorContext<This, Method<This, A, R>>,
  ): Method<This, A, R> {
    return function runWrapped(this: This, ...args: A): R {
      return this.wrapRun(() => target.apply(this, args)) as R;
    };
  }

  /**
   * Wraps `runEpoch(epochIdx, model, ...)`: one epoch's lifecycle, tracking and callbacks.
   * Returns what the epoch function returned. Metrics may be set on `this.epochMetrics` or
   * returned as a dict (`return { [Metric.VAL_LOSS]: 0.3 }`), or both: they are merged.
   */
  static epochWrapper<This extends Pipeline, A extends [number, ...unknown[]], R>(
    target: Method<This, A, R>,
    _context?: ClassMethodDecoratorContext<This, Method<This, A, R>>,
  ): Method<This, A, R> {
    return function epochWrapped(this: This, ...args: A): R {
      checkIndex("runEpoch", "epoch", args[0]);
      return this.wrapEpoch(args[0], () => target.apply(this, args)) as R;
    };
  }

  /** Wraps `runBatch(batchIdx, ...)`: as epochWrapper, for one batch (returned dict merged into batchMetrics). */
  static batchWrapper<This extends Pipeline, A extends [number, ...unknown[]], R>(
    target: Method<This, A, R>,
    _context?: ClassMethodDecoratorContext<This, Method<This, A, R>>,
  ): Method<This, A, R> {
    return function batchWrapped(this: This, ...args: A): R {
      checkIndex("runBatch", "batch", args[0]);
      return this.wrapBatch(args[0], () => target.apply(this, args)) as R;
    };
  }

  /** The original's snake_case names, for ported code. */
  static run_wrapper = Pipeline.runWrapper;
  static epoch_wrapper = Pipeline.epochWrapper;
  static batch_wrapper = Pipeline.batchWrapper;

  protected wrapRun(body: () => unknown): MaybePromise<unknown> {
    const tm = this.env.trackerManager;
    const log = this.env.logger;
    this.runStatus = RunStatus.RUNNING;
    this.runError = undefined;
    this.stopRequested = false;
    this.stopReason = undefined;
    log.info("Starting pipeline execution");

    const finish = (status: RunStatus, value: unknown, error?: unknown): MaybePromise<unknown> => {
      this.runStatus = status;
      if (status === RunStatus.ABORTED) {
        log.warning("Pipeline aborted");
        tm.onEnd(Level.PIPELINE, { status });
        return RunStatus.ABORTED;
      }
      if (status === RunStatus.FAILED) {
        this.runError = toErrorInfo(error);
        if (!(error as Record<symbol, boolean> | undefined)?.[REPORTED]) logFailure(log, "Pipeline run failed", error);
        tm.onEnd(Level.PIPELINE, { status, error: this.runError });
        return RunStatus.FAILED;
      }
      log.info(
        status === RunStatus.STOPPED
          ? "Pipeline completed early via early stopping"
          : "Pipeline run completed successfully",
      );
      return attempt(
        () => then(this.onRunEnd(status), () => (status === RunStatus.STOPPED ? RunStatus.STOPPED : value)),
        (endError) => finish(RunStatus.FAILED, undefined, endError),
      );
    };

    return attempt(
      () =>
        then(this.onRunStart(), () =>
          then(body(), (value) => {
            if (value === RunStatus.FAILED)
              return finish(RunStatus.FAILED, value, new Error("run() returned RunStatus.FAILED"));
            if (value === RunStatus.STOPPED || this.stopRequested) return finish(RunStatus.STOPPED, value);
            return finish(RunStatus.SUCCESS, value);
          }),
        ),
      (error) => {
        if (isAbort(error)) return finish(RunStatus.ABORTED, undefined, error);
        if (isStop(error)) {
          log.info(`Pipeline completed early: ${(error as Error).message}`);
          return finish(RunStatus.STOPPED, RunStatus.STOPPED);
        }
        return finish(RunStatus.FAILED, undefined, error);
      },
    );
  }

  private onRunStart(): MaybePromise<unknown> {
    this.env.trackerManager.onStart(Level.PIPELINE);
    return sequence(this.callbacks, (cb) => cb.onStart());
  }

  private onRunEnd(status: RunStatus): MaybePromise<unknown> {
    const tm = this.env.trackerManager;
    if (Object.keys(this.runMetrics).length > 0) tm.trackDict(this.runMetrics);
    tm.onEnd(Level.PIPELINE, { status });
    return sequence(this.callbacks, (cb) => cb.onEnd(this.runMetrics));
  }

  protected wrapEpoch(epochIdx: number, body: () => unknown): MaybePromise<unknown> {
    const tm = this.env.trackerManager;
    if (this.env.abortSignal?.aborted) throw abortError(this.env.abortSignal);
    if (this.stopRequested) throw new StopTraining("Training was stopped by a callback");
    tm.onCreate(Level.EPOCH, { epochId: epochIdx });
    tm.onStart(Level.EPOCH, { epochId: epochIdx });

    let ended = false;
    const end = (status: RunStatus, propagateStop: boolean, value: unknown = status): MaybePromise<unknown> => {
      ended = true;
      tm.onEnd(Level.EPOCH, { epochId: epochIdx, status });
      const metrics = this.epochMetrics;
      return then(
        callbacksWantStop(this.callbacks, (cb) => cb.onEpochEnd(epochIdx, metrics)),
        (stop) => {
          // The original's bug fix (cf56a47): a key set in epoch N must not leak into epoch N+1.
          this.epochMetrics = {};
          if (stop) {
            this.env.logger.info("Stopping pipeline execution");
            this.stopRequested = true;
          }
          if (propagateStop) throw new StopTraining("Stopping pipeline execution");
          return value;
        },
      );
    };

    return attempt(
      () =>
        then(body(), (value) => {
          // The original's epoch_wrapper returns what the epoch function returned, and a returned
          // metrics dict is what trackers and callbacks see: merge it over this.epochMetrics.
          if (isMetricDict(value)) this.epochMetrics = { ...this.epochMetrics, ...value };
          tm.trackDict(this.epochMetrics, epochIdx);
          return end(isRunStatus(value) ? value : RunStatus.SUCCESS, false, value);
        }),
      (error) => {
        // Thrown after the epoch's end events (a stop request, a failing callback): pass it up.
        if (ended) throw error;
        if (isAbort(error)) {
          tm.onEnd(Level.EPOCH, { epochId: epochIdx, status: RunStatus.ABORTED });
          this.epochMetrics = {};
          throw error;
        }
        if (isStop(error)) return end(RunStatus.STOPPED, true);
        // An error ends the epoch FAILED and then the run (docs/architecture.md); callbacks are skipped.
        logFailure(this.env.logger, `Epoch ${epochIdx} failed`, error);
        markReported(error);
        tm.onEnd(Level.EPOCH, { epochId: epochIdx, status: RunStatus.FAILED, error: toErrorInfo(error) });
        this.epochMetrics = {};
        throw error;
      },
    );
  }

  protected wrapBatch(batchIdx: number, body: () => unknown): MaybePromise<unknown> {
    const tm = this.env.trackerManager;
    if (this.env.abortSignal?.aborted) throw abortError(this.env.abortSignal);
    if (this.stopRequested) throw new StopTraining("Training was stopped by a callback");
    tm.onCreate(Level.BATCH, { batchId: batchIdx });
    tm.onStart(Level.BATCH, { batchId: batchIdx });
    let ended = false;
    return attempt(
      () =>
        then(body(), (status) => {
          if (isMetricDict(status)) this.batchMetrics = { ...this.batchMetrics, ...status };
          tm.trackDict(this.batchMetrics);
          ended = true;
          tm.onEnd(Level.BATCH, { batchId: batchIdx, status: isRunStatus(status) ? status : RunStatus.SUCCESS });
          const metrics = this.batchMetrics;
          return then(
            callbacksWantStop(this.callbacks, (cb) => cb.onBatchEnd(batchIdx, metrics)),
            (stop) => {
              this.batchMetrics = {};
              if (stop) {
                this.env.logger.info("Stopping pipeline execution at batch level");
                this.stopRequested = true;
              }
              return status;
            },
          );
        }),
      (error) => {
        if (ended) throw error;
        if (isStop(error) || isAbort(error)) {
          // Stop or abort inside a batch: end the batch, then pass it up.
          tm.onEnd(Level.BATCH, { batchId: batchIdx, status: isAbort(error) ? RunStatus.ABORTED : RunStatus.STOPPED });
          this.batchMetrics = {};
          throw error;
        }
        logFailure(this.env.logger, `Batch ${batchIdx} failed`, error);
        markReported(error);
        tm.onEnd(Level.BATCH, { batchId: batchIdx, status: RunStatus.FAILED, error: toErrorInfo(error) });
        this.batchMetrics = {};
        throw error;
      },
    );
  }
}

/** The wrapped methods take their index first: say so plainly instead of failing deep down. */
function checkIndex(method: string, what: string, value: unknown): void {
  if (!Number.isInteger(value) || (value as number) < 0) {
    throw new TypeError(
      `A method decorated with @Pipeline.${what}Wrapper takes the ${what} index (an integer >= 0) as its first argument, like ${method}(${what}Idx, ...); got ${typeof value === "object" ? (JSON.stringify(value)?.slice(0, 60) ?? String(value)) : String(value)}.`,
    );
  }
}

/** Calls every callback (none is skipped), in order; true when any asked to stop. */
function callbacksWantStop(
  callbacks: Callback[],
  call: (cb: Callback) => MaybePromise<boolean | void>,
): MaybePromise<boolean> {
  return then(sequence(callbacks, call), (results) => results.some((r) => r === true));
}

/** A plain object whose keys are all Metric names: what an epoch or batch function may return. */
function isMetricDict(value: unknown): value is MetricDict {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return false;
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every(isMetric);
}

function isRunStatus(value: unknown): value is RunStatus {
  return typeof value === "number" && RunStatus[value] !== undefined;
}

function markReported(error: unknown): void {
  if (typeof error === "object" && error !== null) {
    try {
      (error as Record<symbol, boolean>)[REPORTED] = true;
    } catch {
      /* frozen error objects stay unmarked: they may be logged twice */
    }
  }
}

/** The original's detailed failure log: message, where (file, line), type and stack. */
function logFailure(log: Environment["logger"], what: string, error: unknown): void {
  const info = toErrorInfo(error);
  log.error(`${what}: ${info.message}`);
  const frame = info.stack?.split("\n").find((l) => /^\s+at /.test(l));
  if (frame) log.error(`Exception in ${frame.trim().replace(/^at /, "")}`);
  log.error(`Exception type: ${info.name ?? typeof error}`);
  if (info.stack) log.debug(info.stack);
}
