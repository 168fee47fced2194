import { CONFIG_FILE_OF_ROLE, Level, RunStatus } from "../common/enums";
import { toErrorInfo, type ErrorInfo } from "../common/errors";
import type { Environment } from "../env/environment";
import type { Callback } from "../pipeline/callback";
import type { Pipeline } from "../pipeline/pipeline";
import { isPlainObject } from "../config/merge";
import { getRegistry } from "../registry/registry";
import type { RunStops } from "./run-stops";
import type { PlannedRun, PlannedTrial } from "./plan";

export interface TrialSpec {
  trial: PlannedTrial;
  /** The runs of this trial to execute here, in plan order (all of them, or a selection). */
  runs: PlannedRun[];
  plannedRuns: number;
  /** Per-run stop requests (the editor's Stop Run); without it a run stops only with the experiment. */
  stops?: RunStops;
  /** Per run: continue from this checkpoint (resume) instead of starting over. */
  resumeFrom?: Map<number, string>;
}

export interface TrialRunResult {
  /** Position in the experiment's plan, and the run's id in the store. */
  index: number;
  uid: string;
  trial: string;
  repeat: number;
  seed: number;
  status: RunStatus;
  error?: ErrorInfo;
  durationMs: number;
  workspace: string;
  /** What `run()` returned on success (the user's value). */
  returned?: unknown;
}

type PipelineClass = { fromConfig(config: Record<string, unknown>, env: Environment): Pipeline };
type CallbackClass = { fromConfig(config: Record<string, unknown>, env: Environment): Callback };

/**
 * One trial: its environment `<ws>/<name>` and its planned runs `<ws>/<name>/<name>-<i>`, each
 * with a fresh pipeline built from the merged settings and seeded `settings.seed + i`. A
 * process may execute all of a trial's runs or only some (a worker executes one).
 */
export class Trial {
  readonly env: Environment;

  constructor(
    parent: Environment,
    readonly spec: TrialSpec,
  ) {
    const { name, args, uid, settings } = spec.trial;
    this.env = parent.createChild(name, { args, level: Level.TRIAL });
    this.env.trackerManager.onCreate(Level.TRIAL, { name, uid });
    this.env.logger.info(`Trial '${name}' created`);
    this.env.saveConfig(CONFIG_FILE_OF_ROLE.experiment, settings);
  }

  async *runAll(aborted: () => boolean): AsyncGenerator<TrialRunResult> {
    const tm = this.env.trackerManager;
    const { name } = this.spec.trial;
    this.env.logger.info(`Running trial '${name}'`);
    tm.onStart(Level.TRIAL, { name });
    const statuses: RunStatus[] = [];
    try {
      for (const run of this.spec.runs) {
        if (aborted()) break;
        this.env.logger.info(`Trial '${name}' repeat ${run.repeat}`);
        const result = await this.runSingle(run);
        statuses.push(result.status);
        yield result;
      }
    } finally {
      const status = statuses.includes(RunStatus.FAILED)
        ? RunStatus.FAILED
        : aborted()
          ? RunStatus.ABORTED
          : RunStatus.SUCCESS;
      // The store settles the trial from all its runs (a worker runs only some of them).
      tm.onEnd(Level.TRIAL, { status, settle: true });
      await tm.flush();
      this.env.close();
    }
  }

  private async runSingle(run: PlannedRun): Promise<TrialRunResult> {
    const { name, settings } = this.spec.trial;
    const { repeat: i, seed } = run;
    const runKey = { trial: name, repeat: i };
    const abortSignal = this.spec.stops?.begin(runKey);
    const runEnv = this.env.createChild(`${name}-${i}`, { level: Level.TRIAL_RUN, seed, abortSignal });
    const tm = runEnv.trackerManager;
    const epochs = isPlainObject(settings.pipeline) ? settings.pipeline.epochs : undefined;
    const resumeFrom = this.spec.resumeFrom?.get(run.index);
    const info = {
      uid: run.uid,
      repeat: i,
      seed,
      repeats: this.spec.trial.repeats,
      runIndex: run.index,
      plannedRuns: this.spec.plannedRuns,
      epochs: typeof epochs === "number" ? epochs : undefined,
      resumeFrom,
    };
    const started = Date.now();
    tm.onCreate(Level.TRIAL_RUN, info);
    tm.onStart(Level.TRIAL_RUN, info);
    runEnv.logger.info(`Trial Run '${name}' (repeat: ${i}) running single`);
    let status: RunStatus = RunStatus.FAILED;
    let error: ErrorInfo | undefined;
    let returned: unknown;
    try {
      const pipeline = this.createPipeline(runEnv);
      if (resumeFrom !== undefined) await resumePipeline(pipeline, resumeFrom, runEnv);
      returned = await pipeline.run(settings);
      // A run() without @Pipeline.runWrapper leaves runStatus untouched: it simply succeeded.
      status =
        pipeline.runStatus === RunStatus.SKIPPED || pipeline.runStatus === RunStatus.RUNNING
          ? RunStatus.SUCCESS
          : pipeline.runStatus;
      error = pipeline.runError;
      // A callback's reason for an early stop is kept where a failure's message goes.
      if (status === RunStatus.STOPPED && !error && pipeline.stopReason) error = { message: pipeline.stopReason };
    } catch (e) {
      status = (e as Error)?.name === "RunAborted" ? RunStatus.ABORTED : RunStatus.FAILED;
      error = status === RunStatus.FAILED ? toErrorInfo(e) : undefined;
      if (error) runEnv.logger.error(`Error running trial: ${error.message}\n${error.stack ?? ""}`);
    }
    if (status === RunStatus.ABORTED && this.spec.stops?.stoppedAlone(abortSignal))
      runEnv.logger.warning(`Run '${name}-${i}' was stopped on request; the experiment goes on`);
    this.spec.stops?.end(runKey);
    tm.onEnd(Level.TRIAL_RUN, { status, error, repeat: i });
    await tm.flush();
    runEnv.close();
    return {
      index: run.index,
      uid: run.uid,
      trial: name,
      repeat: i,
      seed,
      status,
      error,
      durationMs: Date.now() - started,
      workspace: runEnv.workspace,
      returned,
    };
  }

  private createPipeline(env: Environment): Pipeline {
    const settings = this.spec.trial.settings;
    const registry = getRegistry();
    const pipelineSettings = isPlainObject(settings.pipeline) ? settings.pipeline : {};
    const type = String(pipelineSettings.type);
    const cls = registry.get("pipeline", type) as unknown as PipelineClass;
    const pipeline = cls.fromConfig(settings, env);
    const callbacks = Array.isArray(pipelineSettings.callbacks) ? pipelineSettings.callbacks : [];
    if (callbacks.length === 0) env.logger.info("No callbacks found in configuration");
    for (const entry of callbacks as Record<string, unknown>[]) {
      const cbCls = registry.get("callback", String(entry.type)) as unknown as CallbackClass;
      const { type: _type, ...options } = entry;
      pipeline.registerCallback(cbCls.fromConfig(options, env));
    }
    return pipeline;
  }
}

/**
 * Resume: a pipeline that implements `resume(checkpointPath)` loads its last checkpoint before
 * `run()` and continues from there (it decides which epoch that is). One that does not starts
 * over, and the log says so.
 */
async function resumePipeline(pipeline: Pipeline, checkpoint: string, env: Environment): Promise<void> {
  const resume = (pipeline as unknown as { resume?: (path: string) => unknown }).resume;
  if (typeof resume !== "function") {
    env.logger.info(
      `Pipeline ${pipeline.constructor.name} has no resume(checkpointPath): the run starts over from epoch 0.`,
    );
    return;
  }
  env.logger.info(`Resuming from checkpoint ${checkpoint}`);
  await resume.call(pipeline, checkpoint);
}
