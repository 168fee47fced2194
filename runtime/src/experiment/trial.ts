import { CONFIG_FILE_OF_ROLE, Level, RunStatus } from "../common/enums";
import { toErrorInfo, type ErrorInfo } from "../common/errors";
import type { Environment } from "../env/environment";
import type { Callback } from "../pipeline/callback";
import type { Pipeline } from "../pipeline/pipeline";
import { getRegistry } from "../registry/registry";
import type { RunStops } from "./run-stops";

export interface TrialSpec {
  name: string;
  repeat: number;
  settings: Record<string, any>;
  args?: Record<string, unknown>;
  plannedRuns: number;
  firstRunIndex: number;
  /** Per-run stop requests (the editor's Stop Run); without it a run stops only with the experiment. */
  stops?: RunStops;
}

export interface TrialRunResult {
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
 * One trial: its environment `<ws>/<name>` and `repeat` runs `<ws>/<name>/<name>-<i>`, each
 * with a fresh pipeline built from the merged settings and seeded `settings.seed + i`.
 */
export class Trial {
  readonly env: Environment;

  constructor(parent: Environment, readonly spec: TrialSpec) {
    this.env = parent.createChild(spec.name, { args: spec.args, level: Level.TRIAL });
    this.env.trackerManager.onCreate(Level.TRIAL, { name: spec.name });
    this.env.logger.info(`Trial '${spec.name}' created`);
    this.env.saveConfig(CONFIG_FILE_OF_ROLE.experiment, spec.settings);
  }

  async *runAll(aborted: () => boolean): AsyncGenerator<TrialRunResult> {
    const tm = this.env.trackerManager;
    const { name, repeat } = this.spec;
    this.env.logger.info(`Running trial '${name}'`);
    tm.onStart(Level.TRIAL, { name });
    const statuses: RunStatus[] = [];
    try {
      for (let i = 0; i < repeat; i++) {
        if (aborted()) break;
        this.env.logger.info(`Trial '${name}' repeat ${i}`);
        const result = await this.runSingle(i);
        statuses.push(result.status);
        yield result;
      }
    } finally {
      const status = statuses.includes(RunStatus.FAILED) ? RunStatus.FAILED : aborted() ? RunStatus.ABORTED : RunStatus.SUCCESS;
      tm.onEnd(Level.TRIAL, { status });
      await tm.flush();
      this.env.close();
    }
  }

  private async runSingle(i: number): Promise<TrialRunResult> {
    const { name, settings } = this.spec;
    const seed = (Number.isInteger(settings.seed) ? Number(settings.seed) : 0) + i;
    const runKey = { trial: name, repeat: i };
    const abortSignal = this.spec.stops?.begin(runKey);
    const runEnv = this.env.createChild(`${name}-${i}`, { level: Level.TRIAL_RUN, seed, abortSignal });
    const tm = runEnv.trackerManager;
    const epochs = settings.pipeline?.epochs;
    const info = {
      repeat: i,
      seed,
      repeats: this.spec.repeat,
      runIndex: this.spec.firstRunIndex + i,
      plannedRuns: this.spec.plannedRuns,
      epochs: typeof epochs === "number" ? epochs : undefined,
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
      returned = await pipeline.run(settings);
      // A run() without @Pipeline.runWrapper leaves runStatus untouched: it simply succeeded.
      status = pipeline.runStatus === RunStatus.SKIPPED || pipeline.runStatus === RunStatus.RUNNING ? RunStatus.SUCCESS : pipeline.runStatus;
      error = pipeline.runError;
    } catch (e) {
      status = (e as Error)?.name === "RunAborted" ? RunStatus.ABORTED : RunStatus.FAILED;
      error = status === RunStatus.FAILED ? toErrorInfo(e) : undefined;
      if (error) runEnv.logger.error(`Error running trial: ${error.message}\n${error.stack ?? ""}`);
    }
    if (status === RunStatus.ABORTED && this.spec.stops?.stoppedAlone(abortSignal)) runEnv.logger.warning(`Run '${name}-${i}' was stopped on request; the experiment goes on`);
    this.spec.stops?.end(runKey);
    tm.onEnd(Level.TRIAL_RUN, { status, error, repeat: i });
    await tm.flush();
    runEnv.close();
    return { trial: name, repeat: i, seed, status, error, durationMs: Date.now() - started, workspace: runEnv.workspace, returned };
  }

  private createPipeline(env: Environment): Pipeline {
    const settings = this.spec.settings;
    const registry = getRegistry();
    const type = String(settings.pipeline?.type);
    const cls = registry.get("pipeline", type) as unknown as PipelineClass;
    const pipeline = cls.fromConfig(settings, env);
    const callbacks = Array.isArray(settings.pipeline?.callbacks) ? settings.pipeline.callbacks : [];
    if (callbacks.length === 0) env.logger.info("No callbacks found in configuration");
    for (const entry of callbacks as Record<string, unknown>[]) {
      const cbCls = registry.get("callback", String(entry.type)) as unknown as CallbackClass;
      const { type: _type, ...options } = entry;
      pipeline.registerCallback(cbCls.fromConfig(options, env));
    }
    return pipeline;
  }
}
