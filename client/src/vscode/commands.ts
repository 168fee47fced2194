/** Registers the `experimentManager.*` commands; each is a thin call into the parts that do the work. */
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import { experimentNodeOf, type TreeNode } from "../core/tree-model";
import type { MetricsPanels, PanelSelection } from "../webview/metrics-panel";
import type { Ctx } from "./ctx";
import type { Databases } from "./databases";
import type { RunCommands } from "./run-commands";
import type { ExperimentsTree } from "./tree-provider";
import { experimentName } from "../core/config-folder";
import { validateStatically } from "../core/static-validate";
import { installInWorkspace } from "./install-command";
import { newExperiment } from "./new-experiment";
import { trialLocations } from "../core/trial-names";
import { validateConfigDir, type ValidationResult } from "../core/validate-config";
import { annotateRun } from "../core/annotate-run";

type Node<K extends TreeNode["kind"]> = Extract<TreeNode, { kind: K }>;

function isTreeNode(arg: unknown): arg is TreeNode {
  return typeof arg === "object" && arg !== null && typeof (arg as { kind?: unknown }).kind === "string";
}

function newestFile(dir: string, filter: (name: string) => boolean): string | undefined {
  try {
    return fs
      .readdirSync(dir)
      .filter(filter)
      .map((n) => path.join(dir, n))
      .sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
  } catch {
    return undefined;
  }
}

async function openFile(file: string): Promise<void> {
  await vscode.window.showTextDocument(vscode.Uri.file(file), { preview: true });
}

export function registerCommands(
  ctx: Ctx,
  deps: { tree: ExperimentsTree; databases: Databases; runs: RunCommands; panels: MetricsPanels | undefined },
): vscode.Disposable[] {
  const { tree, databases, runs, panels } = deps;
  const openPanel = (selection: PanelSelection) => {
    if (!panels) {
      void ctx.notify("error", "The metrics panel is not available in this build of the extension.");
      return;
    }
    panels.open(selection);
  };
  /**
   * Edit Note / Edit Tags, from the tree's context menu or the runs table: asks in an input box
   * (pre-filled), writes through `expman note` / `expman tag --set`, refreshes the tree and the
   * panels. Resolves true when something was saved.
   */
  const editRun = async (target: TreeNode | { runId: number; db?: string } | undefined, what: "note" | "tags") => {
    const ref =
      target && "kind" in target
        ? target.kind === "run"
          ? { runId: target.run.id, db: target.db }
          : undefined
        : target && typeof target.runId === "number"
          ? { runId: target.runId, db: target.db }
          : undefined;
    if (!ref) {
      void ctx.notify("info", `Right-click a run in the Experiments view to edit its ${what}.`);
      return false;
    }
    const db = ref.db ?? (await databases.list())[0];
    if (!db) return false;
    try {
      const run = await ctx.request("run.get", { db, runId: ref.runId });
      if (!run) throw new Error(`run ${ref.runId} is not in ${db}`);
      const name = `${run.trialName}-${run.repeat}`;
      const value = await vscode.window.showInputBox({
        title: what === "note" ? `Note on ${name}` : `Tags of ${name}`,
        prompt:
          what === "note"
            ? 'What to remember about this run (empty removes the note). Find it in the runs table with note ~ "text".'
            : "Tags separated by spaces or commas (letters, digits, _ - . / : = +). Find them with tags == name.",
        value: what === "note" ? (run.note ?? "") : (run.tags ?? []).join(" "),
        ignoreFocusOut: true,
      });
      if (value === undefined) return false;
      const node = await ctx.checkNode();
      await annotateRun(
        node.path,
        ctx.bundledRuntime(),
        db,
        run.id,
        what === "note" ? { note: value } : { tags: value.split(/[\s,]+/).filter(Boolean) },
      );
      tree.refresh(0);
      panels?.refreshRuns();
      return true;
    } catch (e) {
      void ctx.notify(
        "error",
        `Could not save the ${what} of run ${ref.runId}: ${e instanceof Error ? e.message : String(e)}`,
      );
      return false;
    }
  };
  // A command on a group row (an experiment launched several times) acts on its latest launch.
  const launch = (arg: unknown) => (isTreeNode(arg) ? experimentNodeOf(arg) : arg);
  // VS Code passes whatever a command was invoked with (a tree node, a URI, a test's argument):
  // each handler declares what it expects and checks what it must (`never[]` admits any handler).
  const register = (id: string, fn: (...args: never[]) => unknown) =>
    vscode.commands.registerCommand(
      `experimentManager.${id}`,
      (first?: unknown, second?: unknown, ...rest: unknown[]) =>
        (fn as (...args: unknown[]) => unknown)(
          launch(first),
          Array.isArray(second) ? second.map(launch) : second,
          ...rest,
        ),
    );
  return [
    register("runExperiment", (arg?: unknown) => runs.run(arg)),
    register("resumeExperiment", (arg?: unknown) => runs.resume(arg)),
    register("showMore", (node?: TreeNode) => node && tree.showMore(node)),
    register("newExperiment", (name?: unknown) => newExperiment(ctx, name)),
    register("runTrial", async (arg?: unknown, trial?: unknown) => {
      if (typeof trial !== "string" || trial === "") {
        // From the palette: the trials of the active trials.yaml.
        const doc = vscode.window.activeTextEditor?.document;
        const names =
          doc && /trials\.ya?ml$/i.test(doc.fileName) ? trialLocations(doc.getText()).map((t) => t.name) : [];
        if (names.length === 0) {
          void ctx.notify(
            "info",
            "Open a trials.yaml to run one of its trials (or use the Run Trial lens above a trial).",
          );
          return { started: false, reason: "no-config" };
        }
        trial = await vscode.window.showQuickPick(names, { title: "Run which trial?" });
        if (!trial) return { started: false, reason: "cancelled" };
        arg = doc!.uri;
      }
      return runs.run(arg, trial as string);
    }),
    register("stopRun", (arg?: unknown) => runs.stop(arg)),
    register("stopExperiment", (arg?: unknown) => runs.stopExperiment(arg)),
    register("stopAllRuns", () => ctx.runs.stopAll()),
    register("refresh", () => {
      databases.invalidate();
      tree.refresh();
    }),
    register("validateConfig", async (arg?: unknown) => {
      const dir = await runs.resolveConfigDir(arg);
      if (dir === null) return undefined;
      if (!dir) {
        void ctx.notify("error", "No experiment config folder to validate.");
        return undefined;
      }
      const name = experimentName(dir);
      try {
        let result: ValidationResult & { mode: "full" | "static" };
        if (vscode.workspace.isTrusted) {
          const node = await ctx.checkNode();
          result = { ...(await validateConfigDir(node.path, ctx.runtimeFor(dir), dir)), mode: "full" };
        } else {
          // Restricted Mode: `expman validate` would load the imports: modules (workspace code).
          result = { ...validateStatically(dir, await ctx.serverRegistry()), mode: "static" };
        }
        const how =
          result.mode === "static" ? " (static check: Restricted Mode does not load the imports: modules)" : "";
        if (result.ok) void ctx.notify("info", `'${name}': no config errors${how}.`);
        else void ctx.notify("error", `'${name}': ${result.errors.join("; ")}${how}`, "Show Problems");
        return result;
      } catch (e) {
        void ctx.explainSetupError(e);
        return undefined;
      }
    }),
    register("openMetrics", async (node?: TreeNode | { experimentUid: string }, selected?: TreeNode[]) => {
      if (node && "experimentUid" in node) {
        // From the run manager: find the experiment's database by its uid.
        for (const db of await databases.list()) {
          const experiments = await ctx.request("experiments.list", { db }).catch(() => []);
          const e = experiments.find((x) => x.uid === node.experimentUid);
          if (e) return openPanel({ kind: "experiment", experimentId: e.id, db });
        }
        return void ctx.notify(
          "warning",
          "The experiment's database was not found (is a DBTracker configured, and does experimentManager.databaseGlobs match it?).",
        );
      }
      const nodes = (selected?.length ? selected : node ? [node] : []).filter(Boolean);
      const runsSel = nodes.filter((n): n is Node<"run"> => n.kind === "run");
      if (runsSel.length) return openPanel({ kind: "runs", runIds: runsSel.map((r) => r.run.id), db: runsSel[0].db });
      const exp = nodes.find((n): n is Node<"experiment"> => n.kind === "experiment");
      if (exp) return openPanel({ kind: "experiment", experimentId: exp.experiment.id, db: exp.db });
      const trial = nodes.find((n): n is Node<"trial"> => n.kind === "trial");
      if (trial) {
        return void ctx.request("runs.list", { db: trial.db, trialId: trial.trial.id }).then(
          (rs) => openPanel({ kind: "runs", runIds: rs.map((r) => r.id), db: trial.db }),
          (e) => ctx.notify("error", `Cannot list the runs of ${trial.trial.name}: ${e.message}`),
        );
      }
      void ctx.notify("info", "Select an experiment, trial or runs in the Experiments view to open their metrics.");
    }),
    register("editRunNote", (target?: TreeNode | { runId: number; db?: string }) => editRun(target, "note")),
    register("editRunTags", (target?: TreeNode | { runId: number; db?: string }) => editRun(target, "tags")),
    register("compareRuns", (node?: TreeNode, selected?: TreeNode[]) =>
      vscode.commands.executeCommand("experimentManager.openMetrics", node, selected),
    ),
    register("openCheckpoint", async (node: Node<"checkpoint">) => {
      const file = node.checkpoint.path;
      if (!fs.existsSync(file)) return void ctx.notify("warning", `Checkpoint file not found: ${file}`);
      if (fs.statSync(file).isDirectory())
        return vscode.commands.executeCommand("revealInExplorer", vscode.Uri.file(file));
      await openFile(file);
    }),
    register("revealCheckpoint", async (node: Node<"checkpoint">) => {
      const uri = vscode.Uri.file(node.checkpoint.path);
      const inWorkspace = vscode.workspace.getWorkspaceFolder(uri);
      await vscode.commands.executeCommand(inWorkspace ? "revealInExplorer" : "revealFileInOS", uri);
    }),
    register("copyCheckpointPath", async (node: Node<"checkpoint">) => {
      await vscode.env.clipboard.writeText(node.checkpoint.path);
      return node.checkpoint.path;
    }),
    register("openRunLog", async (node: Node<"run">) => {
      const ws = node.run.workspace;
      const log =
        ws &&
        (newestFile(path.join(ws, "logs"), (n) => n.endsWith(".log")) ??
          newestFile(path.join(ws, "artifacts"), (n) => n === "metrics.log"));
      if (!log)
        return void ctx.notify(
          "warning",
          `No log file found for run ${node.run.trialName}-${node.run.repeat}${ws ? ` in ${ws}` : ""}.`,
        );
      await openFile(log);
      return log;
    }),
    register("openRunConfig", async (node: Node<"run">) => {
      // The settings the run used: base.yaml merged with its trial's settings, which the
      // runtime saves once per trial as <ws>/<trial>/configs/experiment.yaml (a run's own
      // configs/ holds only env.yaml).
      const ws = node.run.workspace;
      const merged = ws && path.join(path.dirname(ws), "configs", "experiment.yaml");
      const file =
        merged && fs.existsSync(merged)
          ? merged
          : ws
            ? newestFile(path.join(ws, "configs"), (n) => /\.ya?ml$/.test(n))
            : undefined;
      if (!file)
        return void ctx.notify(
          "warning",
          `No saved config found for run ${node.run.trialName}-${node.run.repeat}${ws ? ` (looked in ${path.dirname(ws)}/configs)` : ""}.`,
        );
      await openFile(file);
      return file;
    }),
    register("openExperimentConfig", async (node: Node<"experiment">) => {
      const dir = node.experiment.configDir;
      const file =
        dir &&
        ["trials.yaml", "base.yaml", "experiment.yaml"].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f));
      if (!file)
        return void ctx.notify(
          "warning",
          `The config folder of '${node.experiment.title}' is not on disk${dir ? ` (${dir})` : ""}.`,
        );
      await openFile(file);
    }),
    register("installRuntime", async () => {
      if (!vscode.workspace.isTrusted) {
        // npm install runs the project's and its dependencies' scripts: workspace code.
        void ctx
          .notify(
            "warning",
            "Installing the runtime is disabled in Restricted Mode: npm install runs the workspace's scripts. Trust this workspace first.",
            "Manage Workspace Trust",
          )
          .then((choice) => choice && vscode.commands.executeCommand("workbench.trust.manage"));
        return { started: false, reason: "untrusted" };
      }
      const root = ctx.workspaceRoots[0];
      if (!root) return void ctx.notify("error", "Open a folder first: the runtime is installed into the project.");
      return installInWorkspace(ctx, root);
    }),
  ];
}
