import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE_OF_ROLE, Level, RunStatus, type ConfigRole } from "../common/enums";
import { ConfigError, toErrorInfo, type ErrorInfo } from "../common/errors";
import { registerBuiltins } from "../builtins/register-builtins";
import { readConfigTexts, parseConfigTexts, type ConfigSources } from "../config/load";
import { deepMergeConfigs, isPlainObject } from "../config/merge";
import { formatConfigDiagnostic, validateConfigSet, type ConfigDiagnostic } from "../config/validate";
import { Environment } from "../env/environment";
import { getRegistry } from "../registry/registry";
import type { TrackerLike } from "../tracking/types";
import { loadImports } from "./imports";
import type { RunKey } from "../events/control";
import { RunStops } from "./run-stops";
import { Trial, type TrialRunResult } from "./trial";

export interface ExperimentOptions {
  /** Overrides env.yaml's `workspace`. */
  workspace?: string;
  /** Extra trackers (the events channel, the CLI's progress reporter), after env.yaml's. */
  extraTrackers?: TrackerLike[];
  /** Stop at the first failed run (also `fail_fast: true` in env.yaml). */
  failFast?: boolean;
  /** Run only the trials of these names (`expman run --only`); every name must exist. */
  only?: readonly string[];
}

export interface ExperimentResult {
  title: string;
  workspace: string;
  status: RunStatus;
  runs: TrialRunResult[];
  durationMs: number;
  trackerFailures: string[];
  /** Why the experiment failed as a whole (not a run's own error): a tracker, a crash. */
  error?: ErrorInfo;
}

/** Thrown when a config folder has errors; carries every diagnostic for printing. */
export class ConfigValidationError extends Error {
  constructor(readonly diagnostics: ConfigDiagnostic[]) {
    super(diagnostics.map(formatConfigDiagnostic).join("\n"));
    this.name = "ConfigValidationError";
  }
}

/**
 * Checks a config folder without running anything but its `imports:` (which register the
 * pipeline types the configs name). Returns every diagnostic; errors mean the folder cannot run.
 */
export async function validateConfigDir(configDir: string): Promise<{ diagnostics: ConfigDiagnostic[]; sources?: ConfigSources }> {
  registerBuiltins();
  const texts = readConfigTexts(configDir);
  // First pass before loading user modules: files that cannot be parsed are reported as they
  // are (with positions), and imports are only read from a sane env.yaml.
  const fileExists = (p: string) => fs.existsSync(p);
  const first = validateConfigSet(texts, getRegistry().describe(), { fileExists });
  const unreadable = first.filter(
    (d) =>
      d.code === "alias-limit" ||
      (d.severity === "error" &&
        (d.code === "yaml-syntax" || d.code === "file-too-large" || d.code === "missing-import" || (d.role === "env" && d.code === "not-a-mapping"))),
  );
  if (unreadable.length > 0) return { diagnostics: unreadable };
  const sources = parseConfigTexts(texts);
  const env = sources.env.value as Record<string, unknown>;
  try {
    await loadImports(sources.env.path, env?.imports, (i) => importLocation(sources.env.text, i));
  } catch (error) {
    if (error instanceof ConfigError) {
      return { diagnostics: [configErrorToDiagnostic("env", error)] };
    }
    throw error;
  }
  const diagnostics = validateConfigSet(texts, getRegistry().describe(), { fileExists });
  return { diagnostics, sources };
}

function configErrorToDiagnostic(role: ConfigRole, error: ConfigError): ConfigDiagnostic {
  const pos = { line: error.location.line - 1, character: error.location.column - 1 };
  return { role, path: error.location.file, severity: "error", code: "missing-import", message: error.message.replace(/^.*?:\d+:\d+: /, ""), range: { start: pos, end: pos } };
}

/** 1-based line/column of the i-th `imports:` entry in env.yaml's text (best effort). */
function importLocation(text: string, index: number): { line: number; column: number } {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^imports\s*:/.test(l));
  if (start < 0) return { line: 1, column: 1 };
  let seen = -1;
  for (let i = start + 1; i < lines.length; i++) {
    const m = /^(\s*)-\s*/.exec(lines[i]);
    if (m) {
      seen++;
      if (seen === index) return { line: i + 1, column: m[0].length + 1 };
    } else if (/^\S/.test(lines[i])) break;
  }
  return { line: start + 1, column: 1 };
}

/**
 * An experiment: the four config files, the root environment and its trackers, and the loop
 * over trials and their repeats, with the original's event order (inventory section 5.1).
 */
export class Experiment {
  /** Warnings of the config check (the run goes on; `expman run` prints them). */
  configWarnings: ConfigDiagnostic[] = [];
  readonly env: Environment;
  readonly title: string;
  readonly description: string;
  private readonly abortController = new AbortController();
  private readonly runStops = new RunStops(this.abortController.signal);
  private readonly failFast: boolean;
  private readonly only: ReadonlySet<string> | undefined;
  /** A fatal tracker error (a store that cannot write): the experiment stops, FAILED. */
  private failure: Error | undefined;

  private constructor(
    readonly configDir: string,
    readonly sources: ConfigSources,
    options: ExperimentOptions,
  ) {
    const envConfig = sources.env.value as Record<string, unknown>;
    const experiment = sources.experiment.value as Record<string, unknown>;
    this.title = String(experiment.name);
    this.description = String(experiment.desc ?? "");
    this.failFast = options.failFast ?? envConfig.fail_fast === true;
    this.only = options.only?.length ? new Set(options.only) : undefined;
    this.env = Environment.fromConfig(envConfig, {
      configDir,
      workspace: options.workspace ? path.resolve(options.workspace) : undefined,
      abortSignal: this.abortController.signal,
    });
    for (const tracker of options.extraTrackers ?? []) this.env.trackerManager.addTracker(tracker);
    // The current run fails at its next epoch or batch with the tracker's error; no more runs.
    this.env.trackerManager.onFatalFailure((error) => {
      this.failure ??= error;
      this.abortController.abort(error);
    });
    const log = this.env.logger;
    log.info(`Creating experiment '${this.title}'`);
    log.info(`Description: ${this.description}`);
    this.env.trackerManager.onCreate(Level.EXPERIMENT, {
      name: this.title,
      description: this.description,
      configDir,
      workspace: this.env.workspace,
      plannedRuns: this.plannedRuns,
    });
    log.info("Setting up experiment configuration");
    this.env.saveConfig(CONFIG_FILE_OF_ROLE.experiment, { ...experiment, settings: sources.base.value ?? {} });
    this.env.saveConfig(CONFIG_FILE_OF_ROLE.base, sources.base.value ?? {});
    this.env.saveConfig(CONFIG_FILE_OF_ROLE.trials, sources.trials.value ?? []);
    log.info("Experiment setup complete");
  }

  /**
   * Loads and validates a config folder (loading its `imports:`), then builds the experiment.
   * Invalid configs throw ConfigValidationError with every problem, before anything is written.
   */
  static async create(configDir: string, options: ExperimentOptions = {}): Promise<Experiment> {
    const dir = path.resolve(configDir);
    const { diagnostics, sources } = await validateConfigDir(dir);
    const errors = diagnostics.filter((d) => d.severity === "error");
    if (errors.length > 0 || !sources) throw new ConfigValidationError(errors);
    if (options.only?.length) {
      const names = ((sources.trials.value as Record<string, unknown>[]) ?? []).map((t) => String(t.name));
      const unknown = options.only.filter((n) => !names.includes(n));
      if (unknown.length) {
        throw new ConfigError(
          { file: sources.trials.path, line: 1, column: 1 },
          `--only ${unknown.map((n) => `'${n}'`).join(", ")}: no trial of that name`,
          `trials here: ${names.join(", ") || "none"}`,
        );
      }
    }
    const experiment = new Experiment(dir, sources, options);
    experiment.configWarnings = diagnostics.filter((d) => d.severity === "warning");
    return experiment;
  }

  /** The trials this experiment runs (all of trials.yaml, or those named by `only`). */
  get trials(): Record<string, unknown>[] {
    const all = (this.sources.trials.value as Record<string, unknown>[]) ?? [];
    return this.only ? all.filter((t) => this.only!.has(String(t.name))) : all;
  }

  get plannedRuns(): number {
    return this.trials.reduce((n, t) => n + (Number(t.repeat) || 0), 0);
  }

  /** Ask the running experiment to stop: the current run ends ABORTED at its next epoch or batch. */
  abort(): void {
    this.abortController.abort();
  }

  /**
   * Ask one run to stop (the control channel's stop request): it ends ABORTED at its next epoch
   * or batch and the experiment goes on; a run not started yet ends ABORTED when it starts.
   */
  stopRun(run: RunKey): "running" | "pending" {
    return this.runStops.stop(run);
  }

  get aborted(): boolean {
    return this.abortController.signal.aborted;
  }

  async run(): Promise<ExperimentResult> {
    const started = Date.now();
    const tm = this.env.trackerManager;
    const base = this.sources.base.value;
    const results: TrialRunResult[] = [];
    let runIndex = 0;
    tm.onStart(Level.EXPERIMENT, { name: this.title });
    let stopAll = false;
    let experimentError: ErrorInfo | undefined;
    try {
      for (const entry of this.trials) {
        if (stopAll || this.aborted) break;
        const settings = deepMergeConfigs(base, entry.settings);
        const trial = new Trial(this.env, {
          name: String(entry.name),
          repeat: Number(entry.repeat),
          settings,
          args: isPlainObject(entry.args) ? entry.args : undefined,
          plannedRuns: this.plannedRuns,
          firstRunIndex: runIndex,
          stops: this.runStops,
        });
        for await (const result of trial.runAll(() => this.aborted)) {
          results.push(result);
          runIndex++;
          if (result.status === RunStatus.FAILED && this.failFast) {
            this.env.logger.error(`Stopping the experiment after the failed run ${result.trial}-${result.repeat} (fail_fast).`);
            stopAll = true;
            break;
          }
        }
      }
    } catch (error) {
      experimentError = toErrorInfo(error);
      this.env.logger.error(`Experiment failed: ${experimentError.message}`);
    }
    if (!experimentError && this.failure) experimentError = toErrorInfo(this.failure);
    if (!experimentError && tm.hadFailures) {
      experimentError = { message: `Tracker failure: ${tm.failureSummary().join("; ")}` };
    }
    const status = experimentStatus(results, this.aborted && !this.failure, experimentError);
    tm.onEnd(Level.EXPERIMENT, { status, error: experimentError });
    await tm.close();
    this.env.close();
    return {
      title: this.title,
      workspace: this.env.workspace,
      status,
      runs: results,
      durationMs: Date.now() - started,
      trackerFailures: tm.failureSummary(),
      error: experimentError,
    };
  }
}

function experimentStatus(runs: TrialRunResult[], aborted: boolean, error?: ErrorInfo): RunStatus {
  if (aborted) return RunStatus.ABORTED;
  if (error || runs.some((r) => r.status === RunStatus.FAILED)) return RunStatus.FAILED;
  return RunStatus.SUCCESS;
}

