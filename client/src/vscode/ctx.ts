/**
 * Shared state of the running extension: settings, output channel, the user's Node, the
 * resolved runtime, the query service, the runs and their liveness. Other modules get it
 * passed in; only this one decides when the query service is (re)started.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { RegistryDescription, RunEvent } from "@expman/runtime/contracts";
import type { LanguageClient } from "vscode-languageclient/node";
import { LiveRuns } from "../core/live-runs";
import { QueryClient } from "../core/query-client";
import { RunManager } from "../core/run-manager";
import {
  checkNode,
  NodeNotFoundError,
  resolveRuntime,
  RuntimeNotFoundError,
  type NodeInfo,
  type RuntimeLocation,
} from "../core/runtime-locator";
import type { Query } from "../core/tree-model";
import { incompatibleMessage, readRuntimeVersion, type RuntimeCompatibility } from "../core/runtime-version";
import { readSettings, type Settings } from "./config";

export interface ShownMessage {
  severity: "info" | "warning" | "error";
  text: string;
  time: number;
}

export class Ctx implements vscode.Disposable {
  settings: Settings = readSettings();
  readonly output = vscode.window.createOutputChannel("Experiment Manager", { log: true });
  readonly live = new LiveRuns();
  readonly runs: RunManager;
  private queryClient: QueryClient | undefined;
  private nodeCheck: { nodePath: string; result: Promise<NodeInfo> } | undefined;
  private readonly runEvents = new vscode.EventEmitter<RunEvent>();
  readonly onRunEvent = this.runEvents.event;
  /**
   * Runs being prepared (config checks before the process starts), shown in the tree as
   * "starting…" from the moment Run is invoked.
   */
  readonly preparing = new Map<number, { name: string; configDir: string }>();
  private readonly preparingChanged = new vscode.EventEmitter<void>();
  readonly onDidChangePreparing = this.preparingChanged.event;
  private nextPreparing = 1;

  /** Marks a run as being prepared until the returned function is called. */
  beginPreparing(name: string, configDir: string): () => void {
    const id = this.nextPreparing++;
    this.preparing.set(id, { name, configDir });
    this.preparingChanged.fire();
    return () => {
      if (this.preparing.delete(id)) this.preparingChanged.fire();
    };
  }

  /** Messages shown to the user (newest last): the integration suites read them through the API. */
  readonly messages: ShownMessage[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private languageClientStarting: Promise<LanguageClient> | undefined;
  private languageClientStarted: LanguageClient | undefined;

  /** The language server's client (extension.ts sets it when it starts the server). */
  set languageClient(client: Promise<LanguageClient> | undefined) {
    this.languageClientStarting = client;
    client?.then(
      (c) => (this.languageClientStarted = c),
      () => undefined,
    );
  }
  get languageClient(): Promise<LanguageClient> | undefined {
    return this.languageClientStarting;
  }

  constructor(readonly extension: vscode.ExtensionContext) {
    this.runs = new RunManager(() => this.settings.maxParallelExperiments);
    this.disposables.push(
      this.output,
      this.runEvents,
      this.preparingChanged,
      { dispose: () => this.runs.dispose() },
      { dispose: () => this.live.dispose() },
      { dispose: () => this.queryClient?.dispose() },
    );
    this.runs.onEvent(({ run, event }) => {
      this.live.apply(event);
      if (event.kind === "log") {
        for (const r of run.process.seenRuns) if (r.noCheckpoint) this.live.noteNoCheckpoint(r.uid, r.noCheckpoint);
      }
      this.runEvents.fire(event);
    });
  }

  /** The extension's own copy of the runtime: `<ext>/client/out/runtime/node_modules`. */
  get bundledModules(): string {
    return path.join(this.extension.extensionPath, "client", "out", "runtime", "node_modules");
  }

  get workspaceRoots(): string[] {
    return (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === "file").map((f) => f.uri.fsPath);
  }

  reloadSettings(): void {
    const before = this.settings;
    this.settings = readSettings();
    if (before.nodePath !== this.settings.nodePath) this.resetServices();
  }

  /** Forgets the Node check and the query service (settings or trust changed). */
  resetServices(): void {
    this.nodeCheck = undefined;
    this.compatibility.clear();
    this.queryClient?.dispose();
    this.queryClient = undefined;
  }

  /**
   * Resolves to the user's Node (absolute path and version), or rejects with
   * NodeNotFoundError (cached per nodePath). Spawn with `.path`, never with the setting.
   */
  checkNode(): Promise<NodeInfo> {
    const nodePath = this.settings.nodePath;
    if (!this.nodeCheck || this.nodeCheck.nodePath !== nodePath) {
      const result = checkNode(nodePath);
      this.nodeCheck = { nodePath, result };
      // A failed check is retried next time (the user may have fixed the setting or PATH).
      result.catch(() => {
        if (this.nodeCheck?.result === result) this.nodeCheck = undefined;
      });
    }
    return this.nodeCheck.result;
  }

  /** The runtime shipped with the extension: it speaks this build's commands (expman note, tag). */
  bundledRuntime(): RuntimeLocation {
    return resolveRuntime([], this.bundledModules, false);
  }

  /** The runtime for a folder; the workspace's copy only in a trusted workspace. */
  runtimeFor(dir?: string): RuntimeLocation {
    const dirs = [...(dir ? [dir] : []), ...this.workspaceRoots];
    return resolveRuntime(dirs, this.bundledModules, vscode.workspace.isTrusted);
  }

  private readonly compatibility = new Map<string, Promise<RuntimeCompatibility>>();
  private readonly warnedIncompatible = new Set<string>();

  /**
   * The runtime for a folder with the protocol versions it speaks. A workspace copy that does
   * not speak this extension's versions is named once, with what it needs and the Install
   * command; the bundled copy is this build's own.
   */
  async checkedRuntime(node: string, dir?: string): Promise<RuntimeLocation & { mismatches: string[] }> {
    const runtime = this.runtimeFor(dir);
    if (runtime.source === "bundled") return { ...runtime, mismatches: [] };
    let pending = this.compatibility.get(runtime.packageDir);
    if (!pending) {
      pending = readRuntimeVersion(node, runtime);
      this.compatibility.set(runtime.packageDir, pending);
    }
    const c = await pending;
    if (c.mismatches.length && !this.warnedIncompatible.has(runtime.packageDir)) {
      this.warnedIncompatible.add(runtime.packageDir);
      void this.notify("warning", incompatibleMessage(runtime, c), "Install Runtime in Workspace").then(
        (choice) => choice && vscode.commands.executeCommand("experimentManager.installRuntime"),
      );
    }
    return { ...runtime, protocols: c.info?.protocols, mismatches: c.mismatches };
  }

  /** The query service, started on first use. Throws NodeNotFoundError / RuntimeNotFoundError. */
  async query(): Promise<QueryClient> {
    const node = await this.checkNode();
    if (!this.queryClient) {
      const checked = await this.checkedRuntime(node.path);
      // Reading databases needs no workspace code: a workspace copy of another query version
      // is passed over for the bundled one, so the tree keeps working until it is updated.
      const runtime = checked.mismatches.some((m) => m.startsWith("query "))
        ? resolveRuntime([], this.bundledModules, false)
        : checked;
      if (this.queryClient) return this.queryClient;
      this.queryClient = new QueryClient({
        node: node.path,
        runtime,
        cwd: this.workspaceRoots[0],
        log: (line) => this.output.info(line),
      });
    }
    return this.queryClient;
  }

  /**
   * The registry the language server scanned (built-ins and workspace types, found without
   * running any workspace code): what the static check validates against.
   */
  /** The server's registry if it is up now, else undefined (never waits for it to start). */
  async serverRegistryIfReady(): Promise<RegistryDescription | undefined> {
    if (!this.languageClientStarted?.isRunning()) return undefined;
    return this.serverRegistry().catch(() => undefined);
  }

  async serverRegistry(): Promise<RegistryDescription> {
    const client = await this.languageClient;
    if (!client || !client.isRunning())
      throw new Error("the Experiment Manager language server is not running (see its output channel)");
    return client.sendRequest<RegistryDescription>("experimentManager/registry");
  }

  /** A `Query` function for the tree model and the metrics data source. */
  readonly request: Query = async (method, params) => (await this.query()).request(method, params);

  /** Shows a message, records it, and resolves to the chosen action. */
  async notify(severity: ShownMessage["severity"], text: string, ...actions: string[]): Promise<string | undefined> {
    this.messages.push({ severity, text, time: Date.now() });
    if (this.messages.length > 200) this.messages.splice(0, this.messages.length - 200);
    this.output[severity === "warning" ? "warn" : severity](text);
    const show =
      severity === "error"
        ? vscode.window.showErrorMessage
        : severity === "warning"
          ? vscode.window.showWarningMessage
          : vscode.window.showInformationMessage;
    return show(text, ...actions);
  }

  /** Explains a Node / runtime problem with the action that fixes it. Never throws. */
  async explainSetupError(error: unknown): Promise<void> {
    if (error instanceof NodeNotFoundError) {
      const choice = await this.notify("error", error.message, "Open Settings");
      if (choice === "Open Settings")
        void vscode.commands.executeCommand("workbench.action.openSettings", "experimentManager.nodePath");
    } else if (error instanceof RuntimeNotFoundError) {
      const choice = await this.notify("error", error.message, "Install in Workspace");
      if (choice === "Install in Workspace") void vscode.commands.executeCommand("experimentManager.installRuntime");
    } else {
      await this.notify("error", `Experiment Manager: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  dispose(): void {
    for (const d of this.disposables.splice(0).reverse()) d.dispose();
  }
}
