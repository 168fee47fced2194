/**
 * The Experiment Manager language server: diagnostics, completion, hover, go to definition,
 * quick fixes and trial symbols for experiment config YAML. It reads files and never runs user
 * code, so it is safe in untrusted workspaces. Started by the extension over IPC, or with
 * `--stdio` by tests and other editors. This file only wires the protocol to the workspace
 * (workspace.ts), where the state and the logic live.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import {
  CodeActionKind,
  createConnection,
  DidChangeConfigurationNotification,
  DidChangeWatchedFilesNotification,
  FileChangeType,
  ProposedFeatures,
  TextDocuments,
  TextDocumentSyncKind,
  type InitializeResult,
} from "vscode-languageserver/node";
import { TextDocument } from "vscode-languageserver-textdocument";
import { indexStatsRequest, memoryRequest, registryRequest } from "./protocol";
import { WorkerValidation } from "./off-thread";
import { ConfigWorkspace, toPath } from "./workspace";

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const workspace = new ConfigWorkspace(
  {
    publishDiagnostics: (params) => void connection.sendDiagnostics(params),
    log: (message) => connection.console.log(message),
    error: (message) => connection.console.error(message),
  },
  // Large config sets are validated in a worker thread (off-thread.ts), beside this bundle.
  new WorkerValidation(path.join(__dirname, "validation-worker.js"), (message) => connection.console.log(message)),
);
let canWatch = false;
let canConfigure = false;

function globsOf(value: unknown): string[] | undefined {
  return Array.isArray(value) ? value.filter((g): g is string => typeof g === "string") : undefined;
}

connection.onInitialize((params): InitializeResult => {
  const folders = params.workspaceFolders?.map((f) => toPath(f.uri)).filter((p): p is string => !!p) ?? [];
  const rootPath = params.rootUri ? toPath(params.rootUri) : (params.rootPath ?? undefined);
  canWatch = params.capabilities.workspace?.didChangeWatchedFiles?.dynamicRegistration === true;
  canConfigure = params.capabilities.workspace?.configuration === true;
  const init = params.initializationOptions as { configGlobs?: unknown } | undefined;
  workspace.initialize(folders.length ? folders : rootPath ? [rootPath] : [], globsOf(init?.configGlobs) ?? []);
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      completionProvider: { triggerCharacters: [":", " ", "-"], resolveProvider: false },
      hoverProvider: true,
      definitionProvider: true,
      codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
      documentSymbolProvider: true,
      codeLensProvider: { resolveProvider: false },
    },
    serverInfo: { name: "expman-language-server", version: "0.1.0" },
  };
});

connection.onInitialized(() => {
  if (canWatch) {
    void connection.client.register(DidChangeWatchedFilesNotification.type, {
      watchers: [{ globPattern: "**/*.{ts,tsx,mts,cts,js,jsx,mjs,cjs,py}" }, { globPattern: "**/*.{yaml,yml}" }],
    });
  } else {
    watchWithNode();
  }
  if (canConfigure) {
    void connection.client.register(DidChangeConfigurationNotification.type, { section: "experimentManager" });
    void readConfiguration();
  }
});

async function readConfiguration(): Promise<void> {
  try {
    const config = (await connection.workspace.getConfiguration("experimentManager")) as {
      configGlobs?: unknown;
    } | null;
    const globs = globsOf(config?.configGlobs);
    if (globs) workspace.setConfigGlobs(globs);
  } catch (err) {
    connection.console.log(`[expman] cannot read settings: ${(err as Error).message}`);
  }
}

connection.onDidChangeConfiguration((change) => {
  const settings = (change.settings as { experimentManager?: { configGlobs?: unknown } } | null)?.experimentManager;
  const globs = globsOf(settings?.configGlobs);
  if (globs) workspace.setConfigGlobs(globs);
  else if (canConfigure) void readConfiguration();
});

/** Without client-side watchers (other editors), Node's recursive watch keeps the index current. */
function watchWithNode(): void {
  for (const root of workspace.folders) {
    try {
      const watcher = fs.watch(root, { recursive: true }, (_event, name) => {
        if (!name) return;
        const file = path.join(root, name.toString());
        if (/[\\/](node_modules|\.git)[\\/]/.test(file)) return;
        workspace.fileChanged(file, fs.existsSync(file) ? FileChangeType.Changed : FileChangeType.Deleted);
        workspace.scheduleRegistryRevalidation();
      });
      watcher.on("error", () => watcher.close());
    } catch (err) {
      connection.console.log(`[expman] cannot watch ${root}: ${(err as Error).message}`);
    }
  }
}

connection.onDidChangeWatchedFiles((params) => {
  workspace.safe("watched files", undefined, () => {
    for (const change of params.changes) {
      const file = toPath(change.uri);
      if (file) workspace.fileChanged(file, change.type);
    }
    workspace.scheduleRegistryRevalidation();
  });
});

documents.onDidOpen((e) => workspace.opened(e.document));
documents.onDidChangeContent((e) => workspace.changed(e.document));
documents.onDidClose((e) => workspace.closed(e.document.uri));

connection.onCompletion((params) => workspace.completion(params.textDocument.uri, params.position));
connection.onHover((params) => workspace.hover(params.textDocument.uri, params.position));
connection.onDefinition((params) => workspace.definition(params.textDocument.uri, params.position));
connection.onCodeAction((params) => workspace.codeActions(params.textDocument.uri, params.context.diagnostics));
connection.onDocumentSymbol((params) => workspace.symbols(params.textDocument.uri));
connection.onCodeLens((params) => workspace.codeLenses(params.textDocument.uri));

/** The registry the server sees (built-ins and scanned workspace types), for the extension. */
connection.onRequest(registryRequest, () => workspace.describe());
connection.onRequest(indexStatsRequest, () => workspace.stats());
connection.onRequest(memoryRequest, () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, collected: gc !== undefined };
});

process.on("uncaughtException", (err) => connection.console.error(`[expman] uncaught: ${err?.stack ?? String(err)}`));
process.on("unhandledRejection", (err) => connection.console.error(`[expman] unhandled rejection: ${String(err)}`));

documents.listen(connection);
connection.listen();
