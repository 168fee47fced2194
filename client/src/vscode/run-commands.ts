/**
 * Run and stop experiments from the editor: refuses in an untrusted workspace and for config
 * folders with errors (no process started), checks Node, starts `expman run` through the
 * RunManager, shows output in a channel named after the experiment, progress in the status
 * bar, and the outcome (with a button to the log) when it ends.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import { TRIALS_GLOB } from "./config-folders-context";
import { commandArgv } from "../core/python-run";
import { NO_CHECKPOINT_WARNING } from "@expman/runtime/contracts";
import type { RunOutcome } from "../core/run-process";
import { progressText } from "../core/run-process";
import type { ManagedRun } from "../core/run-manager";
import { configFolderOf, experimentName, isConfigFolder } from "../core/config-folder";
import { pythonPipelineOf, pythonPipelineMessage, type PythonPipeline } from "../core/python-pipeline";
import { isNodeProject } from "../core/runtime-locator";
import { validateConfigDir } from "../core/validate-config";
import { cancelSlurmTask } from "../core/slurm-cancel";
import { jobsFor, runArgs } from "../core/run-args";
import { settingsFor } from "./config";
import type { TreeNode } from "../core/tree-model";
import type { Ctx } from "./ctx";

function isTreeNode(arg: unknown): arg is TreeNode {
  return typeof arg === "object" && arg !== null && typeof (arg as { kind?: unknown }).kind === "string";
}

export type RunRefusal =
  "untrusted" | "no-config" | "config-errors" | "node-missing" | "runtime-missing" | "python-pipeline" | "cancelled";

export interface RunCommandResult {
  started: boolean;
  /** The managed run (its id is what stopRun takes). */
  runId?: number;
  reason?: RunRefusal;
  errors?: string[];
}

/** How often the tree and panels re-read a Python-original run's database while it runs. */
const PYTHON_POLL_MS = 2_000;

export class RunCommands implements vscode.Disposable {
  private readonly channels = new Map<string, vscode.OutputChannel>();
  private readonly statusItems = new Map<number, vscode.StatusBarItem>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Runs of Python-original experiments started here (experimentManager.python.runCommand). */
  private readonly pythonRuns = new Set<ChildProcess>();
  /**
   * Fires every PYTHON_POLL_MS while such a run is alive: the original's process sends no
   * events, and a file watcher may not report its database's writes (none arrived in the
   * code-server rig), so the tree and the panels re-read its database on this beat.
   */
  private readonly pythonBeat = new vscode.EventEmitter<void>();
  readonly onPythonRunWriting = this.pythonBeat.event;
  private pythonTimer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly ctx: Ctx) {
    this.disposables.push(
      ctx.runs.onOutput(({ run, text }) => this.channel(run.name).append(text)),
      ctx.runs.onEvent(({ run, event }) => {
        if (event.kind === "progress" || (event.kind === "lifecycle" && event.level === "trial_run"))
          this.updateStatus(run);
        if (event.kind === "log" && event.message.startsWith(NO_CHECKPOINT_WARNING)) {
          const current = run.process.seenRuns.find((r) => r.noCheckpoint === event.message);
          const text = `${current ? `run ${current.trial}-${current.repeat}: ` : ""}${event.message}`;
          this.channel(run.name).appendLine(`warning: ${text}`);
          ctx.output.warn(`'${run.name}': ${text}`);
        }
      }),
      ctx.runs.onDidChange((run) => {
        this.updateStatus(run);
        if (run.state === "done" && run.outcome) void this.reportOutcome(run, run.outcome);
      }),
    );
  }

  private channel(name: string): vscode.OutputChannel {
    let ch = this.channels.get(name);
    if (!ch) {
      ch = vscode.window.createOutputChannel(`Experiment: ${name}`, "expman-log");
      this.channels.set(name, ch);
    }
    return ch;
  }

  /**
   * The config folder for a command argument: a Uri, a tree node, the active editor, or a pick.
   * `null` when the user dismissed the pick (nothing to say), `undefined` when there is none.
   */
  async resolveConfigDir(arg: unknown): Promise<string | null | undefined> {
    if (arg instanceof vscode.Uri) return configFolderOf(arg.fsPath);
    if (typeof arg === "string") return configFolderOf(arg);
    const node = arg as TreeNode | undefined;
    if (node && node.kind === "experiment") return node.experiment.configDir ?? undefined;
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active?.scheme === "file") {
      const dir = configFolderOf(active.fsPath);
      if (dir) return dir;
    }
    const found = await vscode.workspace.findFiles(TRIALS_GLOB, "**/node_modules/**", 200);
    const dirs = [...new Set(found.map((u) => path.dirname(u.fsPath)))].filter(isConfigFolder).sort();
    if (dirs.length === 0) return undefined;
    if (dirs.length === 1) return dirs[0];
    const pick = await vscode.window.showQuickPick(
      dirs.map((d) => ({ label: experimentName(d), description: vscode.workspace.asRelativePath(d), dir: d })),
      { title: "Run which experiment?" },
    );
    return pick ? pick.dir : null;
  }

  /** Runs the experiment of `arg`; with `only`, just that trial (`expman run --only`). */
  async run(arg?: unknown, only?: string): Promise<RunCommandResult> {
    let done: (() => void) | undefined;
    try {
      return await this.start(arg, { only }, (name, dir) => (done = this.ctx.beginPreparing(name, dir)));
    } finally {
      done?.();
    }
  }

  /**
   * "Resume Experiment": `expman run <dir> --resume` continues the latest launch of the folder
   * (its FAILED, ABORTED and never-started runs run again; SUCCESS and STOPPED ones are kept).
   * The runtime refuses a config that changed since that launch, with the diff; that refusal
   * is shown as such.
   */
  async resume(arg?: unknown): Promise<RunCommandResult> {
    let done: (() => void) | undefined;
    try {
      return await this.start(arg, { resume: true }, (name, dir) => (done = this.ctx.beginPreparing(name, dir)));
    } finally {
      done?.();
    }
  }

  private async start(
    arg: unknown,
    mode: { only?: string; resume?: boolean },
    preparing: (name: string, dir: string) => void,
  ): Promise<RunCommandResult> {
    const { only, resume } = mode;
    if (!vscode.workspace.isTrusted) {
      // Not awaited: the command answers at once; the button works whenever it is clicked.
      void this.ctx
        .notify(
          "warning",
          "Running experiments is disabled in Restricted Mode: a run executes the workspace's code. Trust this workspace to run experiments; editing help keeps working.",
          "Manage Workspace Trust",
        )
        .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
      return { started: false, reason: "untrusted" };
    }
    const dir = await this.resolveConfigDir(arg);
    // Escape in the picker: the user changed their mind, which is no error.
    if (dir === null) return { started: false, reason: "cancelled" };
    if (!dir) {
      void this.ctx.notify(
        "error",
        "No experiment config folder to run: open env.yaml, experiment.yaml, base.yaml or trials.yaml of an experiment, or pick one in the explorer.",
      );
      return { started: false, reason: "no-config" };
    }
    const name = only
      ? `${experimentName(dir)} · ${only}`
      : resume
        ? `${experimentName(dir)} · resume`
        : experimentName(dir);
    // In the tree at once ("starting…"), while the checks below run.
    preparing(name, dir);
    // Before Node, the runtime or validation: a Python pipeline cannot run here at all.
    const python = pythonPipelineOf(dir, await this.ctx.serverRegistryIfReady());
    if (python) {
      const commandLine = (
        vscode.workspace.getConfiguration("experimentManager").get<string>("python.runCommand") ?? ""
      ).trim();
      if (commandLine) return this.runPython(dir, experimentName(dir), commandLine, python);
      const text = pythonPipelineMessage(experimentName(dir), dir, python);
      this.channel(experimentName(dir)).appendLine(text);
      void this.ctx.notify("warning", text);
      return { started: false, reason: "python-pipeline", errors: [text] };
    }
    let runtime;
    let node;
    try {
      node = (await this.ctx.checkNode()).path;
      runtime = await this.ctx.checkedRuntime(node, dir);
    } catch (e) {
      void this.ctx.explainSetupError(e);
      return {
        started: false,
        reason: e instanceof Error && e.name === "RuntimeNotFoundError" ? "runtime-missing" : "node-missing",
        errors: [String(e)],
      };
    }
    if (runtime.source === "bundled") this.suggestInstall(name, runtime.version);
    const validation = await validateConfigDir(node, runtime, dir).catch((e: Error) => ({
      ok: false,
      diagnostics: [],
      errors: [e.message],
    }));
    if (!validation.ok) {
      const ch = this.channel(name);
      ch.appendLine(`Not started: '${name}' has config errors (${dir}):`);
      for (const line of validation.errors) ch.appendLine(`  ${line}`);
      const first = validation.errors.slice(0, 3).join("; ");
      const more = validation.errors.length > 3 ? ` (and ${validation.errors.length - 3} more)` : "";
      void this.ctx
        .notify(
          "error",
          `Cannot run '${name}': ${validation.errors.length} config error${validation.errors.length === 1 ? "" : "s"}: ${first}${more}`,
          "Show Problems",
          "Show Output",
        )
        .then((choice) => {
          if (choice === "Show Problems") void vscode.commands.executeCommand("workbench.actions.view.problems");
          if (choice === "Show Output") ch.show(true);
        });
      return { started: false, reason: "config-errors", errors: validation.errors };
    }
    const ch = this.channel(name);
    const args = runArgs({
      failFast: this.ctx.settings.failFast,
      only,
      resume,
      jobs: jobsFor(dir, settingsFor(dir).maxParallelRuns),
    });
    ch.appendLine(
      `── ${new Date().toLocaleString()} · expman run ${dir}${args.length ? ` ${args.join(" ")}` : ""} (${runtime.source} runtime ${runtime.version})`,
    );
    if (this.ctx.settings.revealOutput === "always") ch.show(true);
    const run = this.ctx.runs.enqueue(
      { node, runtime, configDir: dir, args, graceMs: this.ctx.settings.stopGracePeriodSeconds * 1000 },
      name,
    );
    if (run.state === "queued")
      void this.ctx.notify(
        "info",
        `'${name}' is queued: ${this.ctx.runs.active().length - 1} experiment(s) ahead (setting experimentManager.maxParallelExperiments).`,
      );
    return { started: true, runId: run.id };
  }

  /**
   * Runs a Python-original experiment with the user's command (no shell, in the workspace
   * folder). The tree and the panel follow it from its database, which expman reads read-only.
   */
  private runPython(dir: string, name: string, commandLine: string, python: PythonPipeline): RunCommandResult {
    const cwd = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(dir))?.uri.fsPath ?? path.dirname(dir);
    let argv: string[];
    try {
      argv = commandArgv(commandLine, { configDir: dir, workspaceFolder: cwd, pipelineFile: python.file });
    } catch (e) {
      void this.ctx.notify("error", `experimentManager.python.runCommand: ${(e as Error).message}`);
      return { started: false, reason: "python-pipeline", errors: [(e as Error).message] };
    }
    const ch = this.channel(name);
    ch.appendLine(`── ${new Date().toLocaleString()} · ${argv.join(" ")} (in ${cwd})`);
    if (this.ctx.settings.revealOutput === "always") ch.show(true);
    const child = spawn(argv[0], argv.slice(1), {
      cwd,
      shell: false,
      stdio: ["ignore", "pipe", "pipe"],
      windowsHide: true,
    });
    this.pythonRuns.add(child);
    this.pythonTimer ??= setInterval(() => this.pythonBeat.fire(), PYTHON_POLL_MS);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stdout!.on("data", (text: string) => ch.append(text));
    child.stderr!.on("data", (text: string) => ch.append(text));
    child.on("error", (e) => {
      // Not started: no exit follows.
      if (!child.pid) {
        this.pythonRuns.delete(child);
        if (this.pythonRuns.size === 0) this.stopPythonBeat();
      }
      ch.appendLine(`Cannot start ${argv[0]}: ${e.message}`);
      void this.ctx.notify(
        "error",
        `Cannot start '${argv[0]}' for '${name}': ${e.message}. Check experimentManager.python.runCommand (e.g. the full path of your interpreter, .venv/bin/python).`,
      );
    });
    child.on("exit", (code, signal) => {
      this.pythonRuns.delete(child);
      if (this.pythonRuns.size === 0) this.stopPythonBeat();
      ch.appendLine(`── ended: exit ${signal ?? code}`);
      void vscode.commands.executeCommand("experimentManager.refresh");
      if (code === 0) {
        if (this.ctx.settings.notifyOnFinish) void this.ctx.notify("info", `'${name}' finished.`);
      } else {
        if (this.ctx.settings.revealOutput !== "never") ch.show(true);
        void this.ctx
          .notify("error", `'${name}' ended with exit ${signal ?? code}.`, "Open Log")
          .then((choice) => choice && ch.show(true));
      }
    });
    return { started: true };
  }

  private installSuggested = false;

  /**
   * Runs with the bundled runtime work, but a Node project should depend on the runtime its
   * pipelines import: say so once per session, with the install command.
   */
  private suggestInstall(name: string, version: string): void {
    this.ctx.output.info(
      `running '${name}' with the runtime bundled in the extension (${version}); install @expman/runtime in the project to use its own`,
    );
    const root = this.ctx.workspaceRoots[0];
    if (this.installSuggested || !root || !isNodeProject(root)) return;
    this.installSuggested = true;
    void this.ctx
      .notify(
        "info",
        `The Experiment Manager runtime is not installed in this workspace; using the copy bundled with the extension (${version}). Install it so your pipelines and runs use the project's version.`,
        "Install in Workspace",
      )
      .then((choice) => choice && vscode.commands.executeCommand("experimentManager.installRuntime"));
  }

  /** The managed run (one `expman run` process) that produced a tree run or experiment. */
  private managedFor(node: TreeNode): ManagedRun | undefined {
    const active = this.ctx.runs.active();
    if (node.kind === "starting") return active.find((r) => r.id === node.managedId);
    if (node.kind === "run") return active.find((r) => r.process.seenRuns.some((s) => s.uid === node.run.uid));
    if (node.kind === "experiment") return active.find((r) => r.process.experimentUid === node.experiment.uid);
    return undefined;
  }

  private notStartedHere(): false {
    void this.ctx.notify(
      "info",
      "This run was not started from this window, so it cannot be stopped here (stop it where it runs, e.g. Ctrl+C in its terminal).",
    );
    return false;
  }

  /**
   * "Stop Run": stops one run of an experiment (a tree run node): it ends ABORTED and the
   * experiment goes on with its next run. A managed-run id (the status bar) or no argument
   * means the whole experiment (Stop Experiment).
   */
  async stop(arg?: unknown): Promise<boolean> {
    if (!isTreeNode(arg) || arg.kind !== "run") return this.stopExperiment(arg);
    const managed = this.managedFor(arg);
    // A run on Slurm (its task id in the store) is stopped where it runs: scancel of its task.
    if (!managed && arg.run.jobId) return this.cancelOnSlurm(arg.run.jobId, `${arg.run.trialName}-${arg.run.repeat}`);
    if (!managed) return this.notStartedHere();
    const key = { trial: arg.run.trialName, repeat: arg.run.repeat };
    if (managed.process.stopRun(key)) {
      this.ctx.output.info(`stop requested for run ${key.trial}-${key.repeat} of '${managed.name}'`);
      return true;
    }
    const choice = await this.ctx.notify(
      "warning",
      `The runtime that runs '${managed.name}' cannot stop a single run (it is older than this extension). Stop the whole experiment?`,
      "Stop Experiment",
    );
    return choice === "Stop Experiment" && this.ctx.runs.stop(managed.id);
  }

  private async cancelOnSlurm(task: string, label: string): Promise<boolean> {
    const result = await cancelSlurmTask(task);
    if (result.error) {
      void this.ctx.notify("error", `Could not stop run ${label} on Slurm: ${result.error}`);
      return false;
    }
    this.ctx.output.info(`scancel ${task}: run ${label} ends ABORTED`);
    return true;
  }

  /**
   * "Stop Experiment": stops every run of an experiment (SIGINT: the current run ends ABORTED,
   * queued runs are dropped). Takes a managed-run id (the status bar), a tree run or experiment
   * node; with no argument, picks among active experiments.
   */
  async stopExperiment(arg?: unknown): Promise<boolean> {
    let id: number | undefined;
    if (typeof arg === "number") id = arg;
    else if (isTreeNode(arg)) {
      id = this.managedFor(arg)?.id;
      if (id === undefined) return this.notStartedHere();
    }
    const active = this.ctx.runs.active();
    if (id === undefined) {
      if (active.length === 0) {
        void this.ctx.notify("info", "No experiment is running.");
        return false;
      }
      if (active.length === 1) id = active[0].id;
      else {
        const pick = await vscode.window.showQuickPick(
          active.map((r) => ({
            label: r.name,
            description: `${r.state} · ${progressText(r.process.lastProgress)}`,
            id: r.id,
          })),
          { title: "Stop which experiment?" },
        );
        id = pick?.id;
      }
    }
    return id !== undefined && this.ctx.runs.stop(id);
  }

  private updateStatus(run: ManagedRun): void {
    let item = this.statusItems.get(run.id);
    if (run.state === "done") {
      item?.dispose();
      this.statusItems.delete(run.id);
      return;
    }
    if (!item) {
      item = vscode.window.createStatusBarItem(`experimentManager.run.${run.id}`, vscode.StatusBarAlignment.Left, 10);
      item.name = "Experiment run";
      this.statusItems.set(run.id, item);
    }
    const icon = run.state === "queued" ? "$(clock)" : run.state === "stopping" ? "$(loading~spin)" : "$(sync~spin)";
    const what =
      run.state === "queued"
        ? "queued"
        : run.state === "stopping"
          ? "stopping…"
          : progressText(run.process.lastProgress);
    item.text = `${icon} ${run.name}: ${what}`;
    item.tooltip = `Experiment '${run.name}' (${run.configDir})\nClick to stop the experiment.`;
    item.command = { command: "experimentManager.stopExperiment", title: "Stop Experiment", arguments: [run.id] };
    item.show();
  }

  private async reportOutcome(run: ManagedRun, outcome: RunOutcome): Promise<void> {
    const ch = this.channel(run.name);
    const failed = outcome.runs.filter((r) => r.status === "FAILED");
    const summary = outcome.runs.map((r) => `${r.trial}-${r.repeat} ${r.status}`).join(", ");
    ch.appendLine(
      `── ended: exit ${outcome.signal ?? outcome.exitCode}${outcome.killed ? " (killed after the grace period)" : ""}${summary ? ` · ${summary}` : ""}`,
    );
    const openLog = async (choice: string | undefined) => {
      if (choice === "Open Log") ch.show(true);
    };
    if (outcome.stopped) {
      void this.ctx.notify(
        "info",
        `'${run.name}' was stopped${outcome.killed ? " (killed after the grace period)" : ""}; the current run ends ABORTED.`,
      );
      return;
    }
    // The runtime refused before running anything (a resume of a changed config: the diff).
    if (!outcome.configErrors.length && outcome.exitCode === 2 && outcome.errors.length) {
      if (this.ctx.settings.revealOutput !== "never") ch.show(true);
      void openLog(await this.ctx.notify("error", `'${run.name}' did not start: ${outcome.errors[0]}`, "Open Log"));
      return;
    }
    // Nothing to resume: said plainly, not as "finished: no runs".
    if (outcome.exitCode === 0 && outcome.runs.length === 0 && outcome.errors.length) {
      void this.ctx.notify("info", `'${run.name}': ${outcome.errors[0]}`);
      return;
    }
    if (outcome.configErrors.length) {
      if (this.ctx.settings.revealOutput !== "never") ch.show(true);
      void openLog(
        await this.ctx.notify("error", `'${run.name}' did not start: ${outcome.configErrors.join("; ")}`, "Open Log"),
      );
      return;
    }
    if (failed.length) {
      if (this.ctx.settings.revealOutput !== "never") ch.show(true);
      const f = failed[0];
      const text = `'${run.name}': run ${f.trial}-${f.repeat} FAILED: ${f.error?.message ?? "see the log"}${failed.length > 1 ? ` (${failed.length} runs failed)` : ""}`;
      void openLog(await this.ctx.notify("error", text, "Open Log"));
      return;
    }
    if (outcome.exitCode !== 0) {
      if (this.ctx.settings.revealOutput !== "never") ch.show(true);
      const why = outcome.errors[0] ?? outcome.stderrTail.trim().split("\n").slice(-1)[0] ?? "";
      void openLog(
        await this.ctx.notify(
          "error",
          `'${run.name}' ended with exit ${outcome.signal ?? outcome.exitCode}${why ? `: ${why}` : ""}`,
          "Open Log",
        ),
      );
      return;
    }
    if (this.ctx.settings.notifyOnFinish) {
      const uid = run.process.experimentUid;
      void this.ctx
        .notify("info", `'${run.name}' finished: ${summary || "no runs"}.`, ...(uid ? ["Open Metrics"] : []))
        .then((choice) => {
          if (choice === "Open Metrics")
            void vscode.commands.executeCommand("experimentManager.openMetrics", { experimentUid: uid });
        });
    }
  }

  private stopPythonBeat(): void {
    clearInterval(this.pythonTimer);
    this.pythonTimer = undefined;
  }

  dispose(): void {
    // Python runs started from this window end with it (only what we started).
    for (const child of this.pythonRuns) if (child.pid && child.exitCode === null) child.kill();
    this.stopPythonBeat();
    this.pythonBeat.dispose();
    for (const d of this.disposables) d.dispose();
    for (const i of this.statusItems.values()) i.dispose();
    for (const c of this.channels.values()) c.dispose();
  }
}
