/**
 * The metrics panel in VS Code: creates or reveals one WebviewPanel per selection, serves the
 * bundled media/dist script under a strict CSP, restores panels after a reload (serializer),
 * and saves exports through a save dialog. All behaviour lives in PanelController; this file
 * is the only one of the panel that imports `vscode`.
 *
 * Usage from the extension's activate():
 *   const metrics = new MetricsPanels(context.extensionUri, dataSource, output, context.workspaceState);
 *   context.subscriptions.push(metrics, metrics.registerSerializer());
 *   metrics.open({ kind: "runs", runIds: [7, 9], db });
 */
import * as vscode from "vscode";
import { METRICS_VIEW_TYPE, type PanelSelection, type PanelSettings } from "./contract";
import { checkPersistedState, repairSettings } from "./validate";
import { selectionKey } from "./wire";
import type { MetricsDataSource } from "./data-source";
import { panelHtml } from "./html";
import { PanelController, defaultTitle } from "./panel-controller";
import { PanelMemory, type SettingsMemento } from "./panel-memory";

export type { MetricsDataSource } from "./data-source";
export type { PanelSelection } from "./contract";

const FILTERS: Record<"csv" | "json" | "png", Record<string, string[]>> = {
  csv: { CSV: ["csv"] },
  json: { JSON: ["json"] },
  png: { "PNG image": ["png"] },
};

export class MetricsPanels implements vscode.Disposable {
  private readonly panels = new Map<string, { panel: vscode.WebviewPanel; controller: PanelController }>();
  /** Settings of closed panels, by selection: a reopened panel shows what it showed. */
  private readonly memory: PanelMemory | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly source: MetricsDataSource,
    private readonly output?: { appendLine(line: string): void },
    workspaceState?: SettingsMemento,
  ) {
    this.memory = workspaceState ? new PanelMemory(workspaceState) : undefined;
  }

  /** Opens the panel of a selection, or reveals it when it is already open. */
  open(selection: PanelSelection, column: vscode.ViewColumn = vscode.ViewColumn.Active): vscode.WebviewPanel {
    const key = selectionKey(selection);
    const existing = this.panels.get(key);
    if (existing) {
      existing.panel.reveal(column);
      return existing.panel;
    }
    const panel = vscode.window.createWebviewPanel(
      METRICS_VIEW_TYPE,
      defaultTitle(selection),
      column,
      this.webviewOptions(),
    );
    this.attach(panel, selection, this.memory?.recall(selection));
    return panel;
  }

  /** Restores panels after a window reload; register once in activate(). */
  registerSerializer(): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(METRICS_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        let selection: PanelSelection;
        let settings: PanelSettings;
        try {
          const restored = checkPersistedState(state);
          selection = restored.selection;
          settings = restored.settings;
        } catch (e) {
          this.log(`metrics panel: cannot restore (${e instanceof Error ? e.message : String(e)}); closing it`);
          panel.dispose();
          return;
        }
        panel.webview.options = this.webviewOptions();
        this.attach(panel, selection, settings);
      },
    });
  }

  private webviewOptions(): vscode.WebviewPanelOptions & vscode.WebviewOptions {
    return {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, "media")],
    };
  }

  private attach(panel: vscode.WebviewPanel, selection: PanelSelection, settings?: PanelSettings): void {
    const key = selectionKey(selection);
    const webview = panel.webview;
    const controller = new PanelController(
      selection,
      this.source,
      {
        post: (message) => webview.postMessage(message),
        saveFile: (name, format, bytes) => this.saveFile(name, format, bytes),
        log: (line) => this.log(line),
        setTitle: (title) => (panel.title = title),
        saveSettings: (s) => void this.memory?.remember(selection, s),
        editRun: async (runId, what, db) =>
          (await vscode.commands.executeCommand(
            what === "note" ? "experimentManager.editRunNote" : "experimentManager.editRunTags",
            {
              runId,
              db,
            },
          )) === true,
      },
      settings ? repairSettings(settings) : undefined,
    );
    const dist = vscode.Uri.joinPath(this.extensionUri, "media", "dist");
    webview.html = panelHtml({
      cspSource: webview.cspSource,
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "metrics.js")).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, "metrics.css")).toString(),
      title: panel.title,
    });
    const subscription = webview.onDidReceiveMessage((m) => void controller.receive(m));
    this.panels.set(key, { panel, controller });
    panel.onDidDispose(() => {
      subscription.dispose();
      controller.dispose();
      if (this.panels.get(key)?.panel === panel) this.panels.delete(key);
    });
  }

  private async saveFile(
    suggestedName: string,
    format: "csv" | "json" | "png",
    bytes: Uint8Array,
  ): Promise<string | undefined> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const safeName = suggestedName.replace(/[\\/:*?"<>|]+/g, "_");
    const target = await vscode.window.showSaveDialog({
      defaultUri: folder ? vscode.Uri.joinPath(folder, safeName) : undefined,
      filters: FILTERS[format],
      saveLabel: `Export ${format.toUpperCase()}`,
    });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, bytes);
    // Say where it went (the panel shows it too), with a way to get to the file.
    void vscode.window
      .showInformationMessage(`Exported ${format.toUpperCase()} to ${target.fsPath}`, "Open", "Reveal")
      .then((choice) => {
        if (choice === "Open") void vscode.commands.executeCommand("vscode.open", target);
        else if (choice === "Reveal") void vscode.commands.executeCommand("revealFileInOS", target);
      });
    return target.fsPath;
  }

  /** Runs selected in the Experiments tree: every open panel on that database selects them too. */
  selectRuns(runIds: number[], db: string | undefined): void {
    for (const { controller } of this.panels.values())
      if (controller.selection.db === db || db === undefined) controller.selectRuns(runIds);
  }

  /** A run's note or tags changed: open panels list their runs again. */
  refreshRuns(): void {
    for (const { controller } of this.panels.values()) void controller.refreshRuns().catch(() => undefined);
  }

  /** Every panel reads the points its charts do not hold yet from the store (runs that send no events). */
  followStore(): void {
    for (const { controller } of this.panels.values()) void controller.followStore().catch(() => undefined);
  }

  private log(line: string): void {
    this.output?.appendLine(line);
  }

  dispose(): void {
    for (const { panel } of this.panels.values()) panel.dispose();
    this.panels.clear();
  }
}
