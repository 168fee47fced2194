import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_FILE_OF_ROLE, Level, RunStatus } from "../common/enums";
import { toErrorInfo, type ErrorInfo } from "../common/errors";
import { registerBuiltins } from "../builtins/register-builtins";
import { readConfigTexts, parseConfigTexts, type ConfigSources } from "../config/load";
import { DBTracker } from "../tracking/db/db-tracker";
import {
  configProblem,
  ConfigValidationError,
  validateConfigSet,
  type ConfigDiagnostic,
  type ConfigPosition,
} from "../config/validate";
import { parseLocated, positionAt, sourceFile } from "../config/located";
import { expandTrials, type ExpandedTrial } from "../config/sweep";
import { Environment } from "../env/environment";
import { getRegistry } from "../registry/registry";
import type { RegistryDescription } from "../registry/schema";
import { WorkspaceIndex } from "../registry/source-index";
import type { TrackerLike } from "../tracking/types";
import { loadImports } from "./imports";
import type { RunKey } from "../events/control";
import { RunStops } from "./run-stops";
import { ConfigChangedError, diffConfigs } from "./config-diff";
import { findResumable } from "./resume";
import { buildPlan, PlanSelectionError, selectRuns, type ExperimentPlan, type PlannedRun } from "./plan";
import { Trial, type TrialRunResult } from "./trial";

export interface ExperimentOptions {
  /** Overrides env.yaml's `workspace`. */
  workspace?: string;
  /** Extra trackers (the events channel, the CLI's progress reporter), after env.yaml's. */
  extraTrackers?: TrackerLike[];
  /** Stop at the first failed run (also `fail_fast: true` in env.yaml). */
  failFast?: boolean;
  /**
   * Continue the experiment with this id in the store (a worker running one of its runs, a
   * resume) instead of starting a new one. Its planned rows are reused as they are.
   */
  experimentUid?: string;
  /** How the plan is executed (`inline`, `local`, `slurm`), recorded on the experiment row. */
  executor?: string;
  /**
   * Execute only these runs (`--only`: trial names or `<trial>-<repeat>`, see selectRuns): the
   * experiment holds only them, with the indices and seeds they have in the whole plan. Checked
   * before anything is written.
   */
  only?: readonly string[];
  /**
   * Continue the latest experiment of this config folder (`--resume`): its SUCCESS/STOPPED runs
   * are kept, the others run again. Throws NothingToResumeError when there is nothing to continue.
   */
  resume?: boolean;
  /**
   * Checks the valid config before anything is written (an executor's commands are installed,
   * the store it needs is configured); throwing here leaves the store untouched.
   */
  preflight?(sources: ConfigSources): void;
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
export { ConfigValidationError };

/**
 * Checks a config folder without running anything but its `imports:` (which register the
 * pipeline types the configs name). Returns every diagnostic; errors mean the folder cannot run.
 */
export async function validateConfigDir(
  configDir: string,
  options: ValidateOptions = {},
): Promise<{ diagnostics: ConfigDiagnostic[]; sources?: ConfigSources }> {
  registerBuiltins();
  const index = staticIndex(options.sourceRoots);
  const known = () => withStaticTypes(getRegistry().describe(), index);
  const texts = readConfigTexts(configDir);
  // First pass before loading user modules: files that cannot be parsed are reported as they
  // are (with positions), and imports are only read from a sane env.yaml.
  const fileExists = (p: string) => fs.existsSync(p);
  const first = validateConfigSet(texts, known(), { fileExists });
  const unreadable = first.filter(
    (d) =>
      d.severity === "error" &&
      (d.code === "yaml-syntax" ||
        d.code === "file-too-large" ||
        d.code === "too-deep" ||
        d.code === "alias-limit" ||
        d.code === "missing-import" ||
        (d.role === "env" && d.code === "not-a-mapping")),
  );
  if (unreadable.length > 0) return { diagnostics: unreadable };
  const sources = parseConfigTexts(texts);
  const env = sources.env.value as Record<string, unknown>;
  try {
    await loadImports(sources.env.path, env?.imports, (i) => importLocation(sources.env.path, sources.env.text, i));
  } catch (error) {
    if (error instanceof ConfigValidationError) return { diagnostics: error.diagnostics };
    throw error;
  }
  const diagnostics = validateConfigSet(texts, known(), { fileExists });
  return { diagnostics, sources };
}

export interface ValidateOptions {
  /**
   * Folders whose source files (.ts/.js/.py) are read for registrations, as the language
   * server reads the workspace (`expman validate`): types registered there, Python classes
   * included, are known without being imported. `expman run` leaves it out: it knows only what
   * it loaded, since only that can run.
   */
  sourceRoots?: string[];
}

function staticIndex(roots: string[] | undefined): WorkspaceIndex | undefined {
  if (!roots?.length) return undefined;
  const index = new WorkspaceIndex(roots);
  index.indexAll();
  return index;
}

/** The loaded registry plus the types the static index found (a loaded type wins). */
function withStaticTypes(loaded: RegistryDescription, index: WorkspaceIndex | undefined): RegistryDescription {
  if (!index) return loaded;
  const taken = new Set(loaded.types.map((t) => `${t.kind}:${t.name}`));
  const found = index.describe().types.filter((t) => !taken.has(`${t.kind}:${t.name}`));
  return found.length === 0 ? loaded : { ...loaded, types: [...loaded.types, ...found] };
}

/** Where the i-th `imports:` entry of env.yaml is (0-based), read from the located tree. */
function importLocation(envPath: string, text: string, index: number): ConfigPosition {
  const file = sourceFile("env", envPath, text);
  const root = parseLocated(file).root;
  const imports = root?.kind === "map" ? root.entries.get("imports") : undefined;
  const item = imports?.value.kind === "seq" ? imports.value.items[index] : undefined;
  return positionAt(file, item?.start ?? imports?.keyStart ?? 0);
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
  /** The experiment's id (UUID) in the store and in run events. */
  readonly uid: string;
  /** Every trial and run, in order, with their seeds and ids: written to the store first. */
  readonly plan: ExperimentPlan;
  /** The runs this process was asked to execute (all, or the `only` selection). */
  readonly selected: PlannedRun[];
  private readonly abortController = new AbortController();
  private readonly runStops = new RunStops(this.abortController.signal);
  private readonly failFast: boolean;
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
    // Checked before the experiment row exists: a bad selection or continuation writes nothing.
    const only = options.only?.length
      ? selectRuns(buildPlan("", sources.base.value, this.trials), options.only)
      : undefined;
    const resumable = options.resume ? findResumable(this.stores, configDir) : undefined;
    const continued = resumable?.experimentUid ?? options.experimentUid;
    if (continued) this.checkContinuation(continued);
    const log = this.env.logger;
    log.info(`Creating experiment '${this.title}'`);
    log.info(`Description: ${this.description}`);
    this.env.trackerManager.onCreate(Level.EXPERIMENT, {
      uid: continued,
      name: this.title,
      description: this.description,
      configDir,
      workspace: this.env.workspace,
      plannedRuns: this.plannedRuns,
    });
    this.uid = this.env.trackerManager.ids.experiment!;
    this.plan = buildPlan(this.uid, sources.base.value, this.trials);
    this.selected = only ? only.map((i) => this.plan.runs[i]) : this.plan.runs;
    if (resumable) {
      this.selected = this.selected.filter((r) => resumable.rerun.has(r.uid));
      log.info(`Resuming experiment ${continued}: ${this.selected.length} run(s) to run again, ${resumable.kept} kept`);
      for (const store of this.stores) store.requeue(this.selected.map((r) => r.uid));
    }
    // Continuing (a worker, a resume): the plan's rows are in the store already.
    if (!continued) this.writePlan(options.executor);
    // A continuation's copies were written by the launch that planned it, from the same files
    // (checkContinuation refuses a changed folder); every parallel worker rewriting them cost
    // each run start disk writes on a busy machine.
    if (!continued) {
      log.info("Setting up experiment configuration");
      this.env.saveConfig(CONFIG_FILE_OF_ROLE.experiment, { ...experiment, settings: sources.base.value ?? {} });
      this.env.saveConfig(CONFIG_FILE_OF_ROLE.base, sources.base.value ?? {});
      this.env.saveConfig(CONFIG_FILE_OF_ROLE.trials, sources.trials.value ?? []);
    }
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
      const trials = expandTrials((sources.trials.value as unknown[]) ?? [], sources.base.value);
      try {
        selectRuns(buildPlan("", sources.base.value, trials), options.only);
      } catch (error) {
        if (!(error instanceof PlanSelectionError)) throw error;
        throw new ConfigValidationError([
          configProblem(
            "trials",
            sources.trials.path,
            { line: 0, character: 0 },
            "wrong-value",
            `${error.message} (trials here: ${trialNamesForHumans(trials) || "none"})`,
          ),
        ]);
      }
    }
    options.preflight?.(sources);
    const experiment = new Experiment(dir, sources, options);
    experiment.configWarnings = diagnostics.filter((d) => d.severity === "warning");
    return experiment;
  }

  /** The DBTrackers of env.yaml: where the plan and the runs' states live. */
  get stores(): DBTracker[] {
    return this.env.trackerManager.trackers.filter((t): t is DBTracker => t instanceof DBTracker);
  }

  /** The config the plan was made from, as stored on the experiment row (see configFingerprint). */
  get configJson(): string {
    return configFingerprint(this.sources);
  }

  /**
   * Continuing an experiment (a worker, a resume) needs it in the store with the same config:
   * otherwise run indices would name other runs. Checked before anything is written.
   */
  private checkContinuation(experimentUid: string): void {
    for (const store of this.stores) {
      const row = store.experimentConfig(experimentUid);
      if (!row)
        throw new Error(
          `Experiment ${experimentUid} is not in ${store.path}: nothing to continue. Run 'expman run ${this.configDir}' to start it.`,
        );
      if (row.config === null) continue;
      const changes = diffConfigs(JSON.parse(row.config), JSON.parse(this.configJson));
      if (changes.length > 0) throw new ConfigChangedError(this.configDir, changes);
    }
  }

  /** The selected runs and their trials (`--only` leaves the others out of this experiment). */
  private writePlan(executor?: string): void {
    const ws = this.env.workspace;
    const trials = new Set(this.selected.map((r) => r.trial));
    const rows = {
      experimentUid: this.uid,
      time: Date.now(),
      config: this.configJson,
      executor,
      trials: this.plan.trials
        .filter((t) => trials.has(t))
        .map((t) => ({ uid: t.uid, name: t.name, workspace: path.join(ws, t.name) })),
      runs: this.selected.map((r) => ({
        uid: r.uid,
        trialUid: r.trial.uid,
        index: r.index,
        repeat: r.repeat,
        seed: r.seed,
        workspace: path.join(ws, r.trial.name, `${r.trial.name}-${r.repeat}`),
      })),
    };
    for (const store of this.stores) store.writePlan(rows);
  }

  private expanded: ExpandedTrial[] | undefined;

  /** The trials of trials.yaml, each sweep entry expanded into its trials (config/sweep.ts). */
  get trials(): ExpandedTrial[] {
    this.expanded ??= expandTrials((this.sources.trials.value as unknown[]) ?? [], this.sources.base.value);
    return this.expanded;
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

  /**
   * Runs the planned runs (all, or the given plan indices) one after another in this process.
   * Runs it does not get to (Ctrl-C, fail_fast) are ended ABORTED or SKIPPED in the store,
   * so none is left QUEUED.
   */
  async run(): Promise<ExperimentResult> {
    const started = Date.now();
    const tm = this.env.trackerManager;
    const selected = this.selected;
    const results: TrialRunResult[] = [];
    tm.onStart(Level.EXPERIMENT, { name: this.title });
    let stopAll = false;
    let experimentError: ErrorInfo | undefined;
    try {
      for (const group of byTrial(selected)) {
        if (stopAll || this.aborted) break;
        const trial = new Trial(this.env, {
          trial: group[0].trial,
          runs: group,
          plannedRuns: this.plannedRuns,
          resumeFrom: this.resumePoints(group),
          stops: this.runStops,
        });
        for await (const result of trial.runAll(() => this.aborted)) {
          results.push(result);
          if (result.status === RunStatus.FAILED && this.failFast) {
            this.env.logger.error(
              `Stopping the experiment after the failed run ${result.trial}-${result.repeat} (fail_fast).`,
            );
            stopAll = true;
            break;
          }
        }
      }
    } catch (error) {
      experimentError = toErrorInfo(error);
      this.env.logger.error(`Experiment failed: ${experimentError.message}`);
    }
    return this.finish(results, started, experimentError);
  }

  /**
   * The experiment's end, however its runs were executed (here, or by worker processes): runs
   * it never started end ABORTED (stopped) or SKIPPED (fail_fast, a store that failed); its
   * status follows from the runs and from an error of its own (a crash, a failed store, a
   * tracker failure); the store settles it from its runs; the trackers and environment close.
   */
  async finish(results: TrialRunResult[], started: number, error?: ErrorInfo): Promise<ExperimentResult> {
    const tm = this.env.trackerManager;
    if (!error && this.failure) error = toErrorInfo(this.failure);
    if (!error && tm.hadFailures) error = { message: `Tracker failure: ${tm.failureSummary().join("; ")}` };
    const aborted = this.aborted && !this.failure;
    this.endUnstarted(results, aborted ? "ABORTED" : "SKIPPED");
    // Workers end in any order; the result lists runs in plan order.
    const runs = [...results].sort((a, b) => a.index - b.index);
    const status = experimentStatus(runs, aborted, error);
    tm.onEnd(Level.EXPERIMENT, { status, error, settle: true });
    await tm.close();
    this.env.close();
    return {
      title: this.title,
      workspace: this.env.workspace,
      status,
      runs,
      durationMs: Date.now() - started,
      trackerFailures: tm.failureSummary(),
      error,
    };
  }

  /**
   * A worker's job: executes planned run `index` of an experiment another process planned (the
   * experiment row is not taken over). The trial and experiment statuses settle in the store
   * from all runs, whichever process ends the last one.
   */
  async runPlanned(index: number): Promise<TrialRunResult> {
    const run = this.plan.runs[index];
    if (!run)
      throw new RangeError(
        `run index ${index} is not in the plan of '${this.title}' (${this.plan.runs.length} runs: 0-${this.plan.runs.length - 1}).`,
      );
    const tm = this.env.trackerManager;
    let result: TrialRunResult | undefined;
    try {
      const trial = new Trial(this.env, {
        trial: run.trial,
        runs: [run],
        plannedRuns: this.plannedRuns,
        resumeFrom: this.resumePoints([run]),
      });
      for await (const r of trial.runAll(() => this.aborted)) result = r;
    } finally {
      if (!result) for (const store of this.stores) store.endRunIfOpen(run.uid, "ABORTED", "stopped before it started");
      await tm.close();
      this.env.close();
    }
    return (
      result ?? {
        index,
        uid: run.uid,
        trial: run.trial.name,
        repeat: run.repeat,
        seed: run.seed,
        status: RunStatus.ABORTED,
        durationMs: 0,
        workspace: "",
      }
    );
  }

  /**
   * The process quits at once (a second Ctrl-C): the selected runs that never began in this
   * process end ABORTED in the store now, since the run loop that would have ended them does
   * not get there. Runs under way are ended ABORTED by the stores' exit hook.
   */
  endUnstartedNow(): void {
    const begun = this.selected.filter((run) => this.runStops.hasBegun({ trial: run.trial.name, repeat: run.repeat }));
    this.endUnstarted(begun, "ABORTED");
  }

  /** Ends, in the store, selected runs this process never started. */
  private endUnstarted(results: { uid: string }[], status: "ABORTED" | "SKIPPED"): void {
    const done = new Set(results.map((r) => r.uid));
    const why =
      status === "ABORTED" ? "not started: the experiment was stopped" : "not started: fail_fast after a failed run";
    for (const run of this.selected) {
      if (done.has(run.uid)) continue;
      for (const store of this.stores) store.endRunIfOpen(run.uid, status, why);
    }
  }

  /**
   * Checkpoints to continue from: a run that a resume queued again and that saved checkpoints
   * before continues from its last one whose file still exists (see resume.ts).
   */
  resumePoints(runs: PlannedRun[]): Map<number, string> | undefined {
    const store = this.stores[0];
    if (!store) return undefined;
    const points = new Map<number, string>();
    for (const run of runs) {
      const cp = store.resumableCheckpoint(run.uid);
      if (cp && fs.existsSync(cp)) points.set(run.index, cp);
    }
    return points.size > 0 ? points : undefined;
  }
}

/** Trial names, a sweep's trials as one entry (`lr_grid (a sweep of 6 trials)`). */
function trialNamesForHumans(trials: ExpandedTrial[]): string {
  const out: string[] = [];
  const sweeps = new Map<string, number>();
  for (const t of trials) {
    if (!t.sweep) out.push(String(t.name));
    else if (!sweeps.has(t.sweep.name)) {
      sweeps.set(t.sweep.name, out.length);
      out.push(t.sweep.name);
    }
  }
  for (const [name, at] of sweeps) {
    const n = trials.filter((t) => t.sweep?.name === name).length;
    out[at] = `${name} (a sweep of ${n} trials)`;
  }
  return out.join(", ");
}

/** Consecutive runs of the same trial, in plan order. */
function byTrial(runs: PlannedRun[]): PlannedRun[][] {
  const groups: PlannedRun[][] = [];
  for (const run of runs) {
    const last = groups[groups.length - 1];
    if (last && last[0].trial === run.trial) last.push(run);
    else groups.push([run]);
  }
  return groups;
}

/**
 * What identifies an experiment's config: the parsed values of the four files (not their text,
 * so comments and formatting may change). Stored with the plan; a resume compares against it.
 */
export function configFingerprint(sources: ConfigSources): string {
  return JSON.stringify({
    env: sources.env.value ?? null,
    experiment: sources.experiment.value ?? null,
    base: sources.base.value ?? null,
    trials: sources.trials.value ?? null,
  });
}

/** As the store settles it (WriteStore.settle): a stopped or killed run makes it ABORTED. */
export function experimentStatus(runs: TrialRunResult[], aborted: boolean, error?: ErrorInfo): RunStatus {
  if (aborted || runs.some((r) => r.status === RunStatus.ABORTED)) return RunStatus.ABORTED;
  if (error || runs.some((r) => r.status === RunStatus.FAILED)) return RunStatus.FAILED;
  return RunStatus.SUCCESS;
}
