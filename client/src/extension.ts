/**
 * Entry point of the Experiment Manager extension. Wires the parts together and exports a
 * small API (used by the integration suites and by other extensions). Nothing here, nor
 * anything it imports, loads a native module: SQLite is read by `expman serve` and written by
 * `expman run`, both child processes on the user's Node (docs/architecture.md, "Processes").
 */
import * as vscode from "vscode";
import { QueryDataSource } from "./core/metrics-data-source";
import type { RunManager } from "./core/run-manager";
import { ConfigCodeLens } from "./vscode/codelens";
import { registerCommands } from "./vscode/commands";
import { SECTION } from "./vscode/config";
import { Ctx, type ShownMessage } from "./vscode/ctx";
import { Databases } from "./vscode/databases";
import { whenExperimentConfigSeen } from "./vscode/config-presence";
import { trackConfigFolders } from "./vscode/config-folders-context";
import { startLanguageClient } from "./vscode/language-client";
import { RunCommands } from "./vscode/run-commands";
import { offerInstallOnMissingTypes } from "./vscode/runtime-offer";
import { ExperimentsTree, VIEW_ID } from "./vscode/tree-provider";
import { MetricsPanels } from "./webview/metrics-panel";

export interface ExperimentManagerApi {
  /** Milliseconds activate() took (language server start excluded: it continues in the background). */
  activationMs: number;
  runs: RunManager;
  tree: ExperimentsTree;
  databases: Databases;
  messages: readonly ShownMessage[];
  /** Resolves when the language server has started (or failed to); it starts once an experiment config is in sight. */
  languageServerReady: Promise<unknown>;
  /** Forgets the Node check, the runtime check, the query service and the database list, as a window reload would (the startup benchmark uses it). */
  resetServices(): void;
}

export function activate(context: vscode.ExtensionContext): ExperimentManagerApi {
  const started = performance.now();
  const ctx = new Ctx(context);
  context.subscriptions.push(ctx);

  const databases = new Databases(ctx);
  const tree = new ExperimentsTree(ctx, databases);
  const view = vscode.window.createTreeView(VIEW_ID, {
    treeDataProvider: tree,
    showCollapseAll: true,
    canSelectMany: true,
  });
  tree.view = view;
  context.subscriptions.push(databases, tree, view, trackConfigFolders());

  const runCommands = new RunCommands(ctx);
  context.subscriptions.push(runCommands);

  let panels: MetricsPanels | undefined;
  try {
    const source = new QueryDataSource({
      query: ctx.request,
      defaultDb: async () => (await databases.list())[0],
      onRunEvent: (listener) => ctx.onRunEvent(listener),
      revealCheckpoint: async (target) => {
        await vscode.commands.executeCommand(`${VIEW_ID}.focus`);
        await tree.revealCheckpoint(target);
      },
    });
    panels = new MetricsPanels(context.extensionUri, source, ctx.output, context.workspaceState);
    context.subscriptions.push(panels, panels.registerSerializer());
  } catch (e) {
    ctx.output.error(`metrics panel unavailable: ${e instanceof Error ? e.message : String(e)}`);
  }

  context.subscriptions.push(
    ...registerCommands(ctx, { tree, databases, runs: runCommands, panels }),
    // Runs selected in the tree are selected in the open metrics panels too.
    view.onDidChangeSelection((e) => {
      const runs = e.selection.filter((n) => n.kind === "run");
      if (runs.length)
        panels?.selectRuns(
          runs.map((n) => n.run.id),
          runs[0].db,
        );
    }),
    vscode.languages.registerCodeLensProvider({ scheme: "file", language: "yaml" }, new ConfigCodeLens()),
    offerInstallOnMissingTypes(ctx),
    // Live tree: run and epoch ends, checkpoints re-render that run's row only, coalesced to a
    // few refreshes a second; new planned runs reload their experiment's rows only.
    ctx.live.onDidChange((run) => tree.runChanged(run.uid)),
    ctx.runs.onEvent(({ event }) => {
      if (event.kind === "lifecycle" && event.level === "experiment" && event.phase === "start")
        databases.invalidate(true);
      if (event.kind === "lifecycle" && event.level === "trial_run" && event.phase === "create") {
        if (event.ids.experiment) tree.experimentChanged(event.ids.experiment);
        else tree.refresh(200);
      }
    }),
    ctx.onDidChangePreparing(() => tree.refresh(0)),
    ctx.runs.onDidChange((run) => {
      // A new run shows in the tree at once, as "starting…" until its database row exists.
      if ((run.state === "queued" || run.state === "running") && !run.process.experimentUid) tree.refresh(0);
      if (run.state === "done") {
        // A run that ended without its end event (killed) reads back ABORTED from the database.
        ctx.live.settle(
          run.process.seenRuns.map((r) => r.uid),
          "ABORTED",
        );
        databases.invalidate();
        tree.rootsMayHaveChanged(100);
      }
    }),
    // A Python-original run started here writes its database without events: re-read it while it runs.
    runCommands.onPythonRunWriting(() => {
      // Its database may be new (the original creates it at start), unseen by a file watcher.
      databases.invalidate();
      tree.rootsMayHaveChanged(0);
      panels?.refreshRuns();
      panels?.followStore();
    }),
    // A database written by a process not started here: only rows whose figures changed.
    databases.onDidChange(({ created }) => (created ? tree.refresh(0) : tree.rootsMayHaveChanged(1500))),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration(SECTION)) return;
      ctx.reloadSettings();
      if (e.affectsConfiguration(`${SECTION}.databaseGlobs`)) databases.settingsChanged();
      tree.refresh();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      // The workspace's own runtime may now be used for queries.
      ctx.resetServices();
      tree.refresh();
    }),
    { dispose: () => ctx.runs.stopAll() },
  );

  // The language server starts once an experiment config is in sight (activation is on any YAML).
  const configSeen = whenExperimentConfigSeen(ctx.settings.configGlobs);
  context.subscriptions.push(configSeen);
  ctx.languageClient = configSeen.seen.then((why) => {
    ctx.output.info(`starting the language server (${why})`);
    return startLanguageClient(ctx);
  });
  const languageServerReady = ctx.languageClient.catch((e) => ctx.output.error(`language server: ${String(e)}`));
  const activationMs = performance.now() - started;
  ctx.output.info(`activated in ${activationMs.toFixed(1)} ms (trusted: ${vscode.workspace.isTrusted})`);
  const resetServices = () => {
    ctx.resetServices();
    databases.invalidate();
  };
  return { activationMs, runs: ctx.runs, tree, databases, messages: ctx.messages, languageServerReady, resetServices };
}

export function deactivate(): void {
  /* everything is in context.subscriptions */
}
